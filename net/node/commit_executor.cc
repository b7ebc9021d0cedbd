#include "net/node/commit_executor.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/execution/block_formation.h"
#include "storage/block_commit.h"

namespace gridledger::node {

absl::Status CommitExecutor::Execute(const consensus::CommittedSubDag& sub,
                                     const storage::BeforeWrite& before_write) {
  const uint64_t sequence = sub.index + 1;
  const uint64_t last = store_->last_committed_sequence();
  FormedBlock formed = FormBlock(sub.batches);
  stats_.undecodable_skipped += formed.undecodable;
  const std::vector<BlockTx>& block = formed.txs;
  const std::vector<Bytes>& imports = formed.imports;
  const std::vector<TxId>& import_ids = formed.import_ids;
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
