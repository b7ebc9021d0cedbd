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

// Room for every test by default: a map growth would wait for the readers
// the tests keep open on this thread.
inline std::unique_ptr<NodeStore> OpenStoreWith(const TempDir& dir,
                                                const NodeStoreOptions& store_options,
                                                size_t map_bytes = size_t{32} << 20) {
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = map_bytes;
  absl::StatusOr<std::unique_ptr<NodeStore>> store = NodeStore::Open(options, store_options);
  GL_CHECK_MSG(store.ok(), store.status().ToString().c_str());
  return std::move(*store);
}

inline std::unique_ptr<NodeStore> OpenRunStore(const TempDir& dir, size_t merge_at,
                                               size_t account_versions_merge_at = kNeverMerge) {
  NodeStoreOptions store_options;
  store_options.recent_txs_merge_at = merge_at;
  store_options.recent_account_versions_merge_at = account_versions_merge_at;
  return OpenStoreWith(dir, store_options);
}

// Entries of `table` now.
inline size_t TableEntries(NodeStore& store, LmdbTable table) {
  absl::StatusOr<ReadTxn> txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  absl::StatusOr<Cursor> cursor = txn->OpenCursor(table);
  GL_CHECK(cursor.ok());
  size_t n = 0;
  for (bool on = *cursor->First(); on; on = *cursor->Next()) ++n;
  return n;
}

// Every tx of SyntheticBlock(1..last) reads back as written; the next
// block's first id and `more_absent` ids never committed are absent.
inline void ExpectTxsThrough(const NodeStore& store, uint64_t last, uint32_t more_absent = 0) {
  std::vector<TxId> ids;
  std::vector<StoredTx> expected;
  for (uint64_t seq = 1; seq <= last; ++seq) {
    for (auto& [id, tx] : SyntheticBlock(seq).txs) {
      ids.push_back(id);
      expected.push_back(tx);
    }
  }
  ids.push_back(SyntheticTxId(last + 1, 0));
  for (uint32_t i = 0; i < more_absent; ++i) ids.push_back(Tagged("absent", i));
  const std::vector<absl::StatusOr<StoredTx>> got = store.GetTxs(ids);
  ASSERT_EQ(got.size(), ids.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << i << " " << got[i].status();
    ASSERT_EQ(*got[i], expected[i]) << i;
  }
  for (size_t i = expected.size(); i < got.size(); ++i) {
    EXPECT_EQ(got[i].status().code(), absl::StatusCode::kNotFound) << i;
  }
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
