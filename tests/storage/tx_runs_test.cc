// The txs index as sorted runs (storage/tx_runs.h, storage/tx_run_filter.h):
// filters never hide an id; the run list's codec refuses malformed lists;
// a store whose recent run flushes every few commits and compacts in tiny
// chunks finds every id (with the newest record of a released held tx),
// keeps its runs few, deletes what compactions replaced, reopens in the
// middle of a compaction, serves readers on other threads throughout, cuts
// and restores snapshots, and upgrades a layout-4 store (ids in txs).
// Every store is compared with one that never merges.
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "gtest/gtest.h"
#include "storage/node_store.h"
#include "storage/state_snapshot.h"
#include "storage/tx_run_filter.h"
#include "storage/tx_runs.h"
#include "tests/storage/run_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using testing::CommitWhileReading;
using testing::CutAndAssemble;
using testing::ExpectTxsThrough;
using testing::TableEntries;
using testing::kNeverMerge;
using testing::SyntheticBlock;
using testing::SyntheticTxId;
using testing::Tagged;

std::unique_ptr<NodeStore> OpenLsmStore(const TempDir& dir, size_t merge_at,
                                        size_t compaction_work,
                                        size_t map_bytes = size_t{32} << 20) {
  NodeStoreOptions store_options;
  store_options.recent_txs_merge_at = merge_at;
  store_options.recent_account_versions_merge_at = kNeverMerge;
  store_options.tx_run_compaction_work = compaction_work;
  return testing::OpenStoreWith(dir, store_options, map_bytes);
}

TxRunList RunList(NodeStore& store) {
  absl::StatusOr<ReadTxn> txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  absl::StatusOr<TxRunList> list = ReadTxRunList(*txn, store.tables());
  GL_CHECK(list.ok());
  return *list;
}

TEST(RunFilterTest, NeverHidesAnIdAndRarelyClaimsOne) {
  RunFilter filter(20000);
  for (uint32_t i = 0; i < 20000; ++i) filter.Add(Tagged("in", i));
  for (uint32_t i = 0; i < 20000; ++i) ASSERT_TRUE(filter.MayContain(Tagged("in", i))) << i;
  int false_positives = 0;
  for (uint32_t i = 0; i < 20000; ++i) false_positives += filter.MayContain(Tagged("out", i));
  // ~0.5 % expected at 12 bits per id; 2 % would mean a broken probe.
  EXPECT_LT(false_positives, 400);
  EXPECT_EQ(filter.bytes(), (20000 * RunFilter::kBitsPerId + 511) / 512 * 64);
  // An empty filter still answers (one block).
  EXPECT_FALSE(RunFilter(0).MayContain(Tagged("in", 1)));
}

TEST(TxRunListTest, RoundTripsAndRefusesMalformedLists) {
  TxRunList list;
  list.next_number = 12;
  list.live = {TxRun{11, 0, 5}, TxRun{3, 1, 40}, TxRun{4, 1, 41}, TxRun{7, 1, 30},
               TxRun{8, 1, 33}, TxRun{2, 2, 160}};
  list.dead = {TxRun{9, 0, 2}};
  list.compaction = TxCompaction{TxRun{10, 2, 17}, {4, 7, 8, 2}, Tagged("through", 1)};
  // Inputs must be level-1 runs: the last one here is level 2.
  EXPECT_EQ(DecodeTxRunList(EncodeTxRunList(list)).status().code(),
            absl::StatusCode::kDataLoss);
  list.compaction->inputs = {3, 4, 7, 8};
  absl::StatusOr<TxRunList> decoded = DecodeTxRunList(EncodeTxRunList(list));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, list);

  auto refused = [](const TxRunList& bad, absl::string_view why) {
    absl::StatusOr<TxRunList> got = DecodeTxRunList(EncodeTxRunList(bad));
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << why;
  };
  TxRunList bad = list;
  bad.compaction.reset();
  bad.live[4].level = 0;  // a level-0 run older than level-1 ones: order lost
  refused(bad, "levels decrease toward the oldest");
  bad = list;
  bad.compaction->inputs.push_back(2);
  refused(bad, "more inputs than a level holds");
  bad = list;
  bad.dead[0].number = 11;
  refused(bad, "a number twice");
  bad = list;
  bad.next_number = 11;
  refused(bad, "a number not yet issued");
  bad = list;
  bad.compaction->inputs = {3, 7, 8};
  refused(bad, "inputs not contiguous");
  bad = list;
  bad.compaction->output.level = 0;
  refused(bad, "output at level 0");
  const Bytes encoded = EncodeTxRunList(list);
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(DecodeTxRunList(ByteSpan(encoded.data(), size)).status().code(),
              absl::StatusCode::kDataLoss)
        << size;
  }
  Bytes version = encoded;
  version[0] = 2;
  EXPECT_EQ(DecodeTxRunList(version).status().code(), absl::StatusCode::kDataLoss);
  Bytes trailing = EncodeTxRunList(list);
  trailing.push_back(0);
  EXPECT_EQ(DecodeTxRunList(trailing).status().code(), absl::StatusCode::kDataLoss);
}

// Flushes every ~2 commits, compaction chunks of a few dozen entries: many
// runs, compactions spanning many commits, at every level up to 3.
TEST(TxRunsTest, EveryIdFoundThroughFlushesAndChunkedCompactions) {
  TempDir dir, reference_dir;
  // 16 + 4 per id: a little above the 6 entries of work per id that three
  // levels take, so compaction keeps up (as the node's default does).
  auto store = OpenLsmStore(dir, 6, /*compaction_work=*/16);
  auto reference = OpenLsmStore(reference_dir, kNeverMerge, 0);
  uint8_t max_level = 0;
  size_t max_live = 0;
  bool saw_chunked = false;
  constexpr uint64_t kLast = 600;
  for (uint64_t seq = 1; seq <= kLast; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    ASSERT_TRUE(reference->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    const TxRunList list = RunList(*store);
    for (const TxRun& run : list.live) max_level = std::max(max_level, run.level);
    max_live = std::max(max_live, list.live.size());
    if (list.compaction.has_value() && list.compaction->output.entries > 0) saw_chunked = true;
    if (seq % 50 == 0 || seq == kLast) {
      ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, seq, 50));
      EXPECT_EQ(*store->StateRoot(), *reference->StateRoot()) << seq;
      EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot()) << seq;
    }
  }
  EXPECT_GE(max_level, 3) << "max live runs " << max_live;
  EXPECT_TRUE(saw_chunked);
  // A few runs per level, plus the small runs that pile up while a large
  // compaction runs (one at a time; the pace grows with the pile).
  EXPECT_LE(max_live, 8 * kTxRunsPerLevel);
  EXPECT_GT(store->tx_run_filter_bytes(), 0u);
  // Stored entries: the live runs, the output being written and the dead
  // runs' remainder; nothing else (the replaced runs were deleted).
  const TxRunList list = RunList(*store);
  uint64_t expected = 0;
  for (const TxRun& run : list.live) expected += run.entries;
  for (const TxRun& run : list.dead) expected += run.entries;
  if (list.compaction.has_value()) expected += list.compaction->output.entries;
  EXPECT_EQ(TableEntries(*store, store->tables().txs_runs) +
                TableEntries(*store, store->tables().txs_merged),
            expected);
  EXPECT_EQ(TableEntries(*store, store->tables().txs), 0u);
  // Ids of stored runs are refused again, in any run.
  for (uint64_t seq : {uint64_t{2}, uint64_t{300}, kLast}) {
    BlockWrite again = SyntheticBlock(kLast + 1);
    again.txs[0].first = SyntheticTxId(seq, 0);
    EXPECT_EQ(store->CommitBlock(again).code(), absl::StatusCode::kFailedPrecondition) << seq;
  }
}

TEST(TxRunsTest, ReopenedInTheMiddleOfACompactionItFinishesIt) {
  TempDir dir;
  auto store = OpenLsmStore(dir, 6, 0);
  uint64_t seq = 1;
  for (; seq < 400; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    const TxRunList list = RunList(*store);
    if (list.compaction.has_value() && list.compaction->output.entries > 0 &&
        list.compaction->output.level >= 2) {
      break;
    }
  }
  ASSERT_LT(seq, 400u) << "no level-2 compaction in progress";
  const uint32_t output = RunList(*store).compaction->output.number;
  store.reset();
  store = OpenLsmStore(dir, 6, 0);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, seq, 50));
  // Carried on from where it stopped, through to its end.
  for (++seq; RunList(*store).compaction.has_value() &&
              RunList(*store).compaction->output.number == output;
       ++seq) {
    ASSERT_LT(seq, 2000u);
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
  }
  const TxRunList list = RunList(*store);
  bool listed = false;
  for (const TxRun& run : list.live) listed |= run.number == output;
  EXPECT_TRUE(listed);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, seq - 1, 50));
  EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
}

// A held tx released later: the held entry in an older run, the final one
// in a newer run; the newer wins before and after compactions merge them.
TEST(TxRunsTest, AReleasedHeldTxReadsItsFinalRecordFromTheNewerRun) {
  TempDir dir, reference_dir;
  auto store = OpenLsmStore(dir, 6, 0);
  auto reference = OpenLsmStore(reference_dir, kNeverMerge, 0);
  const TxId held = Tagged("held", 7);
  auto commit = [&](const BlockWrite& block) {
    ASSERT_TRUE(reference->CommitBlock(block).ok()) << block.sequence;
    ASSERT_TRUE(store->CommitBlock(block).ok()) << block.sequence;
  };
  BlockWrite first = SyntheticBlock(1);
  StoredTx held_tx;
  held_tx.code = TxResultCode::kHeld;
  held_tx.reason = "held: nonce ahead";
  held_tx.commit_sequence = 1;
  held_tx.index = first.meta.num_txs++;
  held_tx.raw.assign(90, 0x77);
  first.txs.emplace_back(held, held_tx);
  ASSERT_NO_FATAL_FAILURE(commit(first));
  uint64_t seq = 2;
  for (; seq < 20; ++seq) ASSERT_NO_FATAL_FAILURE(commit(SyntheticBlock(seq)));
  BlockWrite release = SyntheticBlock(seq);
  StoredTx final_tx;
  final_tx.commit_sequence = seq;
  final_tx.index = release.meta.num_txs++;
  final_tx.raw.assign(90, 0x77);
  release.txs.emplace_back(held, final_tx);
  release.released.push_back(held);
  ASSERT_NO_FATAL_FAILURE(commit(release));
  const uint64_t released_at = seq++;
  // Flushed: the held entry and the final one in two live runs; a snapshot
  // cut takes the newer (the older names a record tx_log no longer has).
  for (const uint64_t runs = RunList(*store).live.size();
       RunList(*store).live.size() == runs; ++seq) {
    ASSERT_NO_FATAL_FAILURE(commit(SyntheticBlock(seq)));
  }
  {
    SnapshotAssembler assembler;
    SnapshotPoint point;
    ASSERT_NO_FATAL_FAILURE(CutAndAssemble(*store, &assembler, &point));
    TempDir restored_dir;
    auto restored = OpenLsmStore(restored_dir, 6, 0);
    ASSERT_TRUE(restored->RestoreSnapshot(assembler, point).ok());
    EXPECT_EQ(*restored->RecomputeStateRoot(), point.state_root);
    EXPECT_EQ(restored->GetTx(held)->commit_sequence, released_at);
  }
  for (; seq < 400; ++seq) {
    ASSERT_NO_FATAL_FAILURE(commit(SyntheticBlock(seq)));
    absl::StatusOr<StoredTx> got = store->GetTx(held);
    ASSERT_TRUE(got.ok()) << seq << " " << got.status();
    ASSERT_EQ(got->commit_sequence, released_at) << seq;
    ASSERT_EQ(got->status(), TxStatus::kCommitted) << seq;
  }
  EXPECT_EQ(*store->StateRoot(), *reference->StateRoot());
  EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
  store.reset();
  store = OpenLsmStore(dir, 6, 0);
  EXPECT_EQ(store->GetTx(held)->commit_sequence, released_at);
}

TEST(TxRunsTest, ReadersOnOtherThreadsFindEveryIdThroughCompactions) {
  TempDir dir;
  auto store = OpenLsmStore(dir, 6, 0);
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  std::atomic<int> wrong{0};
  const int reads = CommitWhileReading(*store, 500, 2, 200000, [&](int reader, int i) {
    const uint64_t last = store->last_committed_sequence();
    const uint64_t seq = 1 + static_cast<uint64_t>(i * 7919 + reader * 31) % last;
    absl::StatusOr<StoredTx> got = store->GetTx(SyntheticTxId(seq, 0));
    if (!got.ok() || got->commit_sequence != seq) wrong.fetch_add(1);
    absl::StatusOr<std::unique_ptr<StoreStateView>> view = store->Snapshot();
    if (!view.ok() || !*(*view)->HasExecuted(SyntheticTxId(seq, 0)) ||
        *(*view)->HasExecuted(Tagged("absent", i))) {
      wrong.fetch_add(1);
    }
  });
  EXPECT_GT(reads, 0);
  EXPECT_EQ(wrong.load(), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, 500, 50));
}

TEST(TxRunsTest, ASnapshotOfRunsRestoresAndTheRestoredStoreBuildsRunsOverIt) {
  TempDir dir, reference_dir;
  auto store = OpenLsmStore(dir, 6, 0);
  auto reference = OpenLsmStore(reference_dir, kNeverMerge, 0);
  uint64_t seq = 1;
  for (; seq <= 150; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
    ASSERT_TRUE(reference->CommitBlock(SyntheticBlock(seq)).ok());
  }
  ASSERT_GT(RunList(*store).live.size(), 1u);
  SnapshotAssembler from_runs, from_reference;
  SnapshotPoint point, reference_point;
  ASSERT_NO_FATAL_FAILURE(CutAndAssemble(*store, &from_runs, &point));
  ASSERT_NO_FATAL_FAILURE(CutAndAssemble(*reference, &from_reference, &reference_point));
  EXPECT_EQ(from_runs.Root(), from_reference.Root());

  // Restored over a store that has runs of its own: they go.
  TempDir restored_dir;
  auto restored = OpenLsmStore(restored_dir, 6, 0);
  ASSERT_TRUE(restored->CommitBlock(SyntheticBlock(1)).ok());
  for (uint64_t s = 2; s <= 40; ++s) ASSERT_TRUE(restored->CommitBlock(SyntheticBlock(s)).ok());
  const uint32_t next_before = RunList(*restored).next_number;
  ASSERT_TRUE(restored->RestoreSnapshot(from_runs, point).ok());
  EXPECT_TRUE(RunList(*restored).live.empty());
  EXPECT_EQ(RunList(*restored).next_number, next_before);
  EXPECT_EQ(TableEntries(*restored, restored->tables().txs_runs), 0u);
  EXPECT_EQ(*restored->RecomputeStateRoot(), point.state_root);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*restored, seq - 1, 50));
  for (; seq <= 300; ++seq) ASSERT_TRUE(restored->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
  EXPECT_FALSE(RunList(*restored).live.empty());
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*restored, seq - 1, 50));
  EXPECT_EQ(*restored->RecomputeStateRoot(), *restored->StateRoot());
}

// Writes that fail (the commit's extra write refuses; the map grows and the
// write is retried) while runs flush and compactions start, advance and
// complete: the store afterwards equals one that never failed.
TEST(TxRunsTest, FailedAndRetriedWritesDuringCompactionsLeaveTheIndexWhole) {
  TempDir dir, reference_dir;
  auto store = OpenLsmStore(dir, 6, 16, /*map_bytes=*/size_t{1} << 18);
  auto reference = OpenLsmStore(reference_dir, kNeverMerge, 0);
  const ExtraCommitWrite refuse = [](WriteTxn&) {
    return absl::UnavailableError("refused by the test");
  };
  int refused = 0;
  for (uint64_t seq = 1; seq <= 400; ++seq) {
    if (seq % 3 == 0) {
      ASSERT_EQ(store->CommitBlock(SyntheticBlock(seq), refuse).code(),
                absl::StatusCode::kUnavailable);
      ++refused;
    }
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    ASSERT_TRUE(reference->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
  }
  EXPECT_GT(refused, 100);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, 400, 50));
  EXPECT_EQ(*store->StateRoot(), *reference->StateRoot());
  EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
  store.reset();
  store = OpenLsmStore(dir, 6, 16);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, 400, 50));
}

// Layout 4 merged ids into the txs table itself: such a store opens with
// its ids found there, and its first write stamps layout 5.
TEST(TxRunsTest, ALayoutFourStoreKeepsItsTxsIndexAndIsStampedByItsFirstWrite) {
  TempDir dir;
  {
    auto store = OpenLsmStore(dir, 6, 0);
    for (uint64_t seq = 1; seq <= 20; ++seq) {
      ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
    }
    ASSERT_GT(RunList(*store).live.size(), 1u);
    // As layout 4 would have left it: every merged id in txs, no runs.
    ASSERT_TRUE(store->env().Write([&](WriteTxn& txn) -> absl::Status {
      GL_ASSIGN_OR_RETURN(const TxRunList runs, ReadTxRunList(txn, store->tables()));
      std::vector<std::pair<TxId, uint64_t>> ids;
      GL_RETURN_IF_ERROR(ForEachIndexedTx(txn, store->tables(), runs,
                                          [&](const TxId& id, uint64_t seq) {
                                            ids.emplace_back(id, seq);
                                            return absl::OkStatus();
                                          }));
      for (const auto& [id, seq] : ids) {
        GL_RETURN_IF_ERROR(txn.Append(store->tables().txs, id.span(), EncodeCommitKey(seq)));
      }
      GL_RETURN_IF_ERROR(txn.Clear(store->tables().txs_runs));
      GL_RETURN_IF_ERROR(txn.Clear(store->tables().txs_merged));
      GL_RETURN_IF_ERROR(txn.Delete(store->tables().meta, MetaKey(kMetaTxsRuns)));
      Bytes layout;
      ByteWriter(&layout).U64(4);
      return txn.Put(store->tables().meta, MetaKey(kMetaStoreLayout), layout);
    }).ok());
  }
  auto layout = [&](NodeStore& store) {
    ReadTxn txn = *store.env().BeginRead();
    return *ReadStoreLayout(txn, store.tables());
  };
  auto store = OpenLsmStore(dir, 6, 0);
  EXPECT_EQ(store->tx_index_runs(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, 20, 50));
  EXPECT_EQ(layout(*store), std::optional<uint64_t>(4));  // read only: untouched
  uint64_t seq = 21;
  for (; seq <= 200; ++seq) ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
  EXPECT_EQ(layout(*store), std::optional<uint64_t>(kStoreLayoutVersion));
  ASSERT_NO_FATAL_FAILURE(ExpectTxsThrough(*store, 200, 50));
  // The old index stays below the runs: its ids are refused again.
  BlockWrite again = SyntheticBlock(201);
  again.txs[0].first = SyntheticTxId(3, 0);
  EXPECT_EQ(store->CommitBlock(again).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
}

}  // namespace
}  // namespace gridledger::storage
