#include "tools/loadgen/cost_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gridledger::loadgen {
namespace {

enum Kind { kAdmission = 0, kPeerBatch = 1, kConsensus = 2 };

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void BoundText(const LoadgenResult& result, const VerificationBound& bound, std::string* out) {
  if (bound.tps() <= 0) return;
  absl::StrAppendFormat(out,
                        " Verification bound (measured this run): %.0f tx/s = %.3g cores / (%u "
                        "validators x %.1f us per verification; calibrated %.1f us before, "
                        "%.1f us after the load)\n",
                        bound.tps(), bound.cores, bound.validators, bound.verify_us(),
                        bound.verify_us_before, bound.verify_us_after);
  absl::StrAppendFormat(out, " Committed TPS (steady) / bound: %.2f\n",
                        Ratio(result.tps_steady, bound.tps()));
}

// Validators per slice: each verifies every transaction of its slice.
double PerSlice(const CpuCost& cpu) {
  return cpu.bound.validators > 0 ? cpu.bound.validators : cpu.steady.validators;
}

// Transaction verifications per committed transaction, per validator: each
// validator verifies its slice's transactions, about committed / slices.
double PerValidator(const CpuCost& cpu, double verifications) {
  const SteadyCost& s = cpu.steady;
  const double n = PerSlice(cpu);
  if (s.committed == 0 || n <= 0 || s.validators == 0) return 0;
  const double slices = std::max(1.0, s.validators / n);
  return verifications * slices / static_cast<double>(s.committed);
}

// Verifications per committed transaction per validator, and why above 1.
void VerificationText(const LoadgenResult& result, const CpuCost& cpu, std::string* out) {
  const SteadyCost& s = cpu.steady;
  if (!s.verifications_measured || s.committed == 0 || s.validators == 0) return;
  const double committed = static_cast<double>(s.committed);
  const double n = PerSlice(cpu);
  const double admission = s.verifications[kAdmission] / committed;
  const double peer = s.verifications[kPeerBatch] / committed;
  const double per_validator =
      PerValidator(cpu, s.verifications[kAdmission] + s.verifications[kPeerBatch]) / s.validators;
  absl::StrAppendFormat(out,
                        " Transaction verifications per committed tx, per validator (steady "
                        "window): %.2f (cluster: admission %.2f + peer batches %.2f; consensus "
                        "signatures %.2f per validator)\n",
                        per_validator, admission, peer,
                        PerValidator(cpu, s.verifications[kConsensus]) / s.validators);
  if (s.tx_verifications_by_validator.size() == s.validators) {
    absl::StrAppend(out, "   by validator:");
    for (size_t v = 0; v < s.validators; ++v) {
      absl::StrAppendFormat(out, " %u %.2f%s", v, PerValidator(cpu, s.tx_verifications_by_validator[v]),
                            v + 1 < s.validators ? "," : "\n");
    }
  }
  if (per_validator < 0.995) {
    absl::StrAppendFormat(out,
                          "   below 1 per validator: spare peers deferred peer batches that a "
                          "certificate then proved (defer_peer_verification, availability_votes, "
                          "core/consensus/params.h): %.2f validators verified each tx, not %.0f. "
                          "The bound above assumes every validator verifies every transaction.\n",
                          per_validator * n, n);
  }
  if (per_validator <= 1.005 || s.sent == 0) return;
  // Per transaction sent in the window: each needs 1 admission check (at the
  // validator it was sent to) and n-1 peer-batch checks. Commits lag sends
  // while the load is not steady, which raises the figure per committed tx.
  const double sent = static_cast<double>(s.sent);
  absl::StrAppendFormat(out,
                        "   above 1 per validator: %.2f sent per committed tx in the window "
                        "(commits lag sends unless the load is steady); per tx sent, admission "
                        "%.2f (1 = checked once; above: sent again to another validator, %.2f "
                        "submissions per tx over the run, or refused after verifying, %u "
                        "rejected) and peer batches %.2f (%.0f = once by each other validator; "
                        "above: batches verified again or never committed)\n",
                        sent / committed, s.verifications[kAdmission] / sent,
                        Ratio(static_cast<double>(result.submissions),
                              static_cast<double>(result.sent)),
                        result.rejected, s.verifications[kPeerBatch] / sent, n - 1);
}

void SteadyCpuText(const LoadgenResult& result, const CpuCost& cpu, std::string* out) {
  const SteadyCost& s = cpu.steady;
  if (!s.measured || s.committed == 0) {
    absl::StrAppendFormat(out, " CPU per committed tx (steady window): not measured (%s)\n",
                          s.measured ? "nothing committed in the window" : s.not_measured);
    if (cpu.process_cpu_s > 0 && result.committed > 0) {
      absl::StrAppendFormat(out,
                            " CPU per committed tx, all validators, whole lifetime (start-up and "
                            "drain included): %.0f us\n",
                            cpu.process_cpu_s * 1e6 / result.committed);
    }
    return;
  }
  const double committed = static_cast<double>(s.committed);
  absl::StrAppendFormat(out,
                        " Steady window: %.0f s to %.0f s after the load's start (%.0f s, %u "
                        "committed); start-up and drain excluded\n",
                        s.begin_s, s.end_s, s.window_s(), s.committed);
  const double per_tx_us = s.validator_cpu_s * 1e6 / committed;
  if (s.verifications_measured && cpu.verify_cost_us > 0) {
    const double tx_verifs = (s.verifications[kAdmission] + s.verifications[kPeerBatch]) / committed;
    const double consensus_verifs = s.verifications[kConsensus] / committed;
    const double verify_us = (tx_verifs + consensus_verifs) * cpu.verify_cost_us;
    absl::StrAppendFormat(out,
                          " CPU per committed tx, all validators (steady window): %.0f us "
                          "(signature checks %.0f us = (%.2f tx + %.2f consensus) verifications "
                          "x %.1f us, %.0f%%; other %.0f us)\n",
                          per_tx_us, verify_us, tx_verifs, consensus_verifs, cpu.verify_cost_us,
                          100 * Ratio(verify_us, per_tx_us), per_tx_us - verify_us);
  } else {
    absl::StrAppendFormat(out, " CPU per committed tx, all validators (steady window): %.0f us\n",
                          per_tx_us);
  }
  if (s.threads_measured && s.validator_cpu_s > 0) {
    // Measured in place, not estimated: the verification threads decode,
    // hash and check each transaction (checking is nearly all of it).
    absl::StrAppend(out, " Validator CPU by thread (steady window, all validators):");
    for (size_t g = 0; g < kThreadGroups.size(); ++g) {
      absl::StrAppendFormat(out, " %s %.1f%% (%.0f us/tx);", kThreadGroups[g],
                            100 * s.thread_group_cpu_s[g] / s.validator_cpu_s,
                            s.thread_group_cpu_s[g] * 1e6 / committed);
    }
    out->back() = '\n';
  }
  VerificationText(result, cpu, out);
  if (s.verifications_measured && s.validators > 0) {
    // Each validator stores every transaction of its slice.
    absl::StrAppendFormat(out,
                          " Synced writes (fsync'd LMDB commits and consensus log appends) per committed tx, "
                          "per validator "
                          "(steady window): %.3f (%.0f writes, all validators; %.0f more writes "
                          "rode in them)\n",
                          PerValidator(cpu, s.synced_writes) / s.validators, s.synced_writes,
                          s.ridden_writes);
  }
  if (!s.stages.empty()) {
    absl::StrAppend(out, " Latency anatomy (own batches, steady window, p50 / p99 ms):");
    for (const StageLatency& stage : s.stages) {
      absl::StrAppendFormat(out, " %s %.1f / %.1f;", stage.stage, stage.p50_ms, stage.p99_ms);
    }
    out->back() = '\n';
  }
}

}  // namespace

std::string CostSummaryText(const LoadgenResult& result, const CpuCost& cpu) {
  std::string out;
  BoundText(result, cpu.bound, &out);
  if (cpu.steady.validators > 0 || cpu.process_cpu_s > 0) SteadyCpuText(result, cpu, &out);
  return out;
}

void WriteCostJson(JsonWriter& w, const LoadgenResult& result, const CpuCost& cpu) {
  w.Key("cpu").BeginObject();
  w.Key("process_cpu_s").Double(cpu.process_cpu_s);
  w.Key("signatures_verified").Double(cpu.signatures_verified, 0);
  w.Key("verify_cost_us").Double(cpu.verify_cost_us);
  w.Key("verify_s").Double(cpu.verify_s());
  w.EndObject();
  const VerificationBound& b = cpu.bound;
  w.Key("verification_bound").BeginObject();
  w.Key("tps").Double(b.tps(), 1);
  w.Key("cores").Double(b.cores, 2);
  w.Key("validators").Uint(b.validators);
  w.Key("verify_us").Double(b.verify_us());
  w.Key("verify_us_before").Double(b.verify_us_before);
  w.Key("verify_us_after").Double(b.verify_us_after);
  w.EndObject();
  w.Key("tps_to_bound").Double(Ratio(result.tps_steady, b.tps()));
  const SteadyCost& s = cpu.steady;
  const double committed = static_cast<double>(s.committed);
  w.Key("steady_window").BeginObject();
  w.Key("measured").Bool(s.measured);
  w.Key("not_measured").String(s.not_measured);
  w.Key("begin_s").Double(s.begin_s, 1);
  w.Key("end_s").Double(s.end_s, 1);
  w.Key("committed").Uint(s.committed);
  w.Key("sent").Uint(s.sent);
  w.Key("validators").Uint(s.validators);
  w.Key("validator_cpu_s").Double(s.validator_cpu_s);
  w.Key("harness_cpu_s").Double(s.harness_cpu_s);
  w.Key("validator_cpu_us_per_tx").Double(Ratio(s.validator_cpu_s * 1e6, committed), 1);
  w.Key("harness_cpu_us_per_tx").Double(Ratio(s.harness_cpu_s * 1e6, committed), 1);
  w.Key("verifications").BeginObject();
  for (size_t k = 0; k < kSignatureKinds.size(); ++k) {
    w.Key(kSignatureKinds[k]).Double(s.verifications[k], 0);
  }
  w.EndObject();
  w.Key("tx_verifications_per_committed_tx_per_validator")
      .Double(s.validators == 0
                  ? 0
                  : PerValidator(cpu, s.verifications[kAdmission] + s.verifications[kPeerBatch]) /
                        s.validators);
  w.Key("synced_writes").Double(s.synced_writes, 0);
  w.Key("ridden_writes").Double(s.ridden_writes, 0);
  w.Key("synced_writes_per_committed_tx_per_validator")
      .Double(s.validators == 0 ? 0 : PerValidator(cpu, s.synced_writes) / s.validators, 4);
  w.Key("tx_verifications_per_committed_tx_by_validator").BeginArray();
  for (double v : s.tx_verifications_by_validator) w.Double(PerValidator(cpu, v));
  w.EndArray();
  w.Key("thread_cpu_s").BeginObject();
  if (s.threads_measured) {
    for (size_t g = 0; g < kThreadGroups.size(); ++g) {
      w.Key(kThreadGroups[g]).Double(s.thread_group_cpu_s[g]);
    }
  }
  w.EndObject();
  w.Key("stages_ms").BeginObject();
  for (const StageLatency& stage : s.stages) {
    w.Key(stage.stage).BeginObject();
    w.Key("count").Uint(stage.count);
    w.Key("p50").Double(stage.p50_ms);
    w.Key("p99").Double(stage.p99_ms);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace gridledger::loadgen
