// A committed transaction as execution sees it, and one held for a nonce gap.
#ifndef GRIDLEDGER_CORE_EXECUTION_BLOCK_TX_H_
#define GRIDLEDGER_CORE_EXECUTION_BLOCK_TX_H_

#include <cstdint>

#include "core/common/types.h"
#include "core/tx/transaction.h"

namespace gridledger {

// A committed transaction in execution order. `raw` is the signed envelope as
// received; execution ignores it, the transaction index (and the nonce hold)
// stores it.
struct BlockTx {
  TxId id;
  Transaction tx;
  Bytes raw;
  bool operator==(const BlockTx&) const = default;
};

// Identifies a held transaction: at most one per (account, nonce).
struct HeldKey {
  AccountRef account;
  Nonce nonce;
  auto operator<=>(const HeldKey&) const = default;
};

// A TRANSFER whose nonce was ahead of its sender's next nonce when its commit
// executed: it waits in the nonce hold (core/execution/executor.h).
struct HeldTx {
  BlockTx btx;
  uint64_t held_sequence = 0;  // the commit that held it
  bool operator==(const HeldTx&) const = default;

  HeldKey key() const { return HeldKey{AccountRef{btx.tx.slice, btx.tx.sender}, btx.tx.nonce}; }
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_BLOCK_TX_H_
