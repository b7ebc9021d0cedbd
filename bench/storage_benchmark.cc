// Commit throughput of the node store: execute a block of transfers over an
// LMDB snapshot, write results + accounts + commit metadata in one write txn,
// and sync it (ExecuteAndCommit). items/s = committed transactions per second.
// Building the block (encoding, ids) is excluded from the timing.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"
#include "core/tx/codec.h"
#include "storage/block_commit.h"
#include "storage/node_store.h"

namespace gridledger::storage {
namespace {

constexpr SliceId kSlice(0);
constexpr uint64_t kBenchAccounts = 1000;

PublicKey BenchKey(uint64_t n) {
  Bytes seed;
  ByteWriter(&seed).U64(n);
  return PublicKey(Sha256(seed).bytes);
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/gridledger-bench-storage-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<BlockTx> MakeBlock(size_t n, std::vector<uint64_t>& nonces, uint64_t salt) {
  std::vector<BlockTx> block;
  block.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t from = i % kBenchAccounts;
    const uint64_t to = (i * 7 + salt) % kBenchAccounts;
    Transaction tx;
    tx.slice = kSlice;
    tx.nonce = Nonce(nonces[from]++);
    tx.sender = BenchKey(from);
    tx.body = TransferBody{AccountRef{kSlice, BenchKey(to == from ? to + 1 : to)}, Amount(1)};
    BlockTx btx;
    btx.tx = tx;
    btx.raw = Encode(tx);
    btx.id = ComputeTxId(btx.raw);
    block.push_back(std::move(btx));
  }
  return block;
}

// A store in `dir` whose kBenchAccounts + 1 accounts are funded.
std::unique_ptr<NodeStore> FundedStore(const std::string& dir,
                                       const NodeStoreOptions& store_options = {}) {
  LmdbOptions options;
  options.dir = dir;
  auto store = NodeStore::Open(options, store_options);
  GL_CHECK(store.ok());
  std::vector<std::pair<AccountRef, AccountState>> genesis;
  for (uint64_t a = 0; a <= kBenchAccounts; ++a) {
    genesis.emplace_back(AccountRef{kSlice, BenchKey(a)},
                         AccountState{Amount(uint64_t{1} << 40), Nonce(0)});
  }
  GL_CHECK((*store)->SeedGenesis(Digest(), Digest(), genesis).ok());
  return std::move(*store);
}

void BM_StorageCommitBlock(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  ScratchDir dir;
  {
    const std::unique_ptr<NodeStore> store = FundedStore(dir.path());
    const Executor executor(kSlice);
    std::vector<uint64_t> nonces(kBenchAccounts + 1, 0);
    uint64_t salt = 0;
    uint64_t failed = 0;
    for (auto _ : state) {
      state.PauseTiming();
      std::vector<BlockTx> block = MakeBlock(n, nonces, ++salt);
      const Digest anchor(BenchKey(salt + (uint64_t{1} << 32)).bytes);
      state.ResumeTiming();
      auto outcome = ExecuteAndCommit(*store, executor, anchor, block);
      GL_CHECK(outcome.ok());
      for (const TxResult& r : outcome->results) failed += r.ok() ? 0 : 1;
    }
    GL_CHECK(failed == 0);  // every transfer in the benchmark is valid
    state.counters["map_growths"] = store->env().map_growths();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_StorageCommitBlock)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();
// A fixed number of commits, so runs compare at the same table sizes (the
// cost of a commit grows with the tables): CPU time per block is the figure.
BENCHMARK(BM_StorageCommitBlock)
    ->Arg(4'000)
    ->Iterations(40)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_StorageCommitBlock)
    ->Name("BM_StorageCommitBlock_smoke")
    ->Arg(100)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// How a commit's time splits around ExecuteAndCommit's before_write: the
// part before it (execution on a snapshot, encoding, the state hash of what
// the execution read) overlaps the write of the records the commit follows
// (net/node/durable_outbox.h); the part after it (the write transaction and
// its synced commit) is what remains on the commit's path.
void BM_StorageCommitBlockSplit(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  ScratchDir dir;
  double before_s = 0;
  double after_s = 0;
  {
    const std::unique_ptr<NodeStore> store = FundedStore(dir.path());
    const Executor executor(kSlice);
    std::vector<uint64_t> nonces(kBenchAccounts + 1, 0);
    uint64_t salt = 0;
    for (auto _ : state) {
      state.PauseTiming();
      std::vector<BlockTx> block = MakeBlock(n, nonces, ++salt);
      const Digest anchor(BenchKey(salt + (uint64_t{1} << 32)).bytes);
      state.ResumeTiming();
      const absl::Time start = absl::Now();
      absl::Time at_wait = start;
      auto outcome = ExecuteAndCommit(*store, executor, anchor, block, 0, nullptr, {},
                                      [&at_wait] {
                                        at_wait = absl::Now();
                                        return absl::OkStatus();
                                      });
      const absl::Time end = absl::Now();
      GL_CHECK(outcome.ok());
      before_s += absl::ToDoubleSeconds(at_wait - start);
      after_s += absl::ToDoubleSeconds(end - at_wait);
    }
  }
  const double blocks = static_cast<double>(state.iterations());
  state.counters["before_wait_ms"] = 1e3 * before_s / blocks;
  state.counters["after_wait_ms"] = 1e3 * after_s / blocks;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_StorageCommitBlockSplit)
    ->Arg(200)
    ->Arg(1'000)
    ->Iterations(40)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A counter of /proc/self/io ("write_bytes:", "wchar:").
uint64_t ProcIo(absl::string_view counter) {
  std::ifstream io("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value) {
    if (name == counter) return value;
  }
  return 0;
}

// Bytes this process has caused to be written to storage.
uint64_t ProcWriteBytes() { return ProcIo("write_bytes:"); }

// The admitted table's pattern (net/node/admitted_store.h) at 8000 tx/s:
// group writes of 16 entries (one synced write each, the 2 ms window), and
// per commit the removal of its 1024 oldest entries, with 8192 outstanding.
// Arg 0: keyed by transaction id (version 1: random keys, removed in commit
// order); arg 1: keyed by admission order (appended, removed in key order).
// Counters: bytes written to the device and CPU per admitted transaction.
void BM_StorageAdmittedLog(benchmark::State& state) {
  constexpr size_t kGroup = 16;
  constexpr size_t kCommitTxs = 1024;
  constexpr size_t kOutstanding = 8192;
  const bool by_order = state.range(0) == 1;
  ScratchDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  auto env = LmdbEnv::Open(options);
  GL_CHECK(env.ok());
  auto table = (*env)->OpenTable("admitted");
  GL_CHECK(table.ok());
  const Bytes value(32 + 8 + 154, 0x5a);
  uint64_t next = 0;
  std::deque<Bytes> outstanding;  // keys, oldest first
  auto key_of = [&](uint64_t n) {
    Bytes key;
    ByteWriter(&key).U64(n);
    return by_order ? key : Bytes(Sha256(key).bytes.begin(), Sha256(key).bytes.end());
  };
  auto admit = [&](size_t n) {
    for (size_t done = 0; done < n; done += kGroup) {
      GL_CHECK((*env)->Write([&](WriteTxn& txn) -> absl::Status {
        for (size_t i = 0; i < kGroup; ++i) {
          const Bytes key = key_of(next + i);
          GL_RETURN_IF_ERROR(by_order ? txn.Append(*table, key, value) : txn.Put(*table, key, value));
        }
        return absl::OkStatus();
      }).ok());
      for (size_t i = 0; i < kGroup; ++i) outstanding.push_back(key_of(next++));
    }
  };
  admit(kOutstanding);
  const uint64_t written_before = ProcWriteBytes();
  for (auto _ : state) {
    admit(kCommitTxs);
    std::vector<Bytes> erased(outstanding.begin(), outstanding.begin() + kCommitTxs);
    outstanding.erase(outstanding.begin(), outstanding.begin() + kCommitTxs);
    if (by_order) std::sort(erased.begin(), erased.end());
    GL_CHECK((*env)->Write([&](WriteTxn& txn) -> absl::Status {
      for (const Bytes& key : erased) GL_RETURN_IF_ERROR(txn.Delete(*table, key));
      return absl::OkStatus();
    }).ok());
  }
  const double txs = static_cast<double>(state.iterations() * kCommitTxs);
  state.counters["write_bytes_per_tx"] =
      static_cast<double>(ProcWriteBytes() - written_before) / txs;
  state.SetItemsProcessed(static_cast<int64_t>(txs));
}
BENCHMARK(BM_StorageAdmittedLog)->Arg(0)->Arg(1)->Iterations(20)->Unit(benchmark::kMillisecond);

// The transaction store as a validator's grows at 8000 tx/s: commits of 2000
// transfers until the store holds 200,000 transactions (20 s of load at 10k
// tx/s). Counters over the second half (100k..200k stored), where the `txs`
// index is larger than a commit: the bytes LMDB wrote (its dirty 4 KiB pages
// and meta pages: /proc/self/io wchar, the bytes passed to write calls; the
// device's write_bytes also counts file-system work and is noisier) per
// committed transaction and per commit, and the wall time per commit
// (execute + write + sync), mean and max.
void BM_StorageTxStoreGrowth(benchmark::State& state) {
  constexpr size_t kCommitTxs = 2000;
  const size_t total_txs = static_cast<size_t>(state.range(0));
  NodeStoreOptions store_options;
  if (state.range(1) > 0) store_options.recent_txs_merge_at = static_cast<size_t>(state.range(1));
  for (auto _ : state) {
    ScratchDir dir;
    const std::unique_ptr<NodeStore> store = FundedStore(dir.path(), store_options);
    const Executor executor(kSlice);
    std::vector<uint64_t> nonces(kBenchAccounts + 1, 0);
    uint64_t salt = 0;
    uint64_t written_before = 0;
    absl::Time started;
    size_t measured_commits = 0;
    double max_commit_ms = 0;
    for (size_t stored = 0; stored < total_txs; stored += kCommitTxs) {
      std::vector<BlockTx> block = MakeBlock(kCommitTxs, nonces, ++salt);
      const Digest anchor(BenchKey(salt + (uint64_t{1} << 32)).bytes);
      if (stored == total_txs / 2) {
        written_before = ProcIo("wchar:");
        started = absl::Now();
      }
      const absl::Time commit_started = absl::Now();
      GL_CHECK(ExecuteAndCommit(*store, executor, anchor, block).ok());
      if (stored >= total_txs / 2) {
        ++measured_commits;
        max_commit_ms = std::max(max_commit_ms,
                                 absl::ToDoubleMilliseconds(absl::Now() - commit_started));
      }
    }
    const double commits = static_cast<double>(measured_commits);
    const double written = static_cast<double>(ProcIo("wchar:") - written_before);
    state.counters["written_bytes_per_tx"] = written / (commits * kCommitTxs);
    state.counters["written_kib_per_commit"] = written / commits / 1024;
    state.counters["ms_per_commit"] = absl::ToDoubleMilliseconds(absl::Now() - started) / commits;
    state.counters["ms_commit_max"] = max_commit_ms;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(total_txs));
}
// Second arg: the recent run's merge bound (0: kRecentTxsMergeAt; 1: every
// commit merges its own ids, i.e. the id index without the recent run).
// 2 M: the index ten times a merge's size (the hash-keyed index of layout 4
// rewrote ~1 page per id there: 1839 B/tx, 196 ms merge commits).
BENCHMARK(BM_StorageTxStoreGrowth)
    ->Args({200'000, 0})
    ->Args({200'000, 1})
    ->Args({2'000'000, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gridledger::storage
