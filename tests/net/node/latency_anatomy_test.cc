// The latency anatomy times own batches through seal, header, certificate,
// commit and execution from the driver's actions, and stays bounded.
#include "net/node/latency_anatomy.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/metrics/node_metrics.h"

namespace gridledger::node {
namespace {

constexpr int64_t kMs = 1'000'000;
const ValidatorIndex kMe(1);
const ValidatorIndex kPeer(2);

struct StageSample {
  uint64_t count = 0;
  double sum_s = 0;
};

StageSample Stage(const net::NodeMetrics& metrics, net::LatencyStage stage) {
  StageSample out;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != "gridledger_stage_latency_seconds") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "stage" && label.value == std::string(net::LatencyStageName(stage))) {
          out.count = metric.histogram.sample_count;
          out.sum_s = metric.histogram.sample_sum;
        }
      }
    }
  }
  return out;
}

consensus::Action OwnBatchRecord(ValidatorIndex author, uint64_t sequence,
                                 std::shared_ptr<const consensus::Batch>* out = nullptr) {
  auto batch = std::make_shared<const consensus::Batch>(
      consensus::Batch{SliceId(0), author, sequence, {Bytes{1, 2, 3}}});
  if (out != nullptr) *out = batch;
  return consensus::PersistAction{consensus::BatchRecord{batch}};
}

consensus::Header HeaderOf(ValidatorIndex author, uint64_t round, std::vector<Digest> batches) {
  consensus::Header h;
  h.slice = SliceId(0);
  h.author = author;
  h.round = Round(round);
  h.batches = std::move(batches);
  return h;
}

TEST(LatencyAnatomyTest, TimesEachStageOfAnOwnBatch) {
  net::NodeMetrics metrics;
  LatencyAnatomy anatomy(kMe, &metrics);
  std::shared_ptr<const consensus::Batch> batch;
  const consensus::Action seal = OwnBatchRecord(kMe, 0, &batch);
  anatomy.OnAdmitted(0, false);
  anatomy.OnAdmitted(1 * kMs, /*sealed=*/false);
  // The timer seals the open batch 5 ms after its first transaction.
  EXPECT_TRUE(LatencyAnatomy::SealsOwnBatch({seal}, kMe));
  EXPECT_FALSE(LatencyAnatomy::SealsOwnBatch({seal}, kPeer));
  anatomy.OnAction(seal, 5 * kMs);
  const consensus::Header header = HeaderOf(kMe, 3, {consensus::BatchDigest(*batch)});
  anatomy.OnAction(consensus::PersistAction{consensus::OwnHeaderRecord{header}}, 12 * kMs);
  consensus::Certificate cert{header, {}};
  anatomy.OnAction(consensus::PersistAction{consensus::CertificateRecord{cert}}, 20 * kMs);
  consensus::CommitAction commit;
  commit.sub_dag.certificates.push_back(cert);
  anatomy.OnAction(commit, 50 * kMs);
  LatencyAnatomy::ObserveExecuted(&metrics, 50 * kMs, 53 * kMs);

  const std::vector<std::pair<net::LatencyStage, double>> expected = {
      {net::LatencyStage::kBatch, 0.005},  {net::LatencyStage::kHeader, 0.007},
      {net::LatencyStage::kCertificate, 0.008}, {net::LatencyStage::kCommit, 0.030},
      {net::LatencyStage::kExecute, 0.003}};
  for (const auto& [stage, seconds] : expected) {
    const StageSample s = Stage(metrics, stage);
    EXPECT_EQ(s.count, 1u) << net::LatencyStageName(stage);
    EXPECT_NEAR(s.sum_s, seconds, 1e-9) << net::LatencyStageName(stage);
  }
  EXPECT_EQ(anatomy.tracked(), 0u);
}

TEST(LatencyAnatomyTest, SealByAdmissionUsesTheFirstAdmissionOfThatBatch) {
  net::NodeMetrics metrics;
  LatencyAnatomy anatomy(kMe, &metrics);
  anatomy.OnAdmitted(10 * kMs, false);
  anatomy.OnAdmitted(14 * kMs, /*sealed=*/true);  // this one filled the batch
  anatomy.OnAdmitted(15 * kMs, false);            // opens the next batch
  anatomy.OnAction(OwnBatchRecord(kMe, 0), 16 * kMs);
  EXPECT_NEAR(Stage(metrics, net::LatencyStage::kBatch).sum_s, 0.006, 1e-9);
  anatomy.OnAction(OwnBatchRecord(kMe, 1), 40 * kMs);  // the timer seals the next
  const StageSample s = Stage(metrics, net::LatencyStage::kBatch);
  EXPECT_EQ(s.count, 2u);
  EXPECT_NEAR(s.sum_s, 0.006 + 0.025, 1e-9);
}

TEST(LatencyAnatomyTest, PeersBatchesAndCertificatesAreNotTimed) {
  net::NodeMetrics metrics;
  LatencyAnatomy anatomy(kMe, &metrics);
  anatomy.OnAdmitted(0, false);
  anatomy.OnAction(OwnBatchRecord(kPeer, 0), 5 * kMs);
  const consensus::Header header = HeaderOf(kPeer, 3, {});
  anatomy.OnAction(consensus::PersistAction{consensus::CertificateRecord{{header, {}}}}, 9 * kMs);
  EXPECT_EQ(Stage(metrics, net::LatencyStage::kBatch).count, 0u);
  EXPECT_EQ(Stage(metrics, net::LatencyStage::kCertificate).count, 0u);
}

TEST(LatencyAnatomyTest, BatchesAndRoundsThatNeverMoveOnStayBounded) {
  net::NodeMetrics metrics;
  LatencyAnatomy anatomy(kMe, &metrics);
  const size_t n = kMaxAnatomyBatches + 100;
  for (size_t i = 0; i < n; ++i) {
    anatomy.OnAdmitted(static_cast<int64_t>(i) * kMs, /*sealed=*/true);
    anatomy.OnAction(OwnBatchRecord(kMe, i), static_cast<int64_t>(i) * kMs + 1);
    // Headers without their batches, never certified.
    anatomy.OnAction(consensus::PersistAction{consensus::OwnHeaderRecord{HeaderOf(kMe, i + 1, {})}},
                     static_cast<int64_t>(i) * kMs + 2);
  }
  EXPECT_EQ(Stage(metrics, net::LatencyStage::kBatch).count, n);
  EXPECT_LE(anatomy.tracked(), kMaxAnatomyBatches + kMaxAnatomyRounds);
}

}  // namespace
}  // namespace gridledger::node
