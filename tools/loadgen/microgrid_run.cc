#include "tools/loadgen/microgrid_run.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/loadgen/nonce_query.h"

namespace gridledger::loadgen {
namespace {

// After the last settlement's consensus time: room for the commit that runs
// it (consensus time trails the wall clock by about a round).
constexpr absl::Duration kSettleCommitMargin = absl::Milliseconds(1500);
constexpr int64_t kNonceQueryMs = 5'000;

}  // namespace

std::string DescribeMicrogrid(const WorkloadFlags& flags, const MarketTiming& timing) {
  return absl::StrCat("microgrid (", flags.prosumers, " prosumers per slice, seed ", flags.seed,
                      "; intervals ", timing.interval_ms, " ms, gate closure ",
                      timing.gate_closure_ms, " ms, reading window ", timing.reading_window_ms,
                      " ms)");
}

absl::StatusOr<PreparedMicrogrid> PrepareMicrogrid(const std::string& dir,
                                                   const Deployment& deployment,
                                                   const WorkloadFlags& flags,
                                                   absl::Duration duration,
                                                   const MicrogridNonces& nonces) {
  GL_ASSIGN_OR_RETURN(KeyPair dso, LoadDsoKey(dir, deployment.genesis));
  PreparedMicrogrid prepared;
  prepared.start = absl::Now() + kMicrogridStartDelay;
  MicrogridOptions options;
  options.prosumers_per_slice = flags.prosumers;
  options.seed = flags.seed;
  options.start_unix_ms = static_cast<uint64_t>(absl::ToUnixMillis(prepared.start));
  options.duration_ms = static_cast<uint64_t>(absl::ToInt64Milliseconds(duration));
  // A DSO that has signed before: the tariff and registrations are taken
  // to be in force (registering again would fail and hold its later nonces).
  for (uint64_t n : nonces.dso) options.setup = options.setup && n == 0;
  if (!options.setup) {
    std::printf("microgrid: the DSO has signed transactions already: no tariff or "
                "registrations sent (they must be in force for these prosumers)\n");
  }
  prepared.start = absl::FromUnixMillis(static_cast<int64_t>(options.start_unix_ms));
  GL_ASSIGN_OR_RETURN(prepared.plan,
                      PlanMicrogrid(MicrogridKeys{&deployment, dso}, options, nonces));
  const MicrogridPlan& p = prepared.plan;
  std::printf("microgrid: %u prosumers per slice, intervals %llu..%llu (%llu), %llu setup, "
              "%llu orders, %llu readings (%llu meter outages) planned\n",
              flags.prosumers, static_cast<unsigned long long>(p.first_interval),
              static_cast<unsigned long long>(p.last_interval),
              static_cast<unsigned long long>(p.last_interval - p.first_interval + 1),
              static_cast<unsigned long long>(p.registrations),
              static_cast<unsigned long long>(p.orders),
              static_cast<unsigned long long>(p.readings),
              static_cast<unsigned long long>(p.outages));
  std::fflush(stdout);
  return prepared;
}

void UseMicrogrid(const PreparedMicrogrid& prepared, LoadgenOptions* options) {
  options->plan = &prepared.plan.txs;
  options->start_at = prepared.start;
}

bool WaitForSettlement(const MicrogridPlan& plan, const std::atomic<bool>* stop) {
  const absl::Time until =
      absl::FromUnixMillis(static_cast<int64_t>(plan.settled_by_unix_ms)) + kSettleCommitMargin;
  if (until - absl::Now() > kMaxSettleWait) return false;
  while (absl::Now() < until) {
    if (stop != nullptr && stop->load()) return false;
    absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
  }
  return true;
}

absl::StatusOr<MicrogridNonces> QueryMicrogridNonces(
    const Deployment& deployment, const std::vector<std::vector<std::string>>& grpc_by_slice,
    uint32_t prosumers) {
  MicrogridNonces nonces = FreshNonces(deployment);
  const PublicKey dso = deployment.genesis.dso;
  for (size_t s = 0; s < nonces.accounts.size(); ++s) {
    if (s >= grpc_by_slice.size() || grpc_by_slice[s].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("no gRPC address for slice ", s));
    }
    auto stub = gridledger::v1::Ledger::NewStub(
        grpc::CreateChannel(grpc_by_slice[s][0], grpc::InsecureChannelCredentials()));
    const uint32_t slice = static_cast<uint32_t>(s);
    const auto& pool = deployment.accounts_by_slice[s];
    for (size_t a = 0; a < pool.size() && a < 2 * size_t{prosumers}; ++a) {
      GL_ASSIGN_OR_RETURN(nonces.accounts[s][a],
                          QueryNextNonce(*stub, slice, pool[a].public_key(), kNonceQueryMs));
    }
    GL_ASSIGN_OR_RETURN(nonces.dso[s], QueryNextNonce(*stub, slice, dso, kNonceQueryMs));
  }
  return nonces;
}

std::string CommittedByKindText(const std::map<std::string, uint64_t>& committed) {
  std::string out = " + MARKET (committed transaction results):\n Committed:";
  if (committed.empty()) absl::StrAppend(&out, " none");
  for (const auto& [kind, count] : committed) absl::StrAppend(&out, " ", kind, " ", count, ";");
  absl::StrAppend(&out,
                  "\n Clearing and settlement figures are in the validators' stores "
                  "(`gridledger cluster --workload=microgrid` reads them after its run)\n",
                  "-----------------------------------------\n");
  return out;
}

std::map<std::string, uint64_t> CommittedByKind(const MicrogridPlan& plan,
                                                const LoadgenResult& result) {
  absl::flat_hash_map<TxId, TxKind> kind_of;
  for (size_t i = 0; i < plan.txs.size(); ++i) kind_of[plan.txs[i].id] = plan.info[i].kind;
  std::map<std::string, uint64_t> counts;
  for (const AckedCommit& c : result.acked_commits) {
    auto it = kind_of.find(c.id);
    if (it == kind_of.end() || !c.success) continue;
    ++counts[absl::AsciiStrToLower(TxKindName(it->second))];
  }
  return counts;
}

}  // namespace gridledger::loadgen
