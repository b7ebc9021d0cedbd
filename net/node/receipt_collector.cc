#include "net/node/receipt_collector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "core/common/check.h"
#include "core/execution/receipt_records.h"

namespace gridledger::node {
namespace {

prometheus::MetricFamily NewFamily(const char* name, const char* help,
                                   prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}
// Named so tests/tools/dashboard_test.cc sees each metric's kind.
prometheus::MetricFamily CounterFamily(const char* name, const char* help) {
  return NewFamily(name, help, prometheus::MetricType::Counter);
}
prometheus::MetricFamily GaugeFamily(const char* name, const char* help) {
  return NewFamily(name, help, prometheus::MetricType::Gauge);
}

void AddSample(prometheus::MetricFamily& family,
               std::vector<std::pair<std::string, std::string>> labels, uint64_t value) {
  prometheus::ClientMetric metric;
  for (auto& [name, v] : labels) metric.label.push_back({std::move(name), std::move(v)});
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = static_cast<double>(value);
  } else {
    metric.gauge.value = static_cast<double>(value);
  }
  family.metric.push_back(std::move(metric));
}

}  // namespace

ReceiptCollector::ReceiptCollector(ReceiptCollectorSources sources) : sources_(sources) {
  GL_CHECK(sources_.config != nullptr && sources_.store != nullptr &&
           sources_.relay != nullptr && sources_.admission != nullptr &&
           sources_.execution != nullptr);
}

std::vector<prometheus::MetricFamily> ReceiptCollector::Collect() const {
  const std::string self = std::to_string(sources_.slice.value());
  std::vector<prometheus::MetricFamily> out;

  prometheus::MetricFamily refused =
      CounterFamily("gridledger_receipt_imports_refused_total",
                    "Cross-slice receipt imports this validator refused, by reason");
  const ReceiptServiceStats& a = *sources_.admission;
  AddSample(refused, {{"reason", "invalid"}}, a.refused.load());
  AddSample(refused, {{"reason", "already_credited"}}, a.already_credited.load());
  AddSample(refused, {{"reason", "already_pending"}}, a.pending.load());
  AddSample(refused, {{"reason", "overloaded"}}, a.overloaded.load());
  AddSample(refused, {{"reason", "execution"}}, sources_.execution->imports_refused.load());
  out.push_back(std::move(refused));

  // The committed state's counters; a failed read leaves them out of this
  // scrape rather than reporting a wrong number.
  auto view = sources_.store->Snapshot();
  if (!view.ok()) return out;
  prometheus::MetricFamily sent =
      CounterFamily("gridledger_receipts_sent_total",
                    "Cross-slice receipts this slice emitted, per pair of slices");
  prometheus::MetricFamily credited =
      CounterFamily("gridledger_receipts_credited_total",
                    "Cross-slice receipts this slice credited, per pair of slices");
  prometheus::MetricFamily in_flight =
      GaugeFamily("gridledger_receipts_in_flight",
                  "Receipts this slice sent that the destination had not credited when it "
                  "last answered this validator's relay");
  std::vector<uint64_t> sent_to(sources_.config->committees.size(), 0);
  for (uint32_t s = 0; s < sources_.config->committees.size(); ++s) {
    if (s == sources_.slice.value()) continue;
    const std::string other = std::to_string(s);
    absl::StatusOr<uint64_t> next_out = NextOutgoing(**view, SliceId(s));
    absl::StatusOr<uint64_t> next_in = NextIncoming(**view, SliceId(s));
    if (!next_out.ok() || !next_in.ok()) return out;
    sent_to[s] = *next_out - 1;
    AddSample(sent, {{"source", self}, {"destination", other}}, sent_to[s]);
    AddSample(credited, {{"source", other}, {"destination", self}}, *next_in - 1);
  }
  for (const auto& [destination, next_expected] : sources_.relay->ReportedNextExpected()) {
    if (destination.value() >= sent_to.size()) continue;
    const uint64_t done = next_expected - 1;
    const uint64_t sent_count = sent_to[destination.value()];
    AddSample(in_flight, {{"source", self}, {"destination", std::to_string(destination.value())}},
              sent_count > done ? sent_count - done : 0);
  }
  out.push_back(std::move(sent));
  out.push_back(std::move(credited));
  out.push_back(std::move(in_flight));
  return out;
}

}  // namespace gridledger::node
