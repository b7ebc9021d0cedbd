// A snapshot restore through the real ConsensusDriver (net/node/consensus_driver.h)
// with a real core, outbox and commit executor, the snapshot served by
// in-process StateSync peers. The driver writes the verified snapshot and
// reloads its core in one step of its thread, so:
// - events that arrive the moment the store holds the snapshot are handled
//   by the reloaded core (its commits follow the snapshot's sequence), never
//   by the pre-restore core (whose commits would run against the restored
//   store: refused, and the driver stopped);
// - commits the core queued before the restore all execute before the
//   snapshot is written, against the store they were made for.
// The interleavings are driven by hooks at the exact points (StateSync's
// on_restored, the executor's commit observer), not by timing.
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/consensus/core.h"
#include "core/consensus/messages.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "net/node/commit_executor.h"
#include "net/node/commit_feed.h"
#include "net/node/consensus_driver.h"
#include "net/node/event_inbox.h"
#include "net/node/pending_txs.h"
#include "net/node/tx_checker.h"
#include "net/node/verify_worker.h"
#include "tests/net/node/state_sync_peers.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::WaitFor;
using state_sync_test::kPeers;
using state_sync_test::kSequence;
using state_sync_test::Peer;

constexpr uint32_t kSyncClient = 0;
// Rounds of certificates by validators 1..3: enough for several anchors of
// theirs to commit whichever validators lead the even rounds.
constexpr uint64_t kRounds = 10;
constexpr absl::Duration kSyncWaitMax = absl::Seconds(30);

class StateSyncDriverTest : public ::testing::Test {
 protected:
  ~StateSyncDriverTest() override {
    if (driver_ != nullptr) driver_->Stop();
    if (verify_worker_ != nullptr) verify_worker_->Stop();
  }

  // Validators 1..3 serve a snapshot at kSequence whose last committed round
  // is `tip_round`; the client (validator 0) starts empty.
  void MakePeers(Round tip_round) {
    for (uint32_t i = 1; i < kPeers; ++i) {
      ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(i, kSequence, false, true, tip_round));
    }
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(kSyncClient, 0, false, false));
    Peer& c = client();
    executor_ = std::make_unique<CommitExecutor>(c.store.get(), c.consensus.get(), SliceId(0),
                                                 &pending_, &feed_, nullptr);
    tx_checker_ = std::make_unique<TxChecker>(std::make_unique<CpuBatchVerifier>(1),
                                              peers_.committee().chain_id(), SliceId(0),
                                              nullptr);
    verify_worker_ = std::make_unique<VerifyWorker>(tx_checker_.get(), &inbox_);
  }

  Peer& client() { return peers_.peer(kSyncClient); }

  // The client's driver over an empty store, with state sync (no commit
  // sync: nothing but the restore moves its commit state).
  void StartDriver(bool start_verify_worker = true) {
    auto core = std::make_unique<consensus::Core>(peers_.committee(), consensus::Parameters{},
                                                  ValidatorIndex(kSyncClient),
                                                  peers_.key(kSyncClient), &checker_);
    std::vector<PublicKey> keys;
    for (uint32_t i = 0; i < kPeers; ++i) keys.push_back(peers_.key(i).public_key());
    driver_ = std::make_unique<ConsensusDriver>(std::move(core), keys, &inbox_,
                                                client().consensus.get(), executor_.get(),
                                                verify_worker_.get(), nullptr);
    driver_->EnableStateSync(client().sync.get());
    if (start_verify_worker) verify_worker_->Start();
    peers_.StartAll();
    driver_->Start(consensus::PersistedState{}, /*transport=*/nullptr);
  }

  // Certificates of rounds 1..kRounds by validators 1..3, each linking all
  // of the round before, signed by them: the DAG the client would hear.
  // Validator 1's header of round 1 carries `first_batch` when given.
  std::vector<consensus::Certificate> Dag(std::optional<Digest> first_batch = std::nullopt) {
    std::vector<Digest> prev;
    for (const consensus::Certificate& g : consensus::GenesisCertificates(peers_.committee())) {
      prev.push_back(consensus::CertificateDigest(g));
    }
    std::vector<consensus::Certificate> out;
    const uint64_t now_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
    for (uint64_t r = 1; r <= kRounds; ++r) {
      std::sort(prev.begin(), prev.end());
      std::vector<Digest> next;
      for (uint32_t a = 1; a < kPeers; ++a) {
        consensus::Header h;
        h.slice = SliceId(0);
        h.author = ValidatorIndex(a);
        h.round = Round(r);
        h.parents = prev;
        if (r == 1 && a == 1 && first_batch.has_value()) h.batches.push_back(*first_batch);
        h.chain_id = peers_.committee().chain_id();
        h.timestamp_ms = now_ms + r;
        const Digest d = consensus::HeaderDigest(h);
        h.signature = peers_.key(a).Sign(d);
        consensus::Certificate c{h, {}};
        for (uint32_t v = 1; v < kPeers; ++v) {
          c.votes.push_back({ValidatorIndex(v), peers_.key(v).Sign(consensus::VotePayload(d))});
        }
        next.push_back(d);
        out.push_back(std::move(c));
      }
      prev = std::move(next);
    }
    return out;
  }

  void Deliver(const std::vector<consensus::Certificate>& dag) {
    for (const consensus::Certificate& c : dag) {
      ASSERT_TRUE(inbox_.Push(PeerEvent{c.header.author, c}));
    }
  }

  state_sync_test::SnapshotPeers peers_;
  // What the hooks touch: members, so they outlive the driver's threads
  // (stopped in the destructor) whatever the test body does.
  std::vector<consensus::Certificate> dag_;
  absl::Notification first_executed_;
  absl::Mutex hook_mu_;
  std::vector<uint64_t> executed_at_ ABSL_GUARDED_BY(hook_mu_);  // the store's sequence then
  std::atomic<bool> filled_{false};
  consensus::SchnorrChecker checker_;
  PendingTxs pending_;
  CommitFeed feed_{0};
  EventInbox inbox_;
  std::unique_ptr<CommitExecutor> executor_;
  std::unique_ptr<TxChecker> tx_checker_;
  std::unique_ptr<VerifyWorker> verify_worker_;
  std::unique_ptr<ConsensusDriver> driver_;
};

TEST_F(StateSyncDriverTest, EventsArrivingOnceTheSnapshotIsWrittenReachTheReloadedCore) {
  // The moment the store holds the snapshot, the committee's DAG arrives.
  ASSERT_NO_FATAL_FAILURE(MakePeers(Round(0)));
  dag_ = Dag();
  client().sync->set_on_restored([this](uint64_t sequence) {
    EXPECT_EQ(sequence, kSequence);
    Deliver(dag_);
  });
  StartDriver();
  client().sync->RequestRestore();
  storage::NodeStore& store = *client().store;
  ASSERT_TRUE(WaitFor([&] { return store.last_committed_sequence() > kSequence ||
                                   !driver_->failure().ok(); },
                      kSyncWaitMax))
      << "no commit after the restore";
  ASSERT_TRUE(driver_->failure().ok()) << driver_->failure();
  EXPECT_EQ(client().sync->stats().restores_done, 1u);
  // Every commit was the reloaded core's: after the snapshot, in order, once.
  EXPECT_GT(executor_->stats().executed.load(), 0u);
  EXPECT_EQ(executor_->stats().already_executed.load(), 0u);
  EXPECT_EQ(store.last_committed_sequence(), kSequence + executor_->stats().executed.load());
  EXPECT_EQ(*store.RecomputeStateRoot(), *store.StateRoot());
  // The snapshot's final checkpoint was written with it.
  EXPECT_TRUE(client().checkpoints->Get(kSequence).ok());
}

TEST_F(StateSyncDriverTest, CommitsQueuedBeforeTheRestoreExecuteBeforeItIsWritten) {
  // The pre-restore core commits the DAG; its first commit's execution is
  // held until the snapshot has verified, so the later ones are still
  // queued in the outbox then. The snapshot is of a later round than the
  // DAG (as a snapshot ahead of this validator's commits is).
  ASSERT_NO_FATAL_FAILURE(MakePeers(Round(kRounds + 2)));
  executor_->set_commit_observer(
      [this](uint64_t sequence, absl::Span<const BlockTx>, const BlockOutcome&) {
        {
          absl::MutexLock lock(&hook_mu_);
          executed_at_.push_back(sequence);
        }
        if (sequence != 1) return;
        first_executed_.Notify();
        EXPECT_TRUE(WaitFor([&] { return client().sync->restore_ready(); }, kSyncWaitMax));
      });
  StartDriver();
  dag_ = Dag();
  Deliver(dag_);
  ASSERT_TRUE(first_executed_.WaitForNotificationWithTimeout(kSyncWaitMax));
  // Every certificate handled by the core (its commits queued) before the
  // restore pauses it. Not "records written": once the core proposes, its
  // send waits behind the held commit 1, and so do later records.
  ASSERT_TRUE(WaitFor([&] { return inbox_.size() == 0 &&
                                   driver_->events_handled() >= dag_.size(); },
                      kSyncWaitMax));
  client().sync->RequestRestore();
  storage::NodeStore& store = *client().store;
  ASSERT_TRUE(WaitFor([&] { return client().sync->stats().restores_done > 0 ||
                                   !driver_->failure().ok(); },
                      kSyncWaitMax));
  ASSERT_TRUE(driver_->failure().ok()) << driver_->failure();
  absl::MutexLock lock(&hook_mu_);
  // Each pre-restore commit ran on the store it was made for: 1, 2, ... in
  // order, all below the snapshot, and the snapshot was written after them.
  ASSERT_GE(executed_at_.size(), 2u);
  for (size_t i = 0; i < executed_at_.size(); ++i) EXPECT_EQ(executed_at_[i], i + 1);
  EXPECT_LT(executed_at_.back(), kSequence);
  EXPECT_EQ(store.last_committed_sequence(), kSequence);
  EXPECT_EQ(*store.RecomputeStateRoot(), *peers_.peer(1).store->StateRoot());
}

TEST_F(StateSyncDriverTest, AFailedWriteWhileApplyingWritesNothingAndTheCoreCarriesOn) {
  // The client's own table holds the snapshot's checkpoint with only f+1
  // signatures (put there below quorum on purpose): the restore takes it,
  // and the restore's write transaction fails on it after the state and the
  // consensus tip were put, as an I/O error there would.
  ASSERT_NO_FATAL_FAILURE(MakePeers(Round(0)));
  SignedCheckpoint weak = peers_.Final(peers_.peer(1));
  weak.signatures.pop_back();
  ASSERT_TRUE(client().checkpoints->Write({weak}, 2).ok());
  StartDriver();
  client().sync->RequestRestore();
  ASSERT_TRUE(WaitFor([&] { return !client().sync->restoring(); }, kSyncWaitMax));
  storage::NodeStore& store = *client().store;
  // Nothing written: no state, no tip, the checkpoint as it was.
  EXPECT_EQ(client().sync->stats().restores_done, 0u);
  EXPECT_EQ(store.last_committed_sequence(), 0u);
  absl::StatusOr<SignedCheckpoint> stored = client().checkpoints->Get(kSequence);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->signatures.size(), 2u);
  // The core carries on from its own (empty) store.
  dag_ = Dag();
  Deliver(dag_);
  ASSERT_TRUE(WaitFor([&] { return store.last_committed_sequence() > 0 ||
                                   !driver_->failure().ok(); },
                      kSyncWaitMax));
  ASSERT_TRUE(driver_->failure().ok()) << driver_->failure();
  EXPECT_EQ(executor_->stats().already_executed.load(), 0u);
  EXPECT_EQ(store.last_committed_sequence(), executor_->stats().executed.load());
}

TEST_F(StateSyncDriverTest, ARefusedRestoreWritesNothingAndTheCoreRejoinsFromItsOwnStore) {
  // Once the snapshot verified (peer 1 sends its final checkpoint), the
  // client's store already reached the snapshot's sequence by other means
  // (as queued commits can carry it): the restore is refused, and the core,
  // which waited meanwhile, reloads from its own store and carries on there.
  ASSERT_NO_FATAL_FAILURE(MakePeers(Round(0)));
  // Every peer: whichever sends the checkpoint first (the client asks the
  // next one every kSnapshotCheckpointRetry) fills the store, and none is
  // delivered before that is done.
  for (uint32_t i = 1; i < kPeers; ++i) {
    peers_.set_tamper(i, [this](Bytes bytes) {
      absl::StatusOr<StateSyncMessage> m = DecodeStateSync(bytes);
      const auto* answer = m.ok() ? std::get_if<CheckpointsAnswer>(&*m) : nullptr;
      // The peers hold only kSequence's checkpoint: a non-empty answer is it.
      if (answer == nullptr || answer->records.empty()) return bytes;
      absl::MutexLock lock(&hook_mu_);
      if (!filled_.exchange(true)) {
        peers_.Fill(client(), kSequence, false, Round(0));
      }
      return bytes;
    });
  }
  StartDriver();
  client().sync->RequestRestore();
  ASSERT_TRUE(WaitFor([&] { return !client().sync->restoring(); }, kSyncWaitMax));
  ASSERT_TRUE(filled_.load());
  storage::NodeStore& store = *client().store;
  EXPECT_EQ(client().sync->stats().restores_done, 0u);
  EXPECT_EQ(store.last_committed_sequence(), kSequence);
  // (Its final checkpoint may be stored all the same: a late answer to the
  // restore's request is a verified checkpoint of our own root now.)
  // The core's commits follow its own store's (without the rejoin they
  // would start at sequence 1, below it).
  dag_ = Dag();
  Deliver(dag_);
  ASSERT_TRUE(WaitFor([&] { return store.last_committed_sequence() > kSequence ||
                                   !driver_->failure().ok(); },
                      kSyncWaitMax))
      << "no commit after the refused restore";
  ASSERT_TRUE(driver_->failure().ok()) << driver_->failure();
  EXPECT_EQ(executor_->stats().already_executed.load(), 0u);
  EXPECT_EQ(store.last_committed_sequence(), kSequence + executor_->stats().executed.load());
}

TEST_F(StateSyncDriverTest, BatchesWhoseVerificationARestoreWithheldAreVerifiedAgain) {
  // Validator 1 pushes a batch; its verification result arrives while a
  // restore pauses the core (withheld), then the restore is abandoned (no
  // peer has the snapshot's final checkpoint). The core, rejoined from its
  // own store, no longer counts the batch as in verification: pushed again,
  // it is verified and stored, and the certificate naming it commits.
  // (Without the rejoin it would wait "in verification" forever.)
  for (uint32_t i = 1; i < kPeers; ++i) {
    ASSERT_NO_FATAL_FAILURE(
        peers_.MakePeer(i, kSequence, false, /*final_checkpoint=*/false, Round(0)));
  }
  ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(kSyncClient, 0, false, false));
  Peer& c = client();
  executor_ = std::make_unique<CommitExecutor>(c.store.get(), c.consensus.get(), SliceId(0),
                                               &pending_, &feed_, nullptr);
  tx_checker_ = std::make_unique<TxChecker>(std::make_unique<CpuBatchVerifier>(1),
                                            peers_.committee().chain_id(), SliceId(0), nullptr);
  verify_worker_ = std::make_unique<VerifyWorker>(tx_checker_.get(), &inbox_);
  consensus::Batch batch;
  batch.slice = SliceId(0);
  batch.author = ValidatorIndex(1);
  batch.sequence = 1;
  batch.transactions.push_back(cluster_test::MakeTransfer(
      peers_.committee().chain_id(), KeyPair::FromSeed(900), 0,
      KeyPair::FromSeed(901).public_key(), 1));
  StartDriver(/*start_verify_worker=*/false);
  ASSERT_TRUE(inbox_.Push(PeerEvent{ValidatorIndex(1), batch}));
  ASSERT_TRUE(WaitFor([&] { return driver_->events_handled() >= 1; }, kSyncWaitMax));
  client().sync->RequestRestore();  // restoring() from now on
  verify_worker_->Start();          // its result reaches the paused core
  ASSERT_TRUE(WaitFor([&] { return driver_->events_handled() >= 2; }, kSyncWaitMax));
  ASSERT_TRUE(WaitFor([&] { return !client().sync->restoring(); }, kSyncWaitMax));
  EXPECT_EQ(client().sync->stats().restores_done, 0u);
  dag_ = Dag(consensus::BatchDigest(batch));
  Deliver(dag_);
  storage::NodeStore& store = *client().store;
  // The author pushes its unacknowledged batch again (the client has no
  // transport to fetch it with).
  const absl::Time deadline = absl::Now() + kSyncWaitMax;
  while (store.last_committed_sequence() == 0 && driver_->failure().ok() &&
         absl::Now() < deadline) {
    ASSERT_TRUE(inbox_.Push(PeerEvent{ValidatorIndex(1), batch}));
    WaitFor([&] { return store.last_committed_sequence() > 0; }, absl::Milliseconds(200));
  }
  ASSERT_TRUE(driver_->failure().ok()) << driver_->failure();
  EXPECT_GT(store.last_committed_sequence(), 0u) << "the batch never left verification";
}

}  // namespace
}  // namespace gridledger::node
