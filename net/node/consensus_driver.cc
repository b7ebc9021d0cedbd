#include "net/node/consensus_driver.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/thread_name.h"
#include "core/execution/executor.h"

namespace gridledger::node {

using consensus::Action;
using consensus::TimeMs;

// Every CommitAction must be executable: the core cuts commits to its bound
// (core/consensus/bullshark.h), which must not exceed execution's.
static_assert(consensus::kMaxCommitTransactions <= kMaxBlockTxs,
              "a consensus commit may exceed the executor's block bound");

ConsensusDriver::ConsensusDriver(std::unique_ptr<consensus::Core> core,
                                 std::vector<PublicKey> peer_keys, EventInbox* inbox,
                                 storage::ConsensusStore* consensus_store,
                                 CommitExecutor* commit_executor, VerifyWorker* verify_worker,
                                 net::NodeMetrics* metrics)
    : core_(std::move(core)), peer_keys_(std::move(peer_keys)), inbox_(inbox),
      consensus_store_(consensus_store), commit_executor_(commit_executor),
      verify_worker_(verify_worker), metrics_(metrics), anatomy_(core_->me(), metrics),
      outbox_(
          consensus_store, [this](consensus::SendAction& send) { Send(send); },
          [this](const consensus::CommittedSubDag& sub, int64_t produced_ns,
                 const DurableOutbox::RecordsDurableFn& records_durable) {
            return ExecuteCommit(sub, produced_ns, records_durable);
          },
          [this](const absl::Status& status) { Fail(status); }) {}

ConsensusDriver::~ConsensusDriver() { Stop(); }

// Wall time as of process start plus steady time elapsed since: headers
// carry it as their timestamp (consensus time), and it never goes back or
// stalls when the system clock is stepped, so the core's timers keep running.
TimeMs ConsensusDriver::NowMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  static const int64_t offset_ms =
      duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
      duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return static_cast<TimeMs>(
      offset_ms +
      duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

int64_t ConsensusDriver::MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void ConsensusDriver::Start(const consensus::PersistedState& state,
                            net::Transport* transport) {
  GL_CHECK(!thread_.joinable());
  transport_ = transport;
  outbox_.Start();
  // Start runs on the caller's thread before the loop exists: nothing else
  // touches the core yet.
  Execute(core_->Start(state, NowMs()));
  outbox_.Seal();
  round_.store(core_->round().value());
  thread_ = std::thread([this] {
    NameThisThread("gl-consensus");
    Loop();
  });
}

void ConsensusDriver::EnableCommitSync(std::unique_ptr<CommitSyncer> syncer,
                                       std::unique_ptr<CommitSyncServer> server) {
  GL_CHECK(!thread_.joinable());
  syncer_ = std::move(syncer);
  sync_server_ = std::move(server);
}

void ConsensusDriver::EnableStateSync(StateSync* state_sync) {
  GL_CHECK(!thread_.joinable());
  state_sync_ = state_sync;
}

void ConsensusDriver::ApplyRestore(TimeMs now) {
  // Drain, write, reload: one step of this thread, so no event reaches the
  // pre-restore core once the store holds the snapshot (a commit it made
  // would execute against the restored store), and every commit queued
  // before runs against the store it was made for. A failed outbox dropped
  // what was queued, and its failure stops the driver: the restore is
  // dropped so state sync does not wait for it forever.
  if (failed_.load() || !outbox_.Drain()) {
    state_sync_->AbandonRestore();
    return;
  }
  absl::StatusOr<uint64_t> sequence = state_sync_->ApplyRestore();
  // Nothing written: Loop reloads the core from its own store
  // (TakeEndedWithoutWrite), since it withheld events from it meanwhile.
  if (!sequence.ok()) return;
  if (!Rejoin(now, absl::StrCat("state sync: rejoining at sequence ", *sequence))) return;
  if (syncer_ != nullptr) syncer_->ForceStart();
}

void ConsensusDriver::RejoinAfterFailedRestore(TimeMs now) {
  // The restore wrote nothing, but while it ran the core was withheld
  // events: verification results it waits for (their batches would stay
  // "in verification" forever, never fetched again) and peer messages.
  // Rejoining from its own store forgets those and fetches what is missing.
  if (failed_.load() || !outbox_.Drain()) return;
  Rejoin(now, "state sync: the restore ended without a write; rejoining from our own store");
}

bool ConsensusDriver::Rejoin(TimeMs now, absl::string_view why) {
  auto state = consensus_store_->Load(core_->params().gc_depth);
  if (!state.ok()) {
    Fail(state.status());
    return false;
  }
  logger_.Info(absl::StrCat(why, " (round ", state->last_committed_round.value(), ")"));
  Execute(core_->Rejoin(*state, now));
  return true;
}

void ConsensusDriver::AfterSync(TimeMs now) {
  if (syncer_->TakeRejoin() && !failed_.load()) {
    // A sync starts from the store's commit state: complete what is queued first.
    if (!outbox_.Drain()) return;
    if (!Rejoin(now, "commit sync: rejoining")) return;
  }
  restoring_now_ = Restoring();  // the sync may have asked for a restore
  syncing_.store(syncer_->syncing() || restoring_now_);
  behind_commits_.store(syncer_->behind_commits());
  commits_synced_.store(syncer_->stats().commits_synced);
  syncs_started_.store(syncer_->stats().syncs_started);
  if (metrics_ != nullptr) metrics_->SetSyncing(syncer_->syncing(), syncer_->behind_commits());
}

void ConsensusDriver::Stop() {
  inbox_->Close();
  if (thread_.joinable()) thread_.join();
  outbox_.Stop();  // what the core already did is written, sent and executed
  // Answer submissions still queued so their handlers return at once.
  DrainInbox("node is stopping");
}

absl::Status ConsensusDriver::Enqueue(std::shared_ptr<const consensus::TxList> txs,
                                      std::shared_ptr<SubmitTicket> ticket) {
  if (failed_.load()) return absl::UnavailableError("consensus stopped");
  if (syncing_.load()) return absl::UnavailableError("catching up");
  if (!inbox_->Push(SubmitEvent{std::move(txs), std::move(ticket)})) {
    return absl::UnavailableError(failed_.load() ? "consensus stopped" : "consensus inbox full");
  }
  return absl::OkStatus();
}

void ConsensusDriver::SubmitAsync(std::shared_ptr<const consensus::TxList> txs,
                                  SubmitTicket::Done done) {
  GL_CHECK(txs != nullptr);
  const size_t n = txs->size();
  auto ticket = std::make_shared<SubmitTicket>(std::move(done));
  const absl::Status queued = Enqueue(std::move(txs), ticket);
  if (!queued.ok()) ticket->Complete(std::vector<absl::Status>(n, queued));
}

std::vector<absl::Status> ConsensusDriver::Submit(std::shared_ptr<const consensus::TxList> txs,
                                                  absl::Duration timeout) {
  GL_CHECK(txs != nullptr);
  const size_t n = txs->size();
  auto ticket = std::make_shared<SubmitTicket>();
  if (absl::Status queued = Enqueue(std::move(txs), ticket); !queued.ok()) {
    return std::vector<absl::Status>(n, queued);
  }
  std::vector<absl::Status> results;
  if (!ticket->Wait(timeout, &results)) {
    return std::vector<absl::Status>(
        n, absl::UnavailableError("no answer from consensus in time"));
  }
  return results;
}

absl::Status ConsensusDriver::failure() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

DriverStats ConsensusDriver::stats() const {
  const OutboxStats written = outbox_.stats();
  absl::MutexLock lock(&mu_);
  DriverStats stats = stats_;
  stats.persist_writes = written.writes;
  stats.persist_records = written.records;
  stats.persist_groups = written.groups;
  return stats;
}

void ConsensusDriver::Fail(const absl::Status& status) {
  logger_.Error(absl::StrCat("consensus stopped: ", status.message()));
  absl::MutexLock lock(&mu_);
  if (failure_.ok()) failure_ = status;
  failed_.store(true);
}

void ConsensusDriver::Loop() {
  TimeMs next_tick_ms = NowMs() + consensus::kTimerPeriodMs;
  while (!inbox_->closed() && !failed_.load()) {
    const TimeMs now_before = NowMs();
    const absl::Time deadline =
        absl::Now() + absl::Milliseconds(next_tick_ms > now_before ? next_tick_ms - now_before : 0);
    std::vector<DriverEvent> events = inbox_->Take(deadline, kMaxEventsPerStep);
    // Once per step, not per event (StateSync's mutex): a restore that ends
    // meanwhile only withholds this step's events, which the rejoin after it
    // (TakeEndedWithoutWrite, ApplyRestore) makes up for.
    restoring_now_ = Restoring();
    for (DriverEvent& event : events) {
      if (failed_.load()) {
        AnswerStopped(event, "consensus stopped");
        continue;
      }
      Handle(event, NowMs());
      outbox_.Seal();
      events_handled_.fetch_add(1);
    }
    if (!events.empty()) {
      next_tick_ms = std::min(next_tick_ms, NowMs() + consensus::kTimerPeriodMs);
    }
    const TimeMs now = NowMs();
    if (now >= next_tick_ms && !failed_.load()) {
      if (state_sync_ != nullptr) {
        if (state_sync_->restore_ready()) ApplyRestore(now);
        if (state_sync_->TakeEndedWithoutWrite()) RejoinAfterFailedRestore(now);
      }
      const bool restoring = Restoring();
      restoring_now_ = restoring;
      if (restoring) {
        syncing_.store(true);
        if (metrics_ != nullptr) metrics_->SetSyncing(true, 0);
      } else if (syncer_ == nullptr) {
        syncing_.store(false);
      } else {
        // A sync starts from the store's commit state: complete it first.
        const bool drained =
            !(syncer_->syncing() || syncer_->MayStart(now, core_->dag().highest_round())) ||
            outbox_.Drain();
        if (drained) {
          Execute(syncer_->OnTimer(now, core_->dag().highest_round()));
          AfterSync(now);
        }
      }
      // While syncing the core waits: it rejoins at the tip afterwards.
      if (!restoring_now_ && (syncer_ == nullptr || !syncer_->syncing())) {
        Execute(core_->OnTimer(now));
      }
      // Nothing arrived and nothing waits for rounds: tick less often. Any
      // event brings the short tick back (below).
      const bool idle = events.empty() && !syncing_.load() && !restoring_now_ &&
                        core_->NothingToOrder();
      next_tick_ms =
          now + (idle ? consensus::kIdleTimerPeriodMs : consensus::kTimerPeriodMs);
      outbox_.Seal();
    }
    // Wake when the core's next batch seal or proposal is due rather than at
    // the next tick: up to kTimerPeriodMs of each stage's latency otherwise.
    if (!restoring_now_) {
      if (const std::optional<TimeMs> due = core_->NextDeadlineMs(NowMs())) {
        next_tick_ms = std::min(next_tick_ms, *due);
      }
    }
    round_.store(core_->round().value());
    {
      const TimeMs waited = core_->OwnBacklogWaitMs(NowMs());
      const bool overloaded =
          waited > static_cast<TimeMs>(absl::ToInt64Milliseconds(kOverloadBacklogWait)) &&
          core_->OwnBacklogTxs() > kOverloadBacklogTxs;  // counted only when long
      overload_wait_ms_.store(overloaded ? waited : 0, std::memory_order_relaxed);
    }
    votes_sent_.store(core_->stats().votes_sent);
    messages_rejected_.store(core_->stats().messages_rejected);
    LogRejections(now);
    if (metrics_ != nullptr) {
      const uint64_t rejected = core_->stats().messages_rejected;
      metrics_->AddPeerMessagesRefused(rejected - rejections_exported_);
      rejections_exported_ = rejected;
      const consensus::CoreStats& core_stats = core_->stats();
      metrics_->AddLeaderTimeouts(core_stats.leader_timeouts - leader_timeouts_exported_);
      leader_timeouts_exported_ = core_stats.leader_timeouts;
      metrics_->AddSuspectedLeaderSkips(core_stats.suspected_leader_skips -
                                        suspected_skips_exported_);
      suspected_skips_exported_ = core_stats.suspected_leader_skips;
      using Availability = net::NodeMetrics::AvailabilityEvent;
      const uint64_t availability_now[] = {core_stats.availability_votes_sent,
                                           core_stats.votes_upgraded,
                                           core_stats.stored_batch_checks_failed};
      const Availability events[] = {Availability::kVoteSent, Availability::kVoteUpgraded,
                                     Availability::kCheckFailed};
      for (size_t i = 0; i < availability_exported_.size(); ++i) {
        metrics_->AddAvailabilityEvents(events[i], availability_now[i] - availability_exported_[i]);
        availability_exported_[i] = availability_now[i];
      }
      metrics_->SetRound(core_->round().value());
      metrics_->SetQueueDepth(net::MetricsQueue::kConsensusInbox, inbox_->size());
      metrics_->SetQueueDepth(net::MetricsQueue::kVerifyPending, verify_worker_->queued());
      metrics_->SetQueueDepth(net::MetricsQueue::kStorageWrites, outbox_.queued_groups());
      metrics_->SetQueueDepth(net::MetricsQueue::kOwnBatches, core_->own_backlog_batches());
    }
  }
  overload_wait_ms_.store(0, std::memory_order_relaxed);  // a stopped node is not overloaded
  // A failed core answers what is still queued instead of leaving clients
  // waiting (a stream's answer waits for it without a timeout), and nothing
  // more is queued: Submit answers at once.
  if (failed_.load()) {
    inbox_->Close();
    DrainInbox("consensus stopped");
  }
}

void ConsensusDriver::AnswerStopped(DriverEvent& event, absl::string_view why) {
  if (auto* submit = std::get_if<SubmitEvent>(&event)) {
    submit->ticket->Complete(
        std::vector<absl::Status>(submit->txs->size(), absl::UnavailableError(why)));
  }
}

void ConsensusDriver::DrainInbox(absl::string_view why) {
  for (;;) {
    std::vector<DriverEvent> rest = inbox_->Take(absl::InfinitePast(), kMaxEventsPerStep);
    if (rest.empty()) break;
    for (DriverEvent& e : rest) AnswerStopped(e, why);
  }
}

void ConsensusDriver::LogRejections(TimeMs now) {
  // At most one line per period, however fast a peer sends what is refused.
  if (now < last_rejection_log_ms_ + kRejectionLogPeriodMs) return;
  const uint64_t rejected = core_->stats().messages_rejected;
  if (rejected == rejections_logged_) return;
  logger_.Warn(absl::StrCat("consensus refused ", rejected - rejections_logged_,
                            " peer messages, latest: ", core_->last_rejection()));
  rejections_logged_ = rejected;
  last_rejection_log_ms_ = now;
}

void ConsensusDriver::Handle(DriverEvent& event, TimeMs now) {
  const bool paused = (syncer_ != nullptr && syncer_->syncing()) || restoring_now_;
  if (auto* peer = std::get_if<PeerEvent>(&event)) {
    if (syncer_ != nullptr) {
      if (const auto* req = std::get_if<consensus::CommitSyncRequest>(&peer->message)) {
        std::vector<Action> answer;
        for (auto& m : sync_server_->Serve(peer->from, *req, now)) {
          answer.push_back(consensus::SendAction{peer->from, std::move(m)});
        }
        Execute(std::move(answer));
        return;
      }
      if (const auto* resp = std::get_if<consensus::CommitSyncResponse>(&peer->message)) {
        Execute(syncer_->OnResponse(peer->from, *resp, now));
        AfterSync(now);
        return;
      }
      syncer_->NotePeerMessage(peer->from, peer->message);
    }
    if (paused) return;
    Execute(core_->OnMessage(peer->from, peer->message, now));
  } else if (auto* submit = std::get_if<SubmitEvent>(&event)) {
    if (paused) {
      submit->ticket->Complete(std::vector<absl::Status>(
          submit->txs->size(), absl::UnavailableError("catching up")));
      return;
    }
    std::vector<absl::Status> results;
    results.reserve(submit->txs->size());
    std::vector<Action> actions;
    for (ByteSpan tx : *submit->txs) {
      auto out = core_->SubmitTransaction(tx, now);
      if (!out.ok()) {
        results.push_back(out.status());
        continue;
      }
      results.push_back(absl::OkStatus());
      anatomy_.OnAdmitted(MonotonicNs(), LatencyAnatomy::SealsOwnBatch(*out, core_->me()));
      for (Action& a : *out) actions.push_back(std::move(a));
    }
    // Actions first: the answer "accepted" must not precede a persisted batch.
    Execute(std::move(actions));
    outbox_.Answer(std::move(submit->ticket), std::move(results));
  } else if (auto* verified = std::get_if<VerifiedEvent>(&event)) {
    // While syncing the core must not commit (its commit state is behind).
    if (!paused) Execute(core_->OnBatchVerified(verified->digest, verified->ok, now));
  }
}

void ConsensusDriver::Execute(std::vector<Action> actions) {
  // The outbox keeps persistence.h's order: each send and commit runs once
  // the records before it are durable.
  for (Action& action : actions) {
    if (failed_.load()) return;
    anatomy_.OnAction(action, MonotonicNs());
    if (auto* persist = std::get_if<consensus::PersistAction>(&action)) {
      outbox_.Persist(std::move(persist->record));
    } else if (auto* send = std::get_if<consensus::SendAction>(&action)) {
      // An ack, an own batch push or an own certificate's broadcast need not
      // wait behind the outbox's synced writes (persistence.h). A Byzantine
      // test rewriter runs on the outbox thread only, so its sends keep the
      // outbox's order.
      if (send->waits_for_records || send_rewriter_) {
        outbox_.Send(std::move(*send));
      } else {
        Send(*send);
      }
    } else if (auto* verify = std::get_if<consensus::VerifyBatchAction>(&action)) {
      verify_worker_->Enqueue(verify->digest, std::move(verify->batch), verify->deferrable);
    } else if (auto* cancel = std::get_if<consensus::CancelVerifyAction>(&action)) {
      verify_worker_->Cancel(cancel->digest);
    } else if (auto* commit = std::get_if<consensus::CommitAction>(&action)) {
      outbox_.Commit(std::move(commit->sub_dag), MonotonicNs());
    }
  }
}

absl::Status ConsensusDriver::ExecuteCommit(
    const consensus::CommittedSubDag& sub, int64_t produced_ns,
    const DurableOutbox::RecordsDurableFn& records_durable) {
  absl::Status s = commit_executor_->Execute(sub, records_durable);
  LatencyAnatomy::ObserveExecuted(metrics_, produced_ns, MonotonicNs());
  return s;
}

void ConsensusDriver::Send(consensus::SendAction& send) {
  if (transport_ == nullptr) return;
  if (send_rewriter_) {  // TEST ONLY: a Byzantine validator (node config `byzantine`)
    for (RewrittenSend& r : send_rewriter_(send)) {
      GL_CHECK(r.to.value() < peer_keys_.size());
      const absl::Status s = transport_->Send(peer_keys_[r.to.value()], std::move(r.bytes));
      absl::MutexLock lock(&mu_);
      ++stats_.sends;
      if (!s.ok()) ++stats_.sends_refused;
    }
    return;
  }
  Bytes bytes = consensus::EncodeMessage(send.message);
  absl::Status s;
  if (send.to.has_value()) {
    GL_CHECK(send.to->value() < peer_keys_.size());
    s = transport_->Send(peer_keys_[send.to->value()], std::move(bytes));
  } else {
    s = transport_->Broadcast(std::move(bytes));
  }
  absl::MutexLock lock(&mu_);
  ++stats_.sends;
  if (!s.ok()) ++stats_.sends_refused;
}

}  // namespace gridledger::node
