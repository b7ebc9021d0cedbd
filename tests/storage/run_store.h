// Test helper: a NodeStore whose recent run (storage/recent_txs.h) merges at
// the bounds a test picks, and the merge point it has reached.
#ifndef GRIDLEDGER_TESTS_STORAGE_RUN_STORE_H_
#define GRIDLEDGER_TESTS_STORAGE_RUN_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/common/check.h"
#include "gtest/gtest.h"
#include "storage/node_store.h"
#include "storage/state_snapshot.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage::testing {

inline constexpr size_t kNeverMerge = size_t{1} << 40;

inline std::unique_ptr<NodeStore> OpenRunStore(const TempDir& dir, size_t merge_at,
                                               size_t account_versions_merge_at = kNeverMerge) {
  LmdbOptions options;
  options.dir = dir.path();
  // Room for every test: a map growth would wait for the readers the tests
  // keep open on this thread.
  options.initial_map_size_bytes = 32 << 20;
  NodeStoreOptions store_options;
  store_options.recent_txs_merge_at = merge_at;
  store_options.recent_account_versions_merge_at = account_versions_merge_at;
  absl::StatusOr<std::unique_ptr<NodeStore>> store = NodeStore::Open(options, store_options);
  GL_CHECK(store.ok());
  return std::move(*store);
}

inline uint64_t MergedThrough(NodeStore& store) {
  absl::StatusOr<ReadTxn> txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  absl::StatusOr<uint64_t> merged = ReadTxsMergedThrough(*txn, store.tables());
  GL_CHECK(merged.ok());
  return *merged;
}

// `source`'s state cut into chunks of at most `chunk_bytes` and assembled
// (Add checks the order), with the point of its last commit.
inline void CutAndAssemble(NodeStore& source, SnapshotAssembler* assembler, SnapshotPoint* point,
                           size_t chunk_bytes = 500) {
  absl::StatusOr<ReadTxn> txn = source.env().BeginRead();
  ASSERT_TRUE(txn.ok()) << txn.status();
  absl::StatusOr<std::vector<Bytes>> chunks = CutStateChunks(*txn, source.tables(), chunk_bytes);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  for (const Bytes& chunk : *chunks) ASSERT_TRUE(assembler->Add(chunk).ok());
  point->sequence = source.last_committed_sequence();
  point->state_root = *source.StateRoot();
  point->commit = *source.GetCommit(point->sequence);
}

// Commits SyntheticBlock(2..last) while `readers` threads each call
// `read(reader, i)` until the commits are done (at most `reads_max` times
// each); returns the reads made. A failed commit is a test failure.
inline int CommitWhileReading(NodeStore& store, uint64_t last, int readers, int reads_max,
                              const std::function<void(int reader, int i)>& read) {
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; i < reads_max && !done.load(); ++i) {
        read(r, i);
        reads.fetch_add(1);
      }
    });
  }
  for (uint64_t seq = 2; seq <= last; ++seq) {
    const absl::Status committed = store.CommitBlock(SyntheticBlock(seq));
    if (!committed.ok()) {
      ADD_FAILURE() << seq << " " << committed;
      break;
    }
  }
  done.store(true);
  for (std::thread& t : threads) t.join();
  return reads.load();
}

}  // namespace gridledger::storage::testing

#endif  // GRIDLEDGER_TESTS_STORAGE_RUN_STORE_H_
