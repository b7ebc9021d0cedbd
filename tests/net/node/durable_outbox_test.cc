#include "net/node/durable_outbox.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/consensus/messages.h"
#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/storage/temp_consensus_store.h"

namespace gridledger::node {
namespace {

using consensus::LastVotedRecord;

constexpr absl::Duration kWaitMax = absl::Seconds(30);

Digest D(uint64_t n) {
  Digest d;
  for (size_t i = 0; i < 8; ++i) d.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
  return d;
}

// A send that carries `n` (a BatchAck naming D(n)).
consensus::SendAction SendOf(uint64_t n) {
  return consensus::SendAction{ValidatorIndex(0), consensus::BatchAck{D(n)}};
}

consensus::CommittedSubDag SubDag(uint64_t index) {
  consensus::CommittedSubDag sub;
  sub.index = index;
  return sub;
}

uint64_t NumberOf(const consensus::SendAction& send) {
  const Digest& d = std::get<consensus::BatchAck>(send.message).batch;
  uint64_t n = 0;
  for (size_t i = 0; i < 8; ++i) n |= static_cast<uint64_t>(d.bytes[i]) << (8 * i);
  return n;
}

// The round of validator 1's durable last vote (0 when none).
uint64_t DurableVoteRound(storage::ConsensusStore* store) {
  auto state = store->Load(/*gc_depth=*/50);
  if (!state.ok()) return 0;
  for (const LastVotedRecord& v : state->last_voted) {
    if (v.author == ValidatorIndex(1)) return v.round.value();
  }
  return 0;
}

// What the outbox's callbacks saw, filled on its threads.
struct Seen {
  absl::Mutex mu;
  std::vector<uint64_t> sends ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> durable_at_send ABSL_GUARDED_BY(mu);  // vote round then
  std::vector<size_t> commits_at_send ABSL_GUARDED_BY(mu);    // executed by then
  std::vector<uint64_t> commits ABSL_GUARDED_BY(mu);
  // Validator 1's durable vote round when a commit began (it may prepare
  // then) and when records_durable returned (it may write then).
  std::vector<uint64_t> durable_at_commit_start ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> durable_at_commit_write ABSL_GUARDED_BY(mu);
  std::vector<std::thread::id> commit_threads ABSL_GUARDED_BY(mu);
  std::vector<absl::Status> failures ABSL_GUARDED_BY(mu);
};

class DurableOutboxTest : public ::testing::Test {
 protected:
  // `fail_index`: the commit whose execution fails (none by default).
  // `lazy_delay`: how long records alone wait for an output.
  std::unique_ptr<DurableOutbox> MakeOutbox(uint64_t fail_index = UINT64_MAX,
                                            absl::Notification* send_gate = nullptr,
                                            absl::Duration lazy_delay = kLazyRecordsDelay) {
    return std::make_unique<DurableOutbox>(
        store_.get(),
        [this, send_gate](consensus::SendAction& send) {
          // The writer thread only: the first send has its group written.
          if (!send_entered_.HasBeenNotified()) send_entered_.Notify();
          if (send_gate != nullptr) send_gate->WaitForNotificationWithTimeout(kWaitMax);
          const uint64_t durable = DurableVoteRound(store_.get());
          absl::MutexLock lock(&seen_.mu);
          seen_.sends.push_back(NumberOf(send));
          seen_.durable_at_send.push_back(durable);
          seen_.commits_at_send.push_back(seen_.commits.size());
        },
        [this, fail_index](const consensus::CommittedSubDag& sub, int64_t,
                           const DurableOutbox::RecordsDurableFn& records_durable)
            -> absl::Status {
          const uint64_t at_start = DurableVoteRound(store_.get());
          {
            absl::MutexLock lock(&seen_.mu);
            seen_.durable_at_commit_start.push_back(at_start);
          }
          if (!commit_started_.HasBeenNotified()) commit_started_.Notify();  // one thread
          if (absl::Status s = records_durable(); !s.ok()) return s;
          const uint64_t at_write = DurableVoteRound(store_.get());
          absl::MutexLock lock(&seen_.mu);
          seen_.durable_at_commit_write.push_back(at_write);
          seen_.commits.push_back(sub.index);
          seen_.commit_threads.push_back(std::this_thread::get_id());
          if (sub.index == fail_index) return absl::DataLossError("disk broke");
          return absl::OkStatus();
        },
        [this](const absl::Status& status) {
          absl::MutexLock lock(&seen_.mu);
          seen_.failures.push_back(status);
        },
        lazy_delay);
  }

  // Waits (bounded) until `n` sends ran; false on timeout.
  bool AwaitSends(size_t n) {
    absl::MutexLock lock(&seen_.mu);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen_.mu) {
      return seen_.sends.size() >= n;
    };
    return seen_.mu.AwaitWithTimeout(absl::Condition(&done), kWaitMax);
  }

  // Validator 1's vote in round `r`, then send `r` after it, as one group.
  static void VoteSendSeal(DurableOutbox& outbox, uint64_t r) {
    outbox.Persist(LastVotedRecord{ValidatorIndex(1), Round(r), D(r)});
    outbox.Send(SendOf(r));
    outbox.Seal();
  }

  storage::TempConsensusStore store_;
  Seen seen_;
  absl::Notification commit_started_;  // the first commit began
  absl::Notification send_entered_;    // the first send began
};

TEST_F(DurableOutboxTest, EachSendRunsAfterTheRecordsBeforeItAreDurableInOrder) {
  auto outbox = MakeOutbox();
  outbox->Start();
  constexpr uint64_t kRounds = 40;
  for (uint64_t r = 1; r <= kRounds; ++r) {
    VoteSendSeal(*outbox, r);
  }
  outbox->Drain();
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.sends.size(), kRounds);
  for (uint64_t r = 1; r <= kRounds; ++r) {
    EXPECT_EQ(seen_.sends[r - 1], r);
    EXPECT_GE(seen_.durable_at_send[r - 1], r) << "send " << r << " went out before its vote";
  }
  EXPECT_TRUE(seen_.failures.empty());
}

TEST_F(DurableOutboxTest, GroupsSealedDuringAWriteShareTheNextWrite) {
  absl::Notification gate;
  auto outbox = MakeOutbox(UINT64_MAX, &gate);
  outbox->Start();
  // The first group's send holds the writer; the next 50 groups queue up.
  VoteSendSeal(*outbox, 1);
  for (uint64_t r = 2; r <= 51; ++r) {
    VoteSendSeal(*outbox, r);
  }
  gate.Notify();
  outbox->Drain();
  const OutboxStats stats = outbox->stats();
  EXPECT_EQ(stats.groups, 51u);
  EXPECT_EQ(stats.records, 51u);
  // The first group alone (or with some of the next), then the rest at once.
  EXPECT_LE(stats.writes, 2u);
  EXPECT_GE(stats.writes, 1u);
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.sends.size(), 51u);
  for (uint64_t r = 1; r <= 51; ++r) EXPECT_GE(seen_.durable_at_send[r - 1], r);
}

// A commit reaches the execution thread when its group is sealed, so it can
// execute on a snapshot while the records before it are written; it writes
// only once they are durable.
TEST_F(DurableOutboxTest, ACommitStartsBeforeItsRecordsAreWrittenAndWritesAfter) {
  absl::Notification gate;
  auto outbox = MakeOutbox(UINT64_MAX, &gate);
  outbox->Start();
  // The first group's send holds the writer before it takes the next group.
  VoteSendSeal(*outbox, 1);
  ASSERT_TRUE(send_entered_.WaitForNotificationWithTimeout(kWaitMax));
  outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(2), D(2)});
  outbox->Commit(SubDag(0), /*produced_ns=*/0);
  outbox->Send(SendOf(2));
  outbox->Seal();
  ASSERT_TRUE(commit_started_.WaitForNotificationWithTimeout(kWaitMax));
  gate.Notify();
  ASSERT_TRUE(outbox->Drain());
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.durable_at_commit_start.size(), 1u);
  ASSERT_EQ(seen_.durable_at_commit_write.size(), 1u);
  EXPECT_LT(seen_.durable_at_commit_start[0], 2u) << "began while its record was unwritten";
  EXPECT_GE(seen_.durable_at_commit_write[0], 2u) << "wrote before its record was durable";
  ASSERT_EQ(seen_.sends.size(), 2u);
  EXPECT_EQ(seen_.commits_at_send[1], 1u) << "the send after the commit waited for it";
}

TEST_F(DurableOutboxTest, CommitsExecuteInOrderOnTheirOwnThread) {
  auto outbox = MakeOutbox();
  outbox->Start();
  for (uint64_t i = 0; i < 20; ++i) {
    outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(i + 1), D(i + 1)});
    outbox->Commit(SubDag(i), /*produced_ns=*/0);
    outbox->Seal();
  }
  outbox->Drain();
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.commits.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(seen_.commits[i], i);
    EXPECT_NE(seen_.commit_threads[i], std::this_thread::get_id());
  }
}

TEST_F(DurableOutboxTest, AnAnswerFollowsTheRecordsBeforeIt) {
  auto outbox = MakeOutbox();
  outbox->Start();
  absl::Mutex mu;
  uint64_t durable_at_answer = 0;
  bool answered = false;
  auto ticket = std::make_shared<SubmitTicket>([&](std::vector<absl::Status> results) {
    const uint64_t durable = DurableVoteRound(store_.get());
    absl::MutexLock lock(&mu);
    durable_at_answer = durable;
    answered = results.size() == 2 && results[0].ok() && !results[1].ok();
  });
  outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(7), D(7)});
  outbox->Answer(ticket, {absl::OkStatus(), absl::ResourceExhaustedError("full")});
  outbox->Drain();
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(answered);
  EXPECT_EQ(durable_at_answer, 7u);
}

TEST_F(DurableOutboxTest, AFailedCommitStopsTheCommitsAfterIt) {
  auto outbox = MakeOutbox(/*fail_index=*/3);
  outbox->Start();
  for (uint64_t i = 0; i < 10; ++i) {
    outbox->Commit(SubDag(i), 0);
    outbox->Seal();
  }
  outbox->Drain();  // returns once failed
  outbox->Stop();
  absl::MutexLock lock(&seen_.mu);
  EXPECT_EQ(seen_.commits, (std::vector<uint64_t>{0, 1, 2, 3}));
  ASSERT_EQ(seen_.failures.size(), 1u);
  EXPECT_TRUE(absl::IsDataLoss(seen_.failures[0]));
}

TEST_F(DurableOutboxTest, StopFinishesEverythingHandedIn) {
  auto outbox = MakeOutbox();
  outbox->Start();
  for (uint64_t i = 0; i < 10; ++i) {
    outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(i + 1), D(i + 1)});
    outbox->Send(SendOf(i + 1));
    outbox->Commit(SubDag(i), 0);
    if (i % 2 == 0) outbox->Seal();  // the last one stays open: Stop seals it
  }
  outbox->Stop();
  EXPECT_EQ(DurableVoteRound(store_.get()), 10u);
  absl::MutexLock lock(&seen_.mu);
  EXPECT_EQ(seen_.sends.size(), 10u);
  EXPECT_EQ(seen_.commits.size(), 10u);
}

// persistence.h: a CommitAction is durable before any send that follows it.
TEST_F(DurableOutboxTest, ASendWaitsForTheCommitsBeforeIt) {
  auto outbox = MakeOutbox();
  outbox->Start();
  for (uint64_t i = 0; i < 10; ++i) {
    outbox->Commit(SubDag(i), /*produced_ns=*/0);
    outbox->Send(SendOf(i + 1));
    if (i % 3 == 2) outbox->Seal();  // some groups carry several commits
  }
  ASSERT_TRUE(outbox->Drain());
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.sends.size(), 10u);
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_GE(seen_.commits_at_send[k], k + 1) << "send " << k + 1 << " before its commit";
  }
}

// A failed commit stops the node like a crash: no send after it goes out.
// Sends before it may be lost too (commits run ahead of the writer, which
// writes nothing after a failure), as a crash at that moment would lose them.
TEST_F(DurableOutboxTest, AFailedCommitStopsTheSendsAfterIt) {
  auto outbox = MakeOutbox(/*fail_index=*/3);
  outbox->Start();
  for (uint64_t i = 0; i < 10; ++i) {
    outbox->Commit(SubDag(i), /*produced_ns=*/0);
    outbox->Send(SendOf(i + 1));
    outbox->Seal();
  }
  EXPECT_FALSE(outbox->Drain());
  outbox->Stop();
  absl::MutexLock lock(&seen_.mu);
  ASSERT_LE(seen_.sends.size(), 3u);
  for (size_t k = 0; k < seen_.sends.size(); ++k) {
    EXPECT_EQ(seen_.sends[k], k + 1);
    EXPECT_GE(seen_.commits_at_send[k], k + 1) << "send " << k + 1 << " before its commit";
  }
  EXPECT_EQ(seen_.commits, (std::vector<uint64_t>{0, 1, 2, 3}));
}

TEST_F(DurableOutboxTest, AnswersAfterAFailureSendTheClientElsewhere) {
  auto outbox = MakeOutbox(/*fail_index=*/0);
  outbox->Start();
  outbox->Commit(SubDag(0), /*produced_ns=*/0);
  outbox->Seal();
  EXPECT_FALSE(outbox->Drain());
  absl::Mutex mu;
  std::vector<absl::Status> answer;
  auto ticket = std::make_shared<SubmitTicket>([&](std::vector<absl::Status> results) {
    absl::MutexLock lock(&mu);
    answer = std::move(results);
  });
  outbox->Answer(ticket, {absl::OkStatus(), absl::ResourceExhaustedError("full")});
  outbox->Stop();  // finishes what was handed in: the answer
  absl::MutexLock lock(&mu);
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_TRUE(absl::IsUnavailable(answer[0])) << answer[0];
  EXPECT_TRUE(absl::IsResourceExhausted(answer[1])) << answer[1];
}

// A peer's batch or certificate record has no output after it: it rides
// with the next group that has one instead of a synced write of its own.
TEST_F(DurableOutboxTest, RecordsAloneShareTheWriteOfTheNextOutput) {
  auto outbox = MakeOutbox(UINT64_MAX, nullptr, /*lazy_delay=*/absl::Hours(1));
  outbox->Start();
  for (uint64_t r = 1; r <= 10; ++r) {
    outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(r), D(r)});
    outbox->Seal();
  }
  VoteSendSeal(*outbox, 11);
  ASSERT_TRUE(AwaitSends(1));
  const OutboxStats stats = outbox->stats();
  EXPECT_EQ(stats.writes, 1u);
  EXPECT_EQ(stats.records, 11u);
  EXPECT_EQ(stats.groups, 11u);
  EXPECT_EQ(stats.lazy_writes, 0u);
  absl::MutexLock lock(&seen_.mu);
  EXPECT_EQ(seen_.durable_at_send[0], 11u);
}

TEST_F(DurableOutboxTest, ACommitAfterRecordsAloneWritesThemBeforeItExecutes) {
  auto outbox = MakeOutbox(UINT64_MAX, nullptr, /*lazy_delay=*/absl::Hours(1));
  outbox->Start();
  outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(5), D(5)});
  outbox->Seal();
  outbox->Commit(SubDag(0), 0);
  outbox->Seal();
  ASSERT_TRUE(outbox->Drain());
  EXPECT_EQ(outbox->stats().writes, 1u);
  EXPECT_EQ(outbox->stats().lazy_writes, 0u);
  EXPECT_EQ(DurableVoteRound(store_.get()), 5u);
  absl::MutexLock lock(&seen_.mu);
  EXPECT_EQ(seen_.commits.size(), 1u);
}

TEST_F(DurableOutboxTest, DrainWritesRecordsAloneAtOnce) {
  auto outbox = MakeOutbox(UINT64_MAX, nullptr, /*lazy_delay=*/absl::Hours(1));
  outbox->Start();
  for (uint64_t r = 1; r <= 3; ++r) {
    outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(r), D(r)});
    outbox->Seal();
  }
  ASSERT_TRUE(outbox->Drain());
  EXPECT_EQ(DurableVoteRound(store_.get()), 3u);
  EXPECT_EQ(outbox->stats().writes, 1u);
}

TEST_F(DurableOutboxTest, StopWritesRecordsAloneAtOnce) {
  auto outbox = MakeOutbox(UINT64_MAX, nullptr, /*lazy_delay=*/absl::Hours(1));
  outbox->Start();
  outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(7), D(7)});
  outbox->Seal();
  outbox->Stop();  // returns only once written: an hour's wait would hang the test
  EXPECT_EQ(DurableVoteRound(store_.get()), 7u);
}

TEST_F(DurableOutboxTest, RecordsAloneAreWrittenAfterTheDelay) {
  auto outbox = MakeOutbox(UINT64_MAX, nullptr, /*lazy_delay=*/absl::Milliseconds(1));
  outbox->Start();
  outbox->Persist(LastVotedRecord{ValidatorIndex(1), Round(4), D(4)});
  outbox->Seal();
  // No output, no Drain: only the delay writes it (polled, bounded).
  ASSERT_TRUE(net::testing::WaitFor([&] { return outbox->stats().writes > 0; }, kWaitMax));
  const OutboxStats stats = outbox->stats();
  ASSERT_EQ(stats.writes, 1u);
  EXPECT_EQ(stats.lazy_writes, 1u);
  EXPECT_EQ(DurableVoteRound(store_.get()), 4u);
}

}  // namespace
}  // namespace gridledger::node
