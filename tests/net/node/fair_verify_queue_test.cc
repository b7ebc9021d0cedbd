// Fair verification: one key's flood does not delay another key's request by
// more than one round, each key's requests finish in order, and rounds run
// with no lock held (callers queue while the backend works).
#include "net/node/fair_verify_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/common/thread_priority.h"
#include "gtest/gtest.h"
#include "net/node/client_lanes.h"

namespace gridledger::node {
namespace {

constexpr absl::Duration kWaitLimit = absl::Seconds(30);

// Transactions are one byte: the key that sent them. "Verifying" records
// which keys each round held, and answers valid = (byte is even).
class RecordingBackend {
 public:
  absl::Status Verify(absl::Span<const ByteSpan> txs, absl::Span<Digest> ids,
                      absl::Span<uint8_t> valid) {
    std::vector<uint8_t> round;
    for (size_t i = 0; i < txs.size(); ++i) {
      round.push_back(txs[i][0]);
      ids[i].bytes.fill(txs[i][0]);
      valid[i] = txs[i][0] % 2 == 0;
    }
    absl::MutexLock lock(&mu_);
    rounds_.push_back(std::move(round));
    // Tests hold the backend here to build up queues.
    mu_.Await(absl::Condition(+[](bool* open) { return *open; }, &open_));
    return absl::OkStatus();
  }
  void set_open(bool open) {
    absl::MutexLock lock(&mu_);
    open_ = open;
  }
  size_t rounds() const {
    absl::MutexLock lock(&mu_);
    return rounds_.size();
  }
  std::vector<std::vector<uint8_t>> rounds_seen() const {
    absl::MutexLock lock(&mu_);
    return rounds_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::vector<uint8_t>> rounds_ ABSL_GUARDED_BY(mu_);
  bool open_ ABSL_GUARDED_BY(mu_) = true;
};

bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWaitLimit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return done();
}

TEST(FairVerifyQueueTest, AFloodingKeyDelaysAnotherByAtMostOneRound) {
  RecordingBackend backend;
  FairVerifyQueue queue([&](auto txs, auto ids, auto valid) {
    return backend.Verify(txs, ids, valid);
  });
  // Key "a" floods: 4 requests of 4 rounds' worth each (when alone).
  const size_t flood_txs = 4 * kFairRoundTxs;
  std::vector<Bytes> flood_bytes(1, Bytes{1});  // odd: bad signatures
  std::vector<ByteSpan> flood(flood_txs, ByteSpan(flood_bytes[0]));
  backend.set_open(false);  // hold the first round so the queues build up
  std::vector<std::thread> flooders;
  for (int r = 0; r < 4; ++r) {
    flooders.emplace_back([&] {
      std::vector<Digest> ids;
      std::vector<uint8_t> valid;
      EXPECT_TRUE(queue.Verify("a", flood, &ids, &valid));
      for (uint8_t v : valid) EXPECT_EQ(v, 0);
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return backend.rounds() == 1; }));
  // Key "b" asks for 10 while "a" has about 16 rounds queued.
  const Bytes b_byte{2};
  std::vector<ByteSpan> b_txs(10, ByteSpan(b_byte));
  std::atomic<bool> b_done{false};
  std::thread b([&] {
    std::vector<Digest> ids;
    std::vector<uint8_t> valid;
    EXPECT_TRUE(queue.Verify("b", b_txs, &ids, &valid));
    for (uint8_t v : valid) EXPECT_EQ(v, 1);
    b_done.store(true);
  });
  // Both keys queued (a still has most of its flood waiting) before the
  // held round ends.
  ASSERT_TRUE(WaitUntil([&] { return queue.queued_keys() == 2; }));
  backend.set_open(true);
  ASSERT_TRUE(WaitUntil([&] { return b_done.load(); }));
  b.join();
  for (auto& t : flooders) t.join();
  // Find the round that carried b: at most one round of a's after b queued.
  const auto rounds = backend.rounds_seen();
  size_t b_round = rounds.size();
  for (size_t r = 0; r < rounds.size(); ++r) {
    for (uint8_t k : rounds[r]) {
      if (k == 2 && b_round == rounds.size()) b_round = r;
    }
  }
  ASSERT_LT(b_round, rounds.size());
  EXPECT_GE(rounds.size(), 16u);  // a's flood took many rounds
  // b went in the very next round, which a and b split equally.
  EXPECT_EQ(b_round, 1u) << "b waited behind " << b_round << " rounds of a's flood";
  size_t a_in_b_round = 0;
  for (uint8_t k : rounds[b_round]) a_in_b_round += k == 1;
  EXPECT_LE(a_in_b_round, kFairRoundTxs / 2);
}

// QueuedWork: what waits for a round, at the measured cost per transaction;
// zero once everything was handed out. Admission refuses on it (OVERLOADED).
TEST(FairVerifyQueueTest, QueuedWorkCountsWhatWaitsAtTheMeasuredCost) {
  RecordingBackend backend;
  FairVerifyQueue queue([&](auto txs, auto ids, auto valid) {
    return backend.Verify(txs, ids, valid);
  });
  EXPECT_EQ(queue.QueuedWork("a"), absl::ZeroDuration());
  const Bytes byte{2};
  std::vector<ByteSpan> small(64, ByteSpan(byte));
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  ASSERT_TRUE(queue.Verify("a", small, &ids, &valid));  // one round: the cost is known
  EXPECT_EQ(queue.QueuedWork("a"), absl::ZeroDuration());
  backend.set_open(false);  // the next round holds the thread
  std::vector<std::thread> callers;
  callers.emplace_back([&] {
    std::vector<Digest> i;
    std::vector<uint8_t> v;
    EXPECT_TRUE(queue.Verify("a", small, &i, &v));
  });
  ASSERT_TRUE(WaitUntil([&] { return backend.rounds() == 2; }));
  std::vector<ByteSpan> big(1000, ByteSpan(byte));
  callers.emplace_back([&] {
    std::vector<Digest> i;
    std::vector<uint8_t> v;
    EXPECT_TRUE(queue.Verify("b", big, &i, &v));
  });
  ASSERT_TRUE(WaitUntil([&] { return queue.queued_keys() == 1; }));
  const absl::Duration one = queue.QueuedWork("b");
  EXPECT_GT(one, absl::ZeroDuration());
  callers.emplace_back([&] {
    std::vector<Digest> i;
    std::vector<uint8_t> v;
    EXPECT_TRUE(queue.Verify("c", big, &i, &v));
  });
  ASSERT_TRUE(WaitUntil([&] { return queue.queued_keys() == 2; }));
  // No round ended meanwhile, so the cost per transaction is the same.
  EXPECT_NEAR(absl::ToDoubleNanoseconds(queue.QueuedWork("b") + queue.QueuedWork("c")),
              2 * absl::ToDoubleNanoseconds(one), 2.0);
  // Per key: each its own; a key with nothing queued waits behind none of it.
  EXPECT_EQ(queue.QueuedWork("b"), one);
  EXPECT_EQ(queue.QueuedWork("c"), one);
  EXPECT_EQ(queue.QueuedWork("a"), absl::ZeroDuration());
  backend.set_open(true);
  for (auto& t : callers) t.join();
  for (const char* key : {"a", "b", "c"}) EXPECT_EQ(queue.QueuedWork(key), absl::ZeroDuration());
}

TEST(FairVerifyQueueTest, AKeysRequestsFinishInOrder) {
  RecordingBackend backend;
  FairVerifyQueue queue([&](auto txs, auto ids, auto valid) {
    return backend.Verify(txs, ids, valid);
  });
  constexpr int kRequests = 6;
  const Bytes byte{4};
  std::vector<ByteSpan> txs(kFairRoundTxs / 2, ByteSpan(byte));
  ClientLanes lanes;
  absl::Mutex mu;
  std::vector<int> finished;
  std::vector<std::thread> callers;
  for (int r = 0; r < kRequests; ++r) {
    // Tickets in arrival order, then verification concurrently.
    auto turn = std::make_shared<std::unique_ptr<ClientLanes::Turn>>();
    *turn = std::make_unique<ClientLanes::Turn>(lanes.Arrive("c"));
    callers.emplace_back([&, r, turn] {
      std::vector<Digest> ids;
      std::vector<uint8_t> valid;
      EXPECT_TRUE(queue.Verify("c", txs, &ids, &valid));
      (*turn)->Wait();
      {
        absl::MutexLock lock(&mu);
        finished.push_back(r);
      }
      turn->reset();
    });
  }
  for (auto& t : callers) t.join();
  std::vector<int> expected;
  for (int r = 0; r < kRequests; ++r) expected.push_back(r);
  EXPECT_EQ(finished, expected);
  EXPECT_EQ(lanes.size(), 0u);
}

// Client verification can yield the cores to consensus work: the backend is
// called on the queue's thread at the queue's nice increment.
TEST(FairVerifyQueueTest, VerifiesAtTheQueuesNiceIncrement) {
  const int base = ThisThreadNice().value_or(-100);
  if (base == -100 || base + 6 > 19) GTEST_SKIP() << "no room to raise nice from " << base;
  std::atomic<int> nice_seen{-100};
  FairVerifyQueue queue(
      [&](auto txs, auto ids, auto valid) {
        nice_seen = ThisThreadNice().value_or(-100);
        for (size_t i = 0; i < txs.size(); ++i) valid[i] = 1;
        return absl::OkStatus();
      },
      "", /*nice_increment=*/6);
  const Bytes byte{2};
  std::vector<ByteSpan> txs(1, ByteSpan(byte));
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  ASSERT_TRUE(queue.Verify("x", txs, &ids, &valid));
  EXPECT_EQ(nice_seen.load(), base + 6);
  EXPECT_EQ(ThisThreadNice().value_or(-100), base);
}

TEST(FairVerifyQueueTest, StopFailsWaitingRequests) {
  RecordingBackend backend;
  auto queue = std::make_unique<FairVerifyQueue>(
      [&](auto txs, auto ids, auto valid) { return backend.Verify(txs, ids, valid); });
  queue->Stop();
  const Bytes byte{2};
  std::vector<ByteSpan> txs(1, ByteSpan(byte));
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  EXPECT_FALSE(queue->Verify("x", txs, &ids, &valid));
}

// The callback API's form (VerifyAsync): returns at once, answers like
// Verify from the queue's thread once the round finished.
TEST(FairVerifyQueueTest, VerifyAsyncAnswersFromTheRoundWithoutWaiting) {
  RecordingBackend backend;
  FairVerifyQueue queue(
      [&](auto txs, auto ids, auto valid) { return backend.Verify(txs, ids, valid); });
  backend.set_open(false);
  const Bytes even{2}, odd{3};
  std::vector<ByteSpan> txs = {ByteSpan(even), ByteSpan(odd)};
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  absl::Notification done;
  bool ok = false;
  queue.VerifyAsync("a", txs, &ids, &valid, [&](bool result) {
    ok = result;
    done.Notify();
  });
  ASSERT_TRUE(WaitUntil([&] { return backend.rounds() == 1; }));
  EXPECT_FALSE(done.HasBeenNotified());  // the round is held in the backend
  backend.set_open(true);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWaitLimit));
  EXPECT_TRUE(ok);
  EXPECT_EQ(valid, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(ids[1].bytes[0], 3);
}

TEST(FairVerifyQueueTest, StopAnswersEveryAsyncRequestAndLaterOnesInline) {
  RecordingBackend backend;
  FairVerifyQueue queue(
      [&](auto txs, auto ids, auto valid) { return backend.Verify(txs, ids, valid); });
  backend.set_open(false);
  const Bytes byte{2};
  std::vector<ByteSpan> txs(1, ByteSpan(byte));
  std::vector<Digest> ids_a, ids_b;
  std::vector<uint8_t> valid_a, valid_b;
  absl::Notification a_done, b_done;
  bool a_ok = false;
  queue.VerifyAsync("a", txs, &ids_a, &valid_a, [&](bool ok) {
    a_ok = ok;
    a_done.Notify();
  });
  ASSERT_TRUE(WaitUntil([&] { return backend.rounds() == 1; }));  // a is in the round
  queue.VerifyAsync("b", txs, &ids_b, &valid_b, [&](bool) { b_done.Notify(); });
  std::thread stopper([&] { queue.Stop(); });
  backend.set_open(true);
  stopper.join();
  ASSERT_TRUE(a_done.HasBeenNotified());
  ASSERT_TRUE(b_done.HasBeenNotified());
  EXPECT_TRUE(a_ok);  // its round ran
  // b ran in a last round or was failed by Stop (which one depends on when
  // Stop took the lock): either way it was answered, never left waiting.
  bool late_ok = true;
  bool late_ran = false;
  queue.VerifyAsync("c", txs, &ids_b, &valid_b, [&](bool ok) {
    late_ok = ok;
    late_ran = true;
  });
  EXPECT_TRUE(late_ran);
  EXPECT_FALSE(late_ok);
}

// Turn::WhenReady runs the ordered part once every earlier request of the
// lane is done, on the thread that finished the last of them.
TEST(ClientLanesTest, WhenReadyRunsOnceTheEarlierRequestsAreDone) {
  ClientLanes lanes;
  ClientLanes::Turn first = lanes.Arrive("conn");
  ClientLanes::Turn second = lanes.Arrive("conn");
  ClientLanes::Turn other = lanes.Arrive("other");
  bool other_ran = false;
  other.WhenReady([&] { other_ran = true; });
  EXPECT_TRUE(other_ran);  // no earlier request on its lane: inline
  other.Release();
  bool second_ran = false;
  second.WhenReady([&] {
    second_ran = true;
    second.Release();
  });
  EXPECT_FALSE(second_ran);
  first.Release();
  EXPECT_TRUE(second_ran);
  EXPECT_EQ(lanes.size(), 0u);
}

}  // namespace
}  // namespace gridledger::node
