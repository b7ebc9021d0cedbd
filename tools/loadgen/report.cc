#include "tools/loadgen/report.h"

#include <time.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"
#include "tools/loadgen/json_writer.h"
#include "tools/loadgen/market_report.h"

namespace gridledger::loadgen {
namespace {

double Ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

}  // namespace

uint64_t TotalLost(const LoadgenResult& result, const StoreCheck& check) {
  return result.lost_never_committed + check.missing;
}

std::string SummaryText(const RunConfig& config, const LoadgenResult& result,
                        const StoreCheck& check, const CpuCost& cpu) {
  std::string out;
  absl::StrAppend(&out, "-----------------------------------------\n");
  absl::StrAppend(&out, " SUMMARY:\n");
  absl::StrAppend(&out, "-----------------------------------------\n");
  absl::StrAppend(&out, " + CONFIG:\n");
  absl::StrAppendFormat(&out, " Validators per slice: %u\n", config.validators);
  absl::StrAppendFormat(&out, " Slices: %u\n", config.slices);
  absl::StrAppendFormat(&out, " Input rate: %u tx/s\n", config.rate_per_s);
  absl::StrAppendFormat(&out, " Duration: %s\n", absl::FormatDuration(config.duration));
  if (config.workload == "transfer") {
    absl::StrAppendFormat(&out, " Transaction: transfer, %u B signed\n",
                          TxEncodedBytes(TxKind::kTransfer));
  } else {
    absl::StrAppendFormat(&out, " Workload: %s\n", config.workload);
  }
  absl::StrAppendFormat(&out, " Verifier backend: %s\n",
                        config.verifier_backend.empty() ? "unknown" : config.verifier_backend);
  if (!config.pacing.empty()) absl::StrAppendFormat(&out, " Pacing: %s\n", config.pacing);
  absl::StrAppendFormat(&out, " Faults: %s\n", config.faults.empty() ? "none" : config.faults);
  for (const std::string& line : config.fault_log) absl::StrAppend(&out, "   ", line, "\n");
  absl::StrAppend(&out, "\n + RESULTS:\n");
  absl::StrAppendFormat(&out, " Sent: %u tx (%u acknowledged)\n", result.sent, result.accepted);
  absl::StrAppendFormat(&out, " Committed: %u tx (%u learnt by query)\n", result.committed,
                        result.committed_late);
  absl::StrAppendFormat(&out, " Committed TPS (steady, per-second mean): %.0f tx/s\n",
                        result.tps_steady);
  absl::StrAppendFormat(&out, " End-to-end TPS (first send to last commit): %.0f tx/s\n",
                        result.tps_committed);
  absl::StrAppendFormat(&out, " End-to-end latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                        Ms(result.latency.p50_us), Ms(result.latency.p90_us),
                        Ms(result.latency.p99_us), Ms(result.latency.max_us));
  absl::StrAppendFormat(&out, " Rejected: %u tx\n", result.rejected);
  for (const auto& [reason, count] : result.rejected_by_reason) {
    absl::StrAppendFormat(&out, "   %s: %u\n", reason, count);
  }
  absl::StrAppendFormat(&out, " Lost: %u tx (%u never committed, %u missing from a store)\n",
                        TotalLost(result, check), result.lost_never_committed, check.missing);
  if (result.pending_at_end > 0) {
    absl::StrAppendFormat(&out,
                          " Pending at the end (acknowledged, still queued at a validator, not "
                          "yet committed when the drain ended): %u tx\n",
                          result.pending_at_end);
  }
  if (result.held_at_end > 0) {
    absl::StrAppendFormat(&out, " Held for a nonce gap at the end (not final): %u tx\n",
                          result.held_at_end);
  }
  if (result.withheld > 0) {
    absl::StrAppendFormat(&out,
                          " Withheld: %u tx not sent (an earlier nonce of the account was "
                          "refused as overloaded through all its retries)\n",
                          result.withheld);
  }
  if (check.done) {
    absl::StrAppendFormat(&out, " Stores checked: %u (result mismatches %u, state mismatches %u)\n",
                          check.stores, check.result_mismatches, check.state_mismatches);
  }
  if (check.done) {
    absl::StrAppendFormat(&out,
                          " Final checkpoints missing from the stores (from each restart point, "
                          "the last %u commits aside): %u\n",
                          kCheckpointHoleMarginCommits, check.checkpoint_holes);
  }
  for (const StoreCheck::StateSynced& r : check.state_synced) {
    absl::StrAppendFormat(&out,
                          " State sync: slice %u store %u restored a snapshot at sequence %u, "
                          "then committed to %u (%u commits after it)\n",
                          r.slice, r.store, r.from_sequence, r.last_sequence,
                          r.last_sequence - r.from_sequence);
  }
  absl::StrAppend(&out, CostSummaryText(result, cpu));
  absl::StrAppendFormat(&out, " Max send lag: %.1f ms%s\n",
                        static_cast<double>(result.max_send_lag_us) / 1000.0,
                        result.stopped_early ? " (stopped early)" : "");
  if (result.own_cpu_measured) {
    absl::StrAppendFormat(&out,
                          " Load generator CPU (this process, steady window %.1f s, %s "
                          "submission): %.1f us per tx sent, %.2f of a core\n",
                          result.own_cpu_window_s, result.submit_path,
                          result.own_cpu_us_per_tx(), result.own_cpu_cores());
  } else {
    absl::StrAppendFormat(&out, " Load generator CPU: not measured (the load ended before its "
                                "steady window did)\n");
  }
  absl::StrAppend(&out, "-----------------------------------------\n");
  return out;
}

std::string ResultJson(const RunConfig& config, const LoadgenResult& result,
                       const StoreCheck& check, const CpuCost& cpu, const MarketReport* market) {
  JsonWriter w;
  w.BeginObject();
  w.Key("config").BeginObject();
  w.Key("validators").Uint(config.validators);
  w.Key("slices").Uint(config.slices);
  w.Key("rate").Uint(config.rate_per_s);
  w.Key("duration_s").Double(absl::ToDoubleSeconds(config.duration));
  w.Key("verifier_backend").String(config.verifier_backend);
  w.Key("pacing").String(config.pacing);
  w.Key("faults").String(config.faults);
  w.Key("workload").String(config.workload);
  w.Key("fault_log").BeginArray();
  for (const std::string& line : config.fault_log) w.String(line);
  w.EndArray();
  w.EndObject();
  w.Key("planned").Uint(result.planned);
  w.Key("sent").Uint(result.sent);
  w.Key("accepted").Uint(result.accepted);
  w.Key("submissions").Uint(result.submissions);
  w.Key("committed").Uint(result.committed);
  w.Key("committed_late").Uint(result.committed_late);
  w.Key("failed").Uint(result.failed);
  w.Key("rejected").Uint(result.rejected);
  w.Key("rejected_by_reason").BeginObject();
  for (const auto& [reason, count] : result.rejected_by_reason) w.Key(reason).Uint(count);
  w.EndObject();
  w.Key("lost").Uint(TotalLost(result, check));
  w.Key("lost_never_committed").Uint(result.lost_never_committed);
  w.Key("lost_missing_from_store").Uint(check.missing);
  w.Key("held_at_end").Uint(result.held_at_end);
  w.Key("pending_at_end").Uint(result.pending_at_end);
  w.Key("withheld").Uint(result.withheld);
  w.Key("store_check").BeginObject();
  w.Key("done").Bool(check.done);
  w.Key("stores").Uint(check.stores);
  w.Key("result_mismatches").Uint(check.result_mismatches);
  w.Key("state_mismatches").Uint(check.state_mismatches);
  w.Key("checkpoint_holes").Uint(check.checkpoint_holes);
  w.EndObject();
  w.Key("state_sync").BeginArray();
  for (const StoreCheck::StateSynced& r : check.state_synced) {
    w.BeginObject();
    w.Key("slice").Uint(r.slice);
    w.Key("store").Uint(r.store);
    w.Key("from_sequence").Uint(r.from_sequence);
    w.Key("last_sequence").Uint(r.last_sequence);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tps_committed").Double(result.tps_committed, 1);
  w.Key("tps_steady").Double(result.tps_steady, 1);
  w.Key("latency_ms").BeginObject();
  w.Key("count").Uint(result.latency.count);
  w.Key("p50").Double(Ms(result.latency.p50_us));
  w.Key("p90").Double(Ms(result.latency.p90_us));
  w.Key("p99").Double(Ms(result.latency.p99_us));
  w.Key("max").Double(Ms(result.latency.max_us));
  w.Key("mean").Double(Ms(result.latency.mean_us));
  w.EndObject();
  w.Key("max_send_lag_ms").Double(static_cast<double>(result.max_send_lag_us) / 1000.0);
  w.Key("stream_reconnects").Uint(result.stream_reconnects);
  w.Key("stopped_early").Bool(result.stopped_early);
  w.Key("loadgen_cpu").BeginObject();
  w.Key("measured").Bool(result.own_cpu_measured);
  w.Key("submit_path").String(result.submit_path);
  w.Key("cpu_s").Double(result.own_cpu_s);
  w.Key("window_s").Double(result.own_cpu_window_s);
  w.Key("sent").Uint(result.own_cpu_sent);
  w.Key("us_per_tx").Double(result.own_cpu_us_per_tx(), 1);
  w.Key("cores").Double(result.own_cpu_cores());
  w.EndObject();
  WriteCostJson(w, result, cpu);
  if (market != nullptr) WriteMarketJson(w, *market);
  w.EndObject();
  return w.Finish() + "\n";
}

std::string SeriesCsv(const TimeSeries& series) {
  std::string out = "second,sent,committed,rejected,latency_p50_ms,latency_p99_ms\n";
  const auto& buckets = series.buckets();
  for (size_t s = 0; s < buckets.size(); ++s) {
    const LatencySummary l = SummarizeLatencies(buckets[s].latencies_us);
    absl::StrAppendFormat(&out, "%u,%u,%u,%u,%.3f,%.3f\n", s, buckets[s].sent,
                          buckets[s].committed, buckets[s].rejected, Ms(l.p50_us),
                          Ms(l.p99_us));
  }
  return out;
}

double MeasureVerifyCostUs(int count) {
  GL_CHECK(count > 0);
  const KeyPair key = KeyPair::FromSeed(7);
  Digest message;
  message.bytes[0] = 1;
  const Signature sig = key.Sign(message);
  // This thread's CPU time, not wall time: on a busy machine the thread is
  // descheduled now and then, which costs wall time but no CPU.
  auto thread_cpu_us = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
  };
  const double start = thread_cpu_us();
  int ok = 0;
  for (int i = 0; i < count; ++i) ok += SchnorrVerify(key.public_key(), message, sig) ? 1 : 0;
  const double us = thread_cpu_us() - start;
  GL_CHECK(ok == count);
  return us / count;
}

absl::Status WriteTextFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot open for writing"));
  out << content;
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace gridledger::loadgen
