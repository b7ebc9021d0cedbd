#include "storage/block_commit.h"

#include "absl/container/flat_hash_set.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {

BlockWrite MakeBlockWrite(uint64_t sequence, const Digest& anchor,
                          absl::Span<const BlockTx> block, const BlockOutcome& outcome) {
  GL_CHECK(outcome.results.size() == block.size());
  BlockWrite write;
  write.sequence = sequence;
  write.meta.anchor = anchor;
  write.meta.num_txs = static_cast<uint32_t>(block.size() + outcome.released.size());
  write.meta.state_summary = outcome.state_summary;
  absl::flat_hash_set<TxId> released;
  for (const ReleasedTx& r : outcome.released) {
    released.insert(r.result.id);
    write.released.push_back(r.result.id);
  }
  write.txs.reserve(block.size() + outcome.released.size());
  for (size_t i = 0; i < block.size(); ++i) {
    const TxResult& r = outcome.results[i];
    GL_CHECK(r.id == block[i].id && r.index == i);
    if (r.code == TxResultCode::kDuplicate) continue;
    if (r.code == TxResultCode::kHeld && released.contains(r.id)) continue;
    write.txs.emplace_back(r.id, StoredTx{r.code, r.reason, sequence, r.index, block[i].raw});
  }
  for (const ReleasedTx& r : outcome.released) {
    const TxResult& f = r.result;
    GL_CHECK(f.index >= block.size() && f.status() != TxStatus::kHeld);
    write.txs.emplace_back(f.id, StoredTx{f.code, f.reason, sequence, f.index, r.raw});
  }
  write.accounts = outcome.accounts;
  write.accounts_before = outcome.accounts_before;
  write.held_removed = outcome.held_removed;
  write.held_added = outcome.held_added;
  write.market = outcome.market;
  return write;
}

absl::StatusOr<BlockOutcome> ExecuteAndCommit(NodeStore& store, const Executor& executor,
                                              const Digest& anchor,
                                              absl::Span<const BlockTx> block,
                                              uint64_t consensus_time_ms,
                                              const ExtraCommitWrite& extra,
                                              absl::Span<const Bytes> imports,
                                              const BeforeWrite& before_write) {
  BlockOutcome outcome;
  uint64_t executed_on = 0;
  {
    // The snapshot's read txn ends before the write, so a map resize can proceed.
    GL_ASSIGN_OR_RETURN(std::unique_ptr<StoreStateView> view, store.Snapshot());
    GL_ASSIGN_OR_RETURN(executed_on, view->LastCommittedSequence());
    GL_ASSIGN_OR_RETURN(outcome, executor.ExecuteBlock(*view, block, consensus_time_ms, imports));
  }
  const BlockWrite write = MakeBlockWrite(executed_on + 1, anchor, block, outcome);
  // Encoded and hashed before the wait: the work overlaps the records' write.
  GL_ASSIGN_OR_RETURN(const PreparedBlock prepared, store.PrepareBlock(write));
  if (before_write) GL_RETURN_IF_ERROR(before_write());
  // The write re-checks the sequence inside its txn: if another commit
  // landed after the snapshot, this one fails instead of applying stale state.
  GL_RETURN_IF_ERROR(store.CommitPrepared(prepared, extra));
  return outcome;
}

}  // namespace gridledger::storage
