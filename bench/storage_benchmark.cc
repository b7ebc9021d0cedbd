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
#include <string>
#include <vector>

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

void BM_StorageCommitBlock(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  ScratchDir dir;
  {
    LmdbOptions options;
    options.dir = dir.path();
    auto store = NodeStore::Open(options);
    GL_CHECK(store.ok());
    std::vector<std::pair<AccountRef, AccountState>> genesis;
    for (uint64_t a = 0; a <= kBenchAccounts; ++a) {
      genesis.emplace_back(AccountRef{kSlice, BenchKey(a)},
                           AccountState{Amount(uint64_t{1} << 40), Nonce(0)});
    }
    GL_CHECK((*store)->SeedGenesis(Digest(), Digest(), genesis).ok());
    const Executor executor(kSlice);
    std::vector<uint64_t> nonces(kBenchAccounts + 1, 0);
    uint64_t salt = 0;
    uint64_t failed = 0;
    for (auto _ : state) {
      state.PauseTiming();
      std::vector<BlockTx> block = MakeBlock(n, nonces, ++salt);
      const Digest anchor(BenchKey(salt + (uint64_t{1} << 32)).bytes);
      state.ResumeTiming();
      auto outcome = ExecuteAndCommit(**store, executor, anchor, block);
      GL_CHECK(outcome.ok());
      for (const TxResult& r : outcome->results) failed += r.ok() ? 0 : 1;
    }
    GL_CHECK(failed == 0);  // every transfer in the benchmark is valid
    state.counters["map_growths"] = (*store)->env().map_growths();
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

// Bytes this process has caused to be written to storage (/proc/self/io).
uint64_t ProcWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value) {
    if (name == "write_bytes:") return value;
  }
  return 0;
}

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

}  // namespace
}  // namespace gridledger::storage
