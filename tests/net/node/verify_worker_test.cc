// VerifyWorker coalescing with the CPU backend: queued peer batches are
// verified in one backend call, a faulty batch in a group fails alone, the
// size cap and the bounded wait hold, and Stop ends a wait at once. Deferred
// jobs wait, are cancelled unanswered, promoted, or verified at the deadline.
#include "net/node/verify_worker.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "net/metrics/node_metrics.h"

namespace gridledger::node {
namespace {

constexpr absl::Duration kEventDeadline = absl::Seconds(30);

std::shared_ptr<const consensus::Batch> MakeBatch(uint64_t seed, size_t txs, bool corrupt = false) {
  auto batch = std::make_shared<consensus::Batch>();
  const KeyPair from = KeyPair::FromSeed(seed);
  const KeyPair to = KeyPair::FromSeed(seed + 1000);
  for (size_t i = 0; i < txs; ++i) {
    Transaction tx;
    tx.slice = SliceId(0);
    tx.nonce = Nonce(i);
    tx.sender = from.public_key();
    tx.body = TransferBody{AccountRef{SliceId(0), to.public_key()}, Amount(1 + i)};
    SignTransaction(&tx, from, Digest());  // the all-zero chain id: a test network
    Bytes raw = Encode(tx);
    if (corrupt && i + 1 == txs) raw.back() ^= 0x01;  // last signature byte
    batch->transactions.push_back(raw);
  }
  batch->sequence = seed;
  return batch;
}

Digest DigestOf(uint64_t i) {
  Digest d;
  d.data()[0] = static_cast<uint8_t>(i);
  return d;
}

// Waits for `count` VerifiedEvents; ok flags by the first digest byte.
std::vector<int> TakeVerified(EventInbox* inbox, size_t count) {
  std::vector<int> ok(count, -1);
  size_t seen = 0;
  const absl::Time deadline = absl::Now() + kEventDeadline;
  while (seen < count && absl::Now() < deadline) {
    for (DriverEvent& e : inbox->Take(deadline, count - seen)) {
      const auto* v = std::get_if<VerifiedEvent>(&e);
      EXPECT_NE(v, nullptr);
      if (v == nullptr) continue;
      const size_t i = v->digest.data()[0];
      EXPECT_LT(i, count);
      if (i < count) ok[i] = v->ok ? 1 : 0;
      ++seen;
    }
  }
  EXPECT_EQ(seen, count) << "verified events missing at the deadline";
  return ok;
}

// Options that wait up to `wait` for a target no test reaches.
VerifyWorkerOptions WaitingOptions(absl::Duration wait) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = 1 << 16;
  options.coalesce_txs_target = 1 << 16;
  options.coalesce_wait_max = wait;
  return options;
}

class VerifyWorkerTest : public ::testing::Test {
 protected:
  TxChecker checker_{std::make_unique<CpuBatchVerifier>(2), Digest(), SliceId(0), &metrics_};
  net::NodeMetrics metrics_;
  EventInbox inbox_;
};

TEST_F(VerifyWorkerTest, QueuedBatchesGoInOneCall) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = 1000;
  VerifyWorker worker(&checker_, &inbox_, options, &metrics_);
  for (uint64_t i = 0; i < 4; ++i) worker.Enqueue(DigestOf(i), MakeBatch(10 + i, 5));
  worker.Start();
  EXPECT_EQ(TakeVerified(&inbox_, 4), (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(worker.coalesced_calls(), 1u);
  EXPECT_EQ(worker.coalesced_batches(), 4u);
  // The metric: one backend call that covered 4 batches.
  bool found = false;
  for (const auto& family : metrics_.registry()->Collect()) {
    if (family.name != "gridledger_peer_batches_per_verification") continue;
    ASSERT_EQ(family.metric.size(), 1u);
    EXPECT_EQ(family.metric[0].histogram.sample_count, 1u);
    EXPECT_EQ(family.metric[0].histogram.sample_sum, 4.0);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(VerifyWorkerTest, AFaultyBatchFailsAloneInItsGroup) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = 1000;
  VerifyWorker worker(&checker_, &inbox_, options, &metrics_);
  worker.Enqueue(DigestOf(0), MakeBatch(20, 4));
  worker.Enqueue(DigestOf(1), MakeBatch(21, 4, /*corrupt=*/true));
  worker.Enqueue(DigestOf(2), MakeBatch(22, 4));
  auto malformed = std::make_shared<consensus::Batch>();
  malformed->transactions.push_back(Bytes{1, 2, 3});
  worker.Enqueue(DigestOf(3), malformed);
  worker.Start();
  EXPECT_EQ(TakeVerified(&inbox_, 4), (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(worker.coalesced_batches(), 4u);
}

TEST_F(VerifyWorkerTest, GroupsStayUnderTheTransactionCap) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = 12;  // two 5-tx batches fit, a third does not
  VerifyWorker worker(&checker_, &inbox_, options);
  for (uint64_t i = 0; i < 5; ++i) worker.Enqueue(DigestOf(i), MakeBatch(30 + i, 5));
  worker.Start();
  EXPECT_EQ(TakeVerified(&inbox_, 5), (std::vector<int>{1, 1, 1, 1, 1}));
  // 5 batches in groups of at most 2: groups {0,1} {2,3} {4}.
  EXPECT_EQ(worker.coalesced_calls(), 2u);
  EXPECT_EQ(worker.coalesced_batches(), 4u);
}

TEST_F(VerifyWorkerTest, NoCoalescingWhenTheCapIsZero) {
  VerifyWorker worker(&checker_, &inbox_, VerifyWorkerOptions{}, nullptr);
  for (uint64_t i = 0; i < 3; ++i) worker.Enqueue(DigestOf(i), MakeBatch(40 + i, 3));
  worker.Start();
  EXPECT_EQ(TakeVerified(&inbox_, 3), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(worker.coalesced_calls(), 0u);
}

// Under target, the worker waits at most coalesce_wait_max, then verifies
// what it has: the answer arrives although no more batches come.
TEST_F(VerifyWorkerTest, TheWaitForMoreIsBounded) {
  VerifyWorker worker(&checker_, &inbox_, WaitingOptions(absl::Milliseconds(20)));
  worker.Start();
  worker.Enqueue(DigestOf(0), MakeBatch(50, 3));
  EXPECT_EQ(TakeVerified(&inbox_, 1), (std::vector<int>{1}));
}

// Stop during a long coalescing wait returns without verifying (queued jobs
// are dropped, as before coalescing).
TEST_F(VerifyWorkerTest, StopEndsAWait) {
  VerifyWorker worker(&checker_, &inbox_, WaitingOptions(absl::Hours(1)));
  worker.Start();
  worker.Enqueue(DigestOf(0), MakeBatch(60, 3));
  worker.Stop();  // a hang here fails the test at ctest's timeout
  EXPECT_EQ(inbox_.size(), 0u);
}

// The next VerifiedEvent: (first digest byte, ok), or (-1, false) at the deadline.
std::pair<int, bool> TakeOne(EventInbox* inbox) {
  const absl::Time deadline = absl::Now() + kEventDeadline;
  while (absl::Now() < deadline) {
    for (DriverEvent& e : inbox->Take(deadline, 1)) {
      const auto* v = std::get_if<VerifiedEvent>(&e);
      EXPECT_NE(v, nullptr);
      if (v != nullptr) return {v->digest.data()[0], v->ok};
    }
  }
  ADD_FAILURE() << "no verified event at the deadline";
  return {-1, false};
}

VerifyWorkerOptions DeferringFor(absl::Duration deferral) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = 1000;
  options.deferral_max = deferral;
  return options;
}

// A deferred job waits while others are verified; a cancel drops it unanswered.
TEST_F(VerifyWorkerTest, ADeferredJobWaitsAndACancelDropsIt) {
  VerifyWorker worker(&checker_, &inbox_, DeferringFor(absl::Hours(1)), &metrics_);
  worker.Enqueue(DigestOf(0), MakeBatch(70, 3), /*deferrable=*/true);
  worker.Enqueue(DigestOf(1), MakeBatch(71, 3));
  worker.Start();
  EXPECT_EQ(TakeOne(&inbox_), std::make_pair(1, true));
  EXPECT_EQ(worker.queued(), 1u);  // the deferred one, an hour from its deadline
  worker.Cancel(DigestOf(0));
  EXPECT_EQ(worker.queued(), 0u);
  worker.Stop();
  EXPECT_EQ(inbox_.size(), 0u);
  const VerifyWorker::DeferralCounts counts = worker.deferral_counts();
  EXPECT_EQ(counts.deferred, 1u);
  EXPECT_EQ(counts.cancelled, 1u);
  EXPECT_EQ(counts.expired, 0u);
  bool found = false;
  for (const auto& family : metrics_.registry()->Collect()) {
    if (family.name != "gridledger_peer_batch_deferrals_total") continue;
    for (const auto& m : family.metric) {
      const std::string& outcome = m.label[0].value;
      const double want = outcome == "deferred" || outcome == "cancelled" ? 1 : 0;
      EXPECT_EQ(m.counter.value, want) << outcome;
    }
    found = true;
  }
  EXPECT_TRUE(found);
}

// The same digest again, not deferrable, is verified at once (once).
TEST_F(VerifyWorkerTest, AskingAgainVerifiesADeferredJobNow) {
  VerifyWorker worker(&checker_, &inbox_, DeferringFor(absl::Hours(1)));
  worker.Start();
  worker.Enqueue(DigestOf(0), MakeBatch(72, 3), /*deferrable=*/true);
  worker.Enqueue(DigestOf(0), MakeBatch(72, 3));
  EXPECT_EQ(TakeOne(&inbox_), std::make_pair(0, true));
  EXPECT_EQ(worker.queued(), 0u);
  EXPECT_EQ(worker.deferral_counts().promoted, 1u);
}

// A deferred job nobody cancels is verified at its deadline, also while the
// worker sleeps with nothing else to do.
TEST_F(VerifyWorkerTest, ADeferredJobIsVerifiedAtItsDeadline) {
  VerifyWorker worker(&checker_, &inbox_, DeferringFor(absl::Milliseconds(5)));
  worker.Start();
  worker.Enqueue(DigestOf(0), MakeBatch(73, 3, /*corrupt=*/true), /*deferrable=*/true);
  EXPECT_EQ(TakeOne(&inbox_), std::make_pair(0, false));
  EXPECT_EQ(worker.deferral_counts().expired, 1u);
}

TEST(VerifyWorkerOptionsTest, GpuWaitsForLargerGroupsCpuDoesNot) {
  const VerifyWorkerOptions gpu = VerifyWorkerOptions::ForBackend("cuda");
  EXPECT_EQ(gpu.coalesce_txs_target, 4096u);
  EXPECT_EQ(gpu.coalesce_wait_max, absl::Milliseconds(2));
  EXPECT_EQ(gpu.coalesce_txs_max, size_t{1} << 16);
  const VerifyWorkerOptions cpu = VerifyWorkerOptions::ForBackend("cpu");
  EXPECT_EQ(cpu.coalesce_txs_target, 0u);
  EXPECT_EQ(cpu.coalesce_wait_max, absl::ZeroDuration());
  EXPECT_EQ(cpu.coalesce_txs_max, size_t{1} << 16);
}

}  // namespace
}  // namespace gridledger::node
