// Block formation: how a committed sub-DAG's batches become the block that
// execution runs. A pure function of the committed batches, so every
// validator (and the archive node) forms the same block from the same commit.
//
//   1. Entries in commit order (certificate order, then each header's batch
//      order, then each batch's order).
//   2. Receipt imports (core/execution/receipt.h) go apart, first
//      occurrence of each id.
//   3. Every other entry is decoded as certified (DecodeCertified: the
//      batch was decoded and verified by f+1 validators, an honest one among
//      them, so body keys need no second curve check); one that still
//      fails to decode is skipped by every honest validator alike and
//      counted.
//   4. Only the first occurrence of each transaction id stays.
//   5. Each sender's transactions take that sender's positions in nonce
//      order (OrderSendersByNonce).
#ifndef GRIDLEDGER_CORE_EXECUTION_BLOCK_FORMATION_H_
#define GRIDLEDGER_CORE_EXECUTION_BLOCK_FORMATION_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/consensus/messages.h"
#include "core/execution/block_tx.h"

namespace gridledger {

struct FormedBlock {
  std::vector<BlockTx> txs;    // in execution order
  std::vector<Bytes> imports;  // receipt imports, commit order
  std::vector<TxId> import_ids;
  uint64_t undecodable = 0;    // entries skipped because they do not decode
};

FormedBlock FormBlock(absl::Span<const std::shared_ptr<const consensus::Batch>> batches);

// Within one block, gives each sender's transactions that sender's positions
// in nonce order (stable for equal nonces); other senders' positions are
// untouched. Narwhal does not keep one validator's transactions in
// submission order (batches enter headers in ack order, concurrent client
// RPCs race), and the executor requires consecutive nonces, so without this a
// sender whose nonces n+1, n landed in one commit would fail from n+1 on.
void OrderSendersByNonce(std::vector<BlockTx>* block);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_BLOCK_FORMATION_H_
