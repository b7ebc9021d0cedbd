#include "net/node/commit_executor.h"

#include <cstdio>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/execution/receipt.h"
#include "core/tx/codec.h"
#include "storage/block_commit.h"

namespace gridledger::node {

std::vector<BlockTx> CommitExecutor::Flatten(const consensus::CommittedSubDag& sub,
                                             std::vector<Bytes>* imports,
                                             std::vector<TxId>* import_ids) {
  size_t total = 0;
  for (const auto& batch : sub.batches) total += batch->transactions.size();
  std::vector<BlockTx> block;
  block.reserve(total);
  absl::flat_hash_set<TxId> seen;
  seen.reserve(total);
  for (const auto& batch : sub.batches) {
    for (ByteSpan raw : batch->transactions) {
      if (IsReceiptImport(raw)) {
        const TxId id = ComputeTxId(raw);
        if (!seen.insert(id).second) continue;
        imports->emplace_back(raw.begin(), raw.end());
        import_ids->push_back(id);
        continue;
      }
      // Certified batches were decoded and verified by f+1 validators (the
      // certificate's verified votes), an honest one among them, so body
      // keys need no second curve check (DecodeCertified); an envelope
      // that still fails to decode is skipped by every honest node alike.
      auto tx = DecodeCertified(raw);
      if (!tx.ok()) {
        ++stats_.undecodable_skipped;
        continue;
      }
      const TxId id = ComputeTxId(raw);
      if (!seen.insert(id).second) continue;
      block.push_back(BlockTx{id, std::move(*tx), Bytes(raw.begin(), raw.end())});
    }
  }
  OrderSendersByNonce(&block);
  return block;
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

absl::Status CommitExecutor::Execute(const consensus::CommittedSubDag& sub,
                                     const storage::BeforeWrite& before_write) {
  const uint64_t sequence = sub.index + 1;
  const uint64_t last = store_->last_committed_sequence();
  std::vector<Bytes> imports;
  std::vector<TxId> import_ids;
  std::vector<BlockTx> block = Flatten(sub, &imports, &import_ids);
  std::vector<TxId> ids;
  ids.reserve(block.size());
  for (const BlockTx& tx : block) ids.push_back(tx.id);
  // What this commit settles in the mempool: transactions and imports (the
  // commit record lists only transactions: the commit stream reads them).
  std::vector<TxId> settled = ids;
  settled.insert(settled.end(), import_ids.begin(), import_ids.end());

  if (sequence <= last) {
    // Executed before (a restart re-emits it, or catch-up delivers it again):
    // only if it is the same commit; a different anchor at this sequence is
    // a fork of this node's own history.
    GL_ASSIGN_OR_RETURN(storage::CommitMeta meta, store_->GetCommit(sequence));
    if (meta.anchor != sub.anchor) {
      return absl::InternalError(absl::StrCat(
          "commit ", sequence, " was executed with anchor ", meta.anchor.ShortHex(),
          " but is committed again with anchor ", sub.anchor.ShortHex()));
    }
    ++stats_.already_executed;
    if (before_write) GL_RETURN_IF_ERROR(before_write());
    GL_RETURN_IF_ERROR(consensus_store_->RecordCommit(sub, sequence, ids));
  } else if (sequence != last + 1) {
    return absl::InternalError(absl::StrCat("commit index ", sub.index, " would be sequence ",
                                            sequence, " but the store is at ", last));
  } else {
    // One synced write: results, accounts, nonce hold, commit metadata, the
    // consensus commit record and the removal of admitted entries.
    const storage::ExtraCommitWrite extra = [&](storage::WriteTxn& txn) -> absl::Status {
      GL_RETURN_IF_ERROR(consensus_store_->WriteCommitRecord(txn, sub, sequence, ids));
      return admitted_ != nullptr ? admitted_->EraseIn(txn, ids) : absl::OkStatus();
    };
    GL_ASSIGN_OR_RETURN(BlockOutcome outcome,
                        storage::ExecuteAndCommit(*store_, executor_, sub.anchor, block,
                                                  sub.time_ms, extra, imports,
                                                  before_write));
    ++stats_.executed;
    for (const ImportOutcome& io : outcome.imports) {
      stats_.receipts_credited += io.credited;
      stats_.receipts_duplicate += io.duplicates;
      if (!io.refused.empty()) ++stats_.imports_refused;
    }
    if (observer_) observer_(sequence, block, outcome);
    if (metrics_ != nullptr) {
      metrics_->AddCommit();
      metrics_->AddCommittedTransactions(outcome.results.size());
      metrics_->SetLastCommittedSequence(sequence);
      metrics_->SetRecentTxIds(store_->recent_txs());
      metrics_->SetTxIndexRuns(store_->tx_index_runs());
    }
  }
  if (admitted_ != nullptr) admitted_->Forget(ids);
  pending_->EraseAll(settled);
  feed_->Publish(sequence);
  return absl::OkStatus();
}

}  // namespace gridledger::node
