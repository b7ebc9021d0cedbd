// Test helper: builds executed-block inputs (id, decoded transaction, raw
// envelope) through the real codec. Signatures stay zero: execution never
// checks them (verification happens before ordering).
#ifndef GRIDLEDGER_TESTS_CORE_EXECUTION_BLOCK_BUILDER_H_
#define GRIDLEDGER_TESTS_CORE_EXECUTION_BLOCK_BUILDER_H_

#include <cstdint>

#include "core/common/bytes.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"
#include "core/tx/codec.h"
#include "core/tx/transaction.h"

namespace gridledger::testing {

// A deterministic 32-byte account key (not necessarily on the curve:
// execution treats keys as opaque identifiers).
inline PublicKey TestKey(uint64_t n) {
  Bytes seed;
  ByteWriter(&seed).U64(n);
  return PublicKey(Sha256(seed).bytes);
}

inline BlockTx MakeBlockTx(const Transaction& tx) {
  BlockTx out;
  out.tx = tx;
  out.raw = Encode(tx);
  out.id = ComputeTxId(out.raw);
  return out;
}

inline BlockTx Transfer(SliceId slice, const PublicKey& from, uint64_t nonce,
                        const AccountRef& to, uint64_t amount) {
  Transaction tx;
  tx.slice = slice;
  tx.nonce = Nonce(nonce);
  tx.sender = from;
  tx.body = TransferBody{to, Amount(amount)};
  return MakeBlockTx(tx);
}

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_CORE_EXECUTION_BLOCK_BUILDER_H_
