// The consensus core in-process, n = 4, every message delivered at once
// (no network, no disk): certificates processed per second and committed
// transactions per second with tiny (32-byte) payloads. Arg(0) verifies every
// signature with libsecp256k1; Arg(1) caches verified triples (as the simulator
// does) to show the core's own overhead. And, from the simulator, commit
// latency in rounds in the fault-free case (Bullshark: 2 for an anchor).
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

#include "core/consensus/core.h"
#include "core/crypto/sha256.h"
#include "tests/sim/caching_checker.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::consensus {
namespace {

constexpr uint32_t kValidators = 4;
constexpr size_t kTxBytes = 32;
constexpr size_t kTxsPerValidatorPerTick = 500;

class InProcessCluster {
 public:
  explicit InProcessCluster(bool cache_signatures) {
    Parameters params;
    params.batch_bytes = kTxBytes * kTxsPerValidatorPerTick;
    params.max_batch_delay_ms = 10;
    params.max_header_delay_ms = 10;
    params.header_batches_max = 4;
    std::vector<PublicKey> pubs;
    std::vector<KeyPair> keys;
    for (uint32_t i = 0; i < kValidators; ++i) {
      keys.push_back(KeyPair::FromSeed(500 + i));
      pubs.push_back(keys.back().public_key());
    }
    Committee committee = *Committee::Create(SliceId(1), pubs, TaggedHash("bench/chain-id", {}));
    for (uint32_t i = 0; i < kValidators; ++i) {
      checkers_.push_back(cache_signatures
                              ? std::unique_ptr<SignatureChecker>(new sim::CachingChecker())
                              : std::unique_ptr<SignatureChecker>(new SchnorrChecker()));
      cores_.push_back(std::make_unique<Core>(committee, params, ValidatorIndex(i), keys[i],
                                              checkers_.back().get()));
      Run(i, cores_.back()->Start({}, 0));
    }
  }

  // 10 ms of virtual time: every validator takes its share of transactions,
  // then its timer fires.
  void Tick() {
    now_ms_ += kTimerPeriodMs;
    for (uint32_t v = 0; v < kValidators; ++v) {
      for (size_t i = 0; i < kTxsPerValidatorPerTick; ++i) {
        Bytes tx(kTxBytes, 0);
        const uint64_t id = next_tx_++;
        for (int b = 0; b < 8; ++b) tx[b] = static_cast<uint8_t>(id >> (8 * b));
        auto actions = cores_[v]->SubmitTransaction(std::move(tx), now_ms_);
        if (actions.ok()) Run(v, std::move(*actions));
      }
      Run(v, cores_[v]->OnTimer(now_ms_));
    }
  }

  uint64_t certificates_inserted() const {
    uint64_t total = 0;
    for (const auto& c : cores_) total += c->stats().certificates_inserted;
    return total;
  }
  uint64_t committed_txs() const { return committed_txs_; }
  uint64_t commits() const { return commits_; }

 private:
  void Run(uint32_t node, std::vector<Action> actions) {
    queue_.emplace_back(node, std::move(actions));
    while (!queue_.empty()) {
      auto [from, batch] = std::move(queue_.front());
      queue_.pop_front();
      for (Action& a : batch) {
        if (auto* s = std::get_if<SendAction>(&a)) {
          for (uint32_t to = 0; to < kValidators; ++to) {
            if (to == from || (s->to.has_value() && s->to->value() != to)) continue;
            queue_.emplace_back(to, cores_[to]->OnMessage(ValidatorIndex(from), s->message, now_ms_));
          }
        } else if (auto* v = std::get_if<VerifyBatchAction>(&a)) {
          // Client signatures are the verify benchmark's subject: accepted here.
          queue_.emplace_back(from, cores_[from]->OnBatchVerified(v->digest, true, now_ms_));
        } else if (auto* c = std::get_if<CommitAction>(&a)) {
          if (from != 0) continue;  // count one validator's output
          ++commits_;
          for (const auto& b : c->sub_dag.batches) committed_txs_ += b->transactions.size();
        }
      }
    }
  }

  std::vector<std::unique_ptr<SignatureChecker>> checkers_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::deque<std::pair<uint32_t, std::vector<Action>>> queue_;
  TimeMs now_ms_ = 0;
  uint64_t next_tx_ = 0;
  uint64_t committed_txs_ = 0;
  uint64_t commits_ = 0;
};

void BM_ConsensusCoreN4(benchmark::State& state) {
  InProcessCluster cluster(state.range(0) == 1);
  for (auto _ : state) cluster.Tick();
  state.counters["certificates/s"] = benchmark::Counter(
      static_cast<double>(cluster.certificates_inserted()), benchmark::Counter::kIsRate);
  state.counters["committed_tx/s"] = benchmark::Counter(
      static_cast<double>(cluster.committed_txs()), benchmark::Counter::kIsRate);
  state.counters["commits"] = static_cast<double>(cluster.commits());
  if (cluster.commits() == 0 && state.iterations() >= 10) state.SkipWithError("nothing committed");
}
BENCHMARK(BM_ConsensusCoreN4)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ConsensusCoreN4)->Name("BM_ConsensusCoreN4_smoke")->Arg(0)->Iterations(20);

// Fault-free simulator runs (n = 4, seeded delays 1..35 ms): the mean of
// (DAG height at commit - anchor round + 1) over every honest commit.
void BM_SimFaultFreeCommitLatency(benchmark::State& state) {
  const uint32_t validators = static_cast<uint32_t>(state.range(0));
  uint64_t seed = 1;
  double latency_rounds = 0, tx_latency_ms = 0;
  int runs = 0;
  for (auto _ : state) {
    const sim::SimResult r = sim::RunSimulation(sim::DrawConfig(seed++, validators, false));
    if (!r.ok) state.SkipWithError(r.failure.c_str());
    latency_rounds += r.mean_commit_latency_rounds;
    tx_latency_ms += r.mean_tx_latency_ms;
    ++runs;
  }
  state.counters["commit_latency_rounds"] = latency_rounds / runs;
  state.counters["tx_latency_ms_virtual"] = tx_latency_ms / runs;
}
BENCHMARK(BM_SimFaultFreeCommitLatency)->Arg(4)->Arg(7)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimFaultFreeCommitLatency)->Name("BM_SimFaultFreeCommitLatency_smoke")->Arg(4)->Iterations(1);

}  // namespace
}  // namespace gridledger::consensus
