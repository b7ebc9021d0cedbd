// Every refusal code of the client API has its metrics reason, and a
// SubmitBatch answer is counted once per refused transaction.
#include "net/node/rejection_metrics.h"

#include <string>

#include "gtest/gtest.h"
#include "prometheus/metric_family.h"

namespace gridledger::node {
namespace {

TEST(RejectionMetricsTest, EveryRefusalCodeHasAReason) {
  EXPECT_FALSE(RejectionOf(v1::SUBMIT_CODE_ACCEPTED).has_value());
  EXPECT_FALSE(RejectionOf(v1::SUBMIT_CODE_UNSPECIFIED).has_value());
  const std::pair<v1::SubmitCode, const char*> codes[] = {
      {v1::SUBMIT_CODE_MALFORMED, "malformed"},   {v1::SUBMIT_CODE_BAD_SIGNATURE, "bad_signature"},
      {v1::SUBMIT_CODE_WRONG_SLICE, "wrong_slice"}, {v1::SUBMIT_CODE_DUPLICATE, "duplicate"},
      {v1::SUBMIT_CODE_OVERLOADED, "overloaded"}, {v1::SUBMIT_CODE_TOO_LARGE, "too_large"}};
  for (const auto& [code, name] : codes) {
    auto reason = RejectionOf(code);
    ASSERT_TRUE(reason.has_value()) << v1::SubmitCode_Name(code);
    EXPECT_EQ(net::TxRejectionName(*reason), name);
  }
  // A code added to the proto later must get a reason here too.
  for (int c = v1::SubmitCode_MIN; c <= v1::SubmitCode_MAX; ++c) {
    if (!v1::SubmitCode_IsValid(c) || c == v1::SUBMIT_CODE_ACCEPTED ||
        c == v1::SUBMIT_CODE_UNSPECIFIED) {
      continue;
    }
    EXPECT_TRUE(RejectionOf(static_cast<v1::SubmitCode>(c)).has_value())
        << v1::SubmitCode_Name(static_cast<v1::SubmitCode>(c));
  }
}

// The counter's value for `reason`, read from the registry as a scrape would.
double Rejected(const net::NodeMetrics& metrics, const std::string& reason) {
  for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) {
    if (family.name != "gridledger_transactions_rejected_total") continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      if (m.label.size() == 1 && m.label[0].value == reason) return m.counter.value;
    }
  }
  ADD_FAILURE() << "no series for reason " << reason;
  return -1;
}

TEST(RejectionMetricsTest, CountsEachRefusedTransactionOnce) {
  v1::SubmitBatchResponse response;
  auto add = [&](v1::SubmitCode code) {
    v1::SubmitResult* r = response.add_results();
    r->set_code(code);
    r->set_accepted(code == v1::SUBMIT_CODE_ACCEPTED);
  };
  add(v1::SUBMIT_CODE_ACCEPTED);
  add(v1::SUBMIT_CODE_DUPLICATE);
  add(v1::SUBMIT_CODE_BAD_SIGNATURE);
  add(v1::SUBMIT_CODE_DUPLICATE);
  net::NodeMetrics metrics;
  CountRejections(response, &metrics);
  CountRejections(response, nullptr);  // no metrics: nothing to do
  EXPECT_EQ(Rejected(metrics, "duplicate"), 2);
  EXPECT_EQ(Rejected(metrics, "bad_signature"), 1);
  EXPECT_EQ(Rejected(metrics, "malformed"), 0);
}

}  // namespace
}  // namespace gridledger::node
