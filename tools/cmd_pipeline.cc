// `gridledger pipeline`: the single-process ledger pipeline, end to end:
// generate signed transfers among funded accounts, verify them in batches
// (BatchVerifier: GPU when present, else the CPU pool), decode, execute and
// commit each block to LMDB (synced), then check that money is conserved.
// It exercises every foundation component without consensus or network.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/common/check.h"
#include "core/common/thread_pool.h"
#include "core/crypto/schnorr.h"
#include "core/execution/executor.h"
#include "core/execution/genesis.h"
#include "core/tx/codec.h"
#include "gpu/backend_select.h"
#include "storage/block_commit.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"
#include "tools/cli.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr uint64_t kInitialBalance = 1'000'000'000;  // 1000 units in micro-units
constexpr SliceId kSlice{0};

struct Workload {
  std::vector<KeyPair> keys;
  std::vector<Bytes> txs;
  uint64_t planted_invalid = 0;
};

// Transfers with correct, per-sender consecutive nonces; amounts small enough
// that most succeed, with a few overdrafts so failures are exercised too.
std::vector<KeyPair> AccountKeys(uint32_t accounts, uint64_t seed) {
  std::vector<KeyPair> keys;
  for (uint32_t i = 0; i < accounts; ++i) keys.push_back(KeyPair::FromSeed(seed * 1'000'003 + i));
  return keys;
}

// One slice, one validator (the DSO key), every account funded. Its digest is
// the chain id the workload is signed for.
Genesis PipelineGenesis(const std::vector<KeyPair>& keys, uint64_t seed) {
  Genesis genesis;
  genesis.dso = KeyPair::FromSeed(seed + 77).public_key();
  genesis.slices.push_back(GenesisSlice{kSlice, {GenesisValidator{genesis.dso, "127.0.0.1", 1}}});
  for (const KeyPair& k : keys) {
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{kSlice, k.public_key()}, Amount(kInitialBalance)});
  }
  return genesis;
}

Workload Generate(uint64_t n, std::vector<KeyPair> keys, uint32_t invalid_permille,
                  uint64_t seed, const Digest& chain_id, ThreadPool& pool) {
  Workload w;
  w.keys = std::move(keys);
  const uint32_t accounts = static_cast<uint32_t>(w.keys.size());
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> next_nonce(accounts, 0);
  std::vector<Transaction> unsigned_txs(n);
  std::vector<uint32_t> sender_of(n);
  std::vector<uint8_t> corrupt(n, 0);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t from = rng() % accounts;
    uint32_t to = rng() % (accounts - 1);
    if (to >= from) ++to;
    // 1 in 200 tries to move more than any account holds.
    uint64_t amount = rng() % 200 == 0 ? kInitialBalance * 4 : 1 + rng() % 10'000;
    Transaction& tx = unsigned_txs[i];
    tx.slice = kSlice;
    tx.nonce = Nonce(next_nonce[from]++);
    tx.sender = w.keys[from].public_key();
    tx.body = TransferBody{AccountRef{kSlice, w.keys[to].public_key()}, Amount(amount)};
    sender_of[i] = from;
    if (rng() % 1000 < invalid_permille) corrupt[i] = 1;
  }
  w.txs.resize(n);
  pool.ParallelFor(n, 64, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      SignTransaction(&unsigned_txs[i], w.keys[sender_of[i]], chain_id);
      w.txs[i] = Encode(unsigned_txs[i]);
      if (corrupt[i]) w.txs[i].back() ^= 0x01;
    }
  });
  for (uint8_t c : corrupt) w.planted_invalid += c;
  return w;
}

int RunPipeline(int argc, char** argv) {
  CLI::App app("Generate N signed transfers among K accounts, verify them in batches, execute "
               "and commit them to LMDB, and print a summary.",
               "gridledger pipeline");
  app.footer("exit: 0 money conserved and every planted bad signature caught, 1 otherwise, "
             "2 usage");
  uint64_t n = 100000;
  uint32_t accounts = 1000;
  uint32_t block_txs = 5000;
  uint32_t invalid_permille = 1;
  uint64_t seed = 1;
  std::string dir;
  std::string backend_name = "auto";
  AddNumber(&app, "--pipeline_txs", &n, "transfers to generate");
  AddNumber<uint32_t>(&app, "--pipeline_accounts", &accounts, "funded accounts", 2,
                      std::numeric_limits<uint32_t>::max());
  AddNumber<uint32_t>(&app, "--pipeline_block_txs", &block_txs,
                      "transactions per committed block", 1,
                      static_cast<uint32_t>(kMaxBlockTxs));
  AddNumber<uint32_t>(&app, "--pipeline_invalid_permille", &invalid_permille,
                      "transactions per 1000 generated with a corrupted signature", 0, 1000);
  AddNumber(&app, "--pipeline_seed", &seed, "seed for keys and the transfer pattern");
  app.add_option("--pipeline_dir", dir,
                 "LMDB directory (default: a fresh temporary one, removed at the end)");
  AddChoice(&app, "--backend", &backend_name,
            "signature verification backend: auto (GPU when present) | cpu | gpu",
            {"auto", "cpu", "gpu"});
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto backend = ParseVerifierBackend(backend_name);
  if (!backend.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", std::string(backend.status().message()).c_str());
    return 2;
  }
  VerifierChoice choice = MakeBatchVerifier(*backend);

  const bool temporary_dir = dir.empty();
  if (temporary_dir) {
    char tmpl[] = "/tmp/gridledger-pipeline-XXXXXX";
    GL_CHECK(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }

  ThreadPool pool(0);
  std::printf("pipeline: %llu transfers among %u accounts, blocks of %u, verifier %s (%s), store %s\n",
              static_cast<unsigned long long>(n), accounts, block_txs,
              std::string(choice.verifier->name()).c_str(), choice.reason.c_str(), dir.c_str());
  auto gen_start = Clock::now();
  std::vector<KeyPair> keys = AccountKeys(accounts, seed);
  const Genesis genesis = PipelineGenesis(keys, seed);
  const Digest chain_id = GenesisDigest(genesis);
  Workload w = Generate(n, std::move(keys), invalid_permille, seed,
                        chain_id, pool);
  std::printf("pipeline: generated and signed in %.2f s (%llu planted bad signatures)\n",
              Seconds(Clock::now() - gen_start),
              static_cast<unsigned long long>(w.planted_invalid));

  int exit_code = 0;
  {
    auto store = storage::NodeStore::Open(storage::LmdbOptions{.dir = dir});
    if (!store.ok()) {
      std::fprintf(stderr, "pipeline: open store: %s\n", store.status().ToString().c_str());
      return 1;
    }
    if (absl::Status s = storage::SeedFromGenesis(**store, genesis, kSlice); !s.ok()) {
      std::fprintf(stderr, "pipeline: seed genesis: %s\n", s.ToString().c_str());
      return 1;
    }
    Executor executor(kSlice);

    Clock::duration verify_time{}, decode_time{}, commit_time{};
    uint64_t verified = 0, rejected_signature = 0, rejected_decode = 0;
    std::map<std::string, uint64_t> results;
    auto last_progress = Clock::now();
    std::vector<Digest> ids;
    std::vector<uint8_t> valid;
    std::vector<ByteSpan> spans;
    for (uint64_t begin = 0; begin < n; begin += block_txs) {
      const uint64_t end = std::min<uint64_t>(n, begin + block_txs);
      spans.clear();
      for (uint64_t i = begin; i < end; ++i) spans.emplace_back(w.txs[i]);
      ids.assign(spans.size(), Digest());
      valid.assign(spans.size(), 0);
      auto t0 = Clock::now();
      if (absl::Status s = choice.verifier->VerifyTransactions(chain_id, spans,
                                                               absl::MakeSpan(ids),
                                                               absl::MakeSpan(valid));
          !s.ok()) {
        std::fprintf(stderr, "pipeline: verifier failed: %s\n", s.ToString().c_str());
        return 1;
      }
      auto t1 = Clock::now();
      std::vector<BlockTx> block;
      block.reserve(spans.size());
      for (size_t i = 0; i < spans.size(); ++i) {
        if (!valid[i]) {
          ++rejected_signature;
          continue;
        }
        auto tx = Decode(spans[i]);
        if (!tx.ok()) {
          ++rejected_decode;
          continue;
        }
        block.push_back(BlockTx{ids[i], *std::move(tx), Bytes(spans[i].begin(), spans[i].end())});
      }
      auto t2 = Clock::now();
      Digest anchor = ids.empty() ? Digest() : ids.front();
      auto outcome = storage::ExecuteAndCommit(**store, executor, anchor, block);
      if (!outcome.ok()) {
        std::fprintf(stderr, "pipeline: commit failed: %s\n", outcome.status().ToString().c_str());
        return 1;
      }
      auto t3 = Clock::now();
      verify_time += t1 - t0;
      decode_time += t2 - t1;
      commit_time += t3 - t2;
      verified += spans.size();
      for (const TxResult& r : outcome->results) ++results[std::string(TxResultCodeName(r.code))];
      if (Seconds(t3 - last_progress) >= 1.0 || end == n) {
        last_progress = t3;
        std::printf("[pipeline] %llu/%llu verified  commit seq %llu  verify %.0f/s  execute+commit %.0f/s\n",
                    static_cast<unsigned long long>(end), static_cast<unsigned long long>(n),
                    static_cast<unsigned long long>((*store)->last_committed_sequence()),
                    verified / std::max(1e-9, Seconds(verify_time)),
                    verified / std::max(1e-9, Seconds(decode_time + commit_time)));
        std::fflush(stdout);
      }
    }

    // Money conservation: every genesis account plus anything created (none
    // here: all recipients are genesis accounts) still sums to the total.
    uint64_t total = 0;
    for (const KeyPair& k : w.keys) {
      auto acct = (*store)->GetAccount(AccountRef{kSlice, k.public_key()});
      GL_CHECK(acct.ok());
      total += acct->balance.value();
    }
    const uint64_t expected_total = kInitialBalance * accounts;
    const bool conserved = total == expected_total;
    const bool all_bad_caught = rejected_signature == w.planted_invalid;
    uint64_t committed_ok = results["success"];

    std::printf("\n=== gridledger pipeline summary ===\n");
    std::printf(" verifier:              %s (%s)\n", std::string(choice.verifier->name()).c_str(),
                choice.reason.c_str());
    std::printf(" transactions:          %llu in %llu blocks\n", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>((*store)->last_committed_sequence()));
    std::printf(" verified:              %.0f tx/s (signature + id, %.2f s)\n",
                verified / std::max(1e-9, Seconds(verify_time)), Seconds(verify_time));
    std::printf(" decoded:               %.0f tx/s (%.2f s)\n",
                verified / std::max(1e-9, Seconds(decode_time)), Seconds(decode_time));
    std::printf(" executed + committed:  %.0f tx/s (LMDB, synced per block, %.2f s)\n",
                verified / std::max(1e-9, Seconds(commit_time)), Seconds(commit_time));
    std::printf(" rejected signature:    %llu (planted %llu)\n",
                static_cast<unsigned long long>(rejected_signature),
                static_cast<unsigned long long>(w.planted_invalid));
    std::printf(" rejected decode:       %llu\n", static_cast<unsigned long long>(rejected_decode));
    std::printf(" results:");
    for (const auto& [name, count] : results) {
      std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(count));
    }
    std::printf("\n committed successfully: %llu\n", static_cast<unsigned long long>(committed_ok));
    std::printf(" money conserved:       %s (%llu of %llu)\n", conserved ? "yes" : "NO",
                static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(expected_total));
    if (!conserved || !all_bad_caught || rejected_decode != 0) exit_code = 1;
  }
  if (temporary_dir) std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace

GL_REGISTER_COMMAND(pipeline, "single-process pipeline: sign, verify, execute, commit to LMDB",
                    RunPipeline);

}  // namespace gridledger::tools
