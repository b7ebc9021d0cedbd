#include "tools/loadgen/store_check.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "storage/node_store.h"

namespace gridledger::loadgen {

namespace {

// Sequences without a final checkpoint from the store's restart point up to
// kCheckpointHoleMarginCommits below its last commit.
absl::StatusOr<uint64_t> CheckpointHoles(storage::NodeStore& store) {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> synced, store.StateSyncedFrom());
  const uint64_t from = synced.value_or(1);
  const uint64_t last = store.last_committed_sequence();
  if (last < from + kCheckpointHoleMarginCommits) return 0;
  const uint64_t to = last - kCheckpointHoleMarginCommits;
  GL_ASSIGN_OR_RETURN(storage::LmdbTable table, store.env().OpenTable(storage::kCheckpointsTable));
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, store.env().BeginRead());
  GL_ASSIGN_OR_RETURN(storage::Cursor cursor, txn.OpenCursor(table));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(storage::EncodeCommitKey(from)));
  uint64_t present = 0;
  while (on) {
    GL_ASSIGN_OR_RETURN(uint64_t sequence, storage::DecodeCommitKey(cursor.key()));
    if (sequence > to) break;
    ++present;
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  return (to - from + 1) - present;
}

}  // namespace

absl::StatusOr<StoreCheck> CheckStores(const std::vector<std::vector<std::string>>& store_dirs,
                                       const std::vector<AckedCommit>& acked) {
  StoreCheck check;
  for (size_t s = 0; s < store_dirs.size(); ++s) {
    std::vector<std::unique_ptr<storage::NodeStore>> stores;
    for (const std::string& dir : store_dirs[s]) {
      storage::LmdbOptions options;
      options.dir = dir;
      auto store = storage::NodeStore::Open(options);
      if (!store.ok()) {
        return absl::Status(store.status().code(),
                            absl::StrCat(dir, ": ", store.status().message()));
      }
      stores.push_back(*std::move(store));
      ++check.stores;
    }
    for (const AckedCommit& a : acked) {
      if (a.slice != s) continue;
      std::optional<storage::StoredTx> first;
      for (const auto& store : stores) {
        auto tx = store->GetTx(a.id);
        if (absl::IsNotFound(tx.status())) {
          ++check.missing;
          break;
        }
        GL_RETURN_IF_ERROR(tx.status());
        const bool success = tx->code == TxResultCode::kSuccess;
        if (success != a.success) {
          ++check.result_mismatches;
          break;
        }
        if (first.has_value() && !(tx->code == first->code &&
                                   tx->commit_sequence == first->commit_sequence &&
                                   tx->index == first->index && tx->raw == first->raw)) {
          ++check.result_mismatches;
          break;
        }
        if (!first.has_value()) first = *std::move(tx);
      }
    }
    // Each store's running state root equals its from-scratch hash.
    for (const auto& store : stores) {
      GL_ASSIGN_OR_RETURN(Digest running, store->StateRoot());
      GL_ASSIGN_OR_RETURN(Digest recomputed, store->RecomputeStateRoot());
      if (running != recomputed) {
        ++check.state_mismatches;
        break;
      }
    }
    // Stores agree on every commit they all hold (same anchor, same state
    // summary, same state root); a store restored by state sync holds the
    // commits from its snapshot's sequence on.
    uint64_t common = UINT64_MAX;
    uint64_t first = 1;
    for (size_t i = 0; i < stores.size(); ++i) {
      const auto& store = stores[i];
      common = std::min(common, store->last_committed_sequence());
      GL_ASSIGN_OR_RETURN(std::optional<uint64_t> synced, store->StateSyncedFrom());
      if (!synced.has_value()) continue;
      first = std::max(first, *synced);
      check.state_synced.push_back(StoreCheck::StateSynced{
          static_cast<uint32_t>(s), static_cast<uint32_t>(i), *synced,
          store->last_committed_sequence()});
    }
    for (const auto& store : stores) {
      GL_ASSIGN_OR_RETURN(uint64_t holes, CheckpointHoles(*store));
      check.checkpoint_holes += holes;
    }
    for (uint64_t seq = first; !stores.empty() && seq <= common && common != UINT64_MAX; ++seq) {
      GL_ASSIGN_OR_RETURN(storage::CommitMeta reference, stores[0]->GetCommit(seq));
      bool same = true;
      for (size_t i = 1; i < stores.size() && same; ++i) {
        GL_ASSIGN_OR_RETURN(storage::CommitMeta meta, stores[i]->GetCommit(seq));
        GL_ASSIGN_OR_RETURN(Digest root, stores[i]->StateRootAt(seq));
        GL_ASSIGN_OR_RETURN(Digest reference_root, stores[0]->StateRootAt(seq));
        same = meta == reference && root == reference_root;
      }
      if (!same) {
        ++check.state_mismatches;
        break;
      }
    }
  }
  check.done = true;
  return check;
}

}  // namespace gridledger::loadgen
