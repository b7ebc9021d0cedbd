#include "core/execution/block_formation.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/execution/receipt.h"
#include "core/tx/codec.h"

namespace gridledger {

FormedBlock FormBlock(absl::Span<const std::shared_ptr<const consensus::Batch>> batches) {
  size_t total = 0;
  for (const auto& batch : batches) total += batch->transactions.size();
  FormedBlock out;
  out.txs.reserve(total);
  absl::flat_hash_set<TxId> seen;
  seen.reserve(total);
  for (const auto& batch : batches) {
    for (ByteSpan raw : batch->transactions) {
      if (IsReceiptImport(raw)) {
        const TxId id = ComputeTxId(raw);
        if (!seen.insert(id).second) continue;
        out.imports.emplace_back(raw.begin(), raw.end());
        out.import_ids.push_back(id);
        continue;
      }
      auto tx = DecodeCertified(raw);
      if (!tx.ok()) {
        ++out.undecodable;
        continue;
      }
      const TxId id = ComputeTxId(raw);
      if (!seen.insert(id).second) continue;
      out.txs.push_back(BlockTx{id, std::move(*tx), Bytes(raw.begin(), raw.end())});
    }
  }
  OrderSendersByNonce(&out.txs);
  return out;
}

void OrderSendersByNonce(std::vector<BlockTx>* block) {
  // Most senders have one transaction in a block: count first, so only
  // those with several get a list of positions (one allocation each).
  absl::flat_hash_map<PublicKey, uint32_t> count;
  count.reserve(block->size());
  bool repeated = false;
  for (const BlockTx& btx : *block) repeated |= ++count[btx.tx.sender] > 1;
  if (!repeated) return;
  // sender -> its positions in the block, in block order.
  absl::flat_hash_map<PublicKey, std::vector<size_t>> positions;
  for (size_t i = 0; i < block->size(); ++i) {
    const PublicKey& sender = (*block)[i].tx.sender;
    if (count[sender] > 1) positions[sender].push_back(i);
  }
  std::vector<BlockTx> txs;
  for (auto& [sender, where] : positions) {
    if (where.size() < 2) continue;
    txs.clear();
    for (size_t i : where) txs.push_back(std::move((*block)[i]));
    // Stable: equal nonces (competing transactions) keep their committed order.
    std::stable_sort(txs.begin(), txs.end(), [](const BlockTx& a, const BlockTx& b) {
      return a.tx.nonce < b.tx.nonce;
    });
    for (size_t k = 0; k < where.size(); ++k) (*block)[where[k]] = std::move(txs[k]);
  }
}

}  // namespace gridledger
