#include "tests/sim/simulator.h"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/consensus/core.h"
#include "net/node/persist_order.h"
#include "tests/sim/adversary.h"
#include "tests/sim/caching_checker.h"
#include "tests/sim/real_store.h"
#include "tests/sim/sim_rng.h"
#include "tests/sim/test_tx.h"

namespace gridledger::sim {
namespace {

using consensus::Action;
using consensus::CommitAction;
using consensus::CommittedSubDag;
using consensus::Committee;
using consensus::Core;
using consensus::PersistAction;
using consensus::PersistedState;
using consensus::SendAction;
using consensus::VerifyBatchAction;

using TxKey = std::pair<uint32_t, uint64_t>;  // (client, sequence)

// What an honest validator's disk holds (persistence.h), plus its commit log.
struct Store {
  std::map<uint32_t, consensus::LastVotedRecord> last_voted;
  std::optional<consensus::Header> own_header;
  std::map<Digest, consensus::Certificate> certificates;
  std::map<Digest, consensus::Batch> batches;
  Round last_committed_round{0};
  uint64_t next_commit_index = 0;
  std::vector<Digest> committed;

  PersistedState Load() const {
    PersistedState s;
    for (const auto& [a, r] : last_voted) s.last_voted.push_back(r);
    s.own_header = own_header;
    for (const auto& [d, c] : certificates) s.certificates.push_back(c);
    for (const auto& [d, b] : batches) s.batches.push_back(b);
    s.last_committed_round = last_committed_round;
    s.next_commit_index = next_commit_index;
    s.committed_certificates = committed;
    return s;
  }
};

struct CommitEntry {
  Digest anchor;
  std::vector<Digest> certificates;
  std::vector<Digest> batches;
  bool operator==(const CommitEntry&) const = default;
};

// outbox mode: an output waiting for the execution of the commit before it
// (the node's DurableOutbox: a send runs once earlier commits executed).
struct QueuedOutput {
  std::optional<CommittedSubDag> commit;  // else `send`
  std::optional<SendAction> send;
  bool recorded = false;  // outbox_bug_record_at_queue: recorded when queued
};

struct Node {
  uint32_t index = 0;
  std::unique_ptr<KeyPair> key;
  bool byzantine = false;
  bool up = true;
  uint32_t incarnation = 0;  // messages to an earlier incarnation are lost
  std::unique_ptr<Core> core;
  std::unique_ptr<Adversary> adversary;
  Store store;
  std::unique_ptr<RealStore> real_store;  // real_store mode: the node's adapter
  std::vector<CommitEntry> log;
  std::map<TxKey, uint32_t> committed_txs;  // how often each was committed
  // outbox mode: outputs behind a commit not executed yet (a commit first).
  std::deque<QueuedOutput> outbox;
  bool execution_scheduled = false;
  bool crash_pending = false;       // a queued-commit crash, at the event's end
  // real_store with lazy_records_ms: records waiting for a write (no send
  // or commit after them yet), and whether a kFlushLazy is scheduled.
  std::vector<consensus::PersistRecord> unwritten;
  uint64_t unwritten_since_ms = 0;  // when the first of them was made
  bool lazy_flush_scheduled = false;
  // Commit indices a queued-commit crash dropped and the validator has not
  // executed again yet (each must be, exactly once: FinalChecks).
  std::set<uint64_t> dropped_by_queued_crash;
};

struct PendingTx {
  uint32_t submissions = 0;  // accepted by a validator
  uint64_t retry_at_ms = 0;  // (re)submit when due
  uint32_t target = 0;
  bool attempted = false;
};

struct Client {
  uint64_t next_sequence = 0;
  uint64_t next_submit_ms = 0;
  std::map<uint64_t, PendingTx> pending;  // not yet committed anywhere honest
};

enum class EventKind { kDeliver, kVerified, kTick, kCrash, kRestart, kExecuteCommit, kFlushLazy };

struct Event {
  explicit Event(EventKind k, uint32_t to_node = 0, uint32_t from_node = 0,
                 uint32_t inc = 0, Bytes b = {})
      : kind(k), to(to_node), from(from_node), incarnation(inc), bytes(std::move(b)) {}
  EventKind kind;
  uint32_t to = 0;
  uint32_t from = 0;
  uint32_t incarnation = 0;  // of `to` when scheduled
  Bytes bytes;
  Digest digest;
  bool ok = false;
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& config)
      : config_(config), rng_(config.seed ^ 0x6772696c65646765ULL) {}

  SimResult Run();

 private:
  void Schedule(uint64_t at_ms, Event e) {
    events_.emplace(std::make_pair(at_ms, next_event_seq_++), std::move(e));
  }
  void Fail(std::string why) {
    if (!result_.ok) return;
    result_.ok = false;
    result_.failure = absl::StrCat("t=", now_ms_, "ms: ", why);
  }
  bool FaultsActive() const { return now_ms_ < config_.faults_end_ms; }
  bool Partitioned(uint32_t a, uint32_t b) const;
  void Send(uint32_t from, uint32_t to, Bytes bytes);
  void Execute(Node& node, std::vector<Action> actions);
  void SendNow(Node& node, SendAction& send);
  // `record`: write the commit state (real_store) as the executor does.
  void OnCommit(Node& node, const CommittedSubDag& sub, bool record = true);
  // outbox mode: the node has outputs queued behind a commit.
  bool UsesOutbox(const Node& node) const {
    return config_.outbox && node.real_store != nullptr && !node.byzantine;
  }
  void QueueCommit(Node& node, CommittedSubDag sub);
  // After a call's records are durable: schedules the next execution and
  // marks a queued-commit crash that is due.
  void AfterQueued(Node& node);
  // The execution "thread": the first queued commit, then the sends behind it.
  void ExecuteQueued(Node& node);
  void CrashNode(Node& node);
  // The first of `crashes` (drawn deferred crashes, sim_config.h) due for
  // `node` now that `fits`: marks it fired and, unless its outage would end
  // after faults_end_ms (then it is dropped), schedules the restart and
  // returns true.
  template <typename DeferredCrash, typename Fits>
  bool FireDeferredCrash(const Node& node, const std::vector<DeferredCrash>& crashes,
                         std::vector<bool>& fired, Fits fits);
  // An early-send crash: `node` dies right after a send (`push`: an own batch
  // push; `certificate`: an own certificate) with `pending` records not yet
  // durable, which are lost.
  void CrashAfterEarlySend(Node& node, bool push, bool certificate,
                           const std::vector<consensus::PersistRecord>& pending);
  void OnPersist(Node& node, const consensus::PersistRecord& record);
  void StartNode(Node& node);
  // real_store mode: one synced ConsensusStore write for `pending`, as the
  // node's driver does before a send, a commit and at the end of a call.
  void FlushPersist(Node& node, std::vector<consensus::PersistRecord>* pending);
  absl::StatusOr<PersistedState> LoadState(const Node& node) const;
  void Tick();
  void ClientsAct();
  bool AllCommitted() const;
  void FinalChecks();
  // Adds an honest validator's refusals to the result (before a crash drops its core).
  void AddHonestStats(const Node& node);

  SimConfig config_;
  SimRng rng_;
  std::unique_ptr<TempDir> store_dir_;  // real_store mode; removed at the end
  std::unique_ptr<Committee> committee_;
  CachingChecker checker_;
  std::vector<Node> nodes_;
  std::vector<Client> clients_;
  std::map<TxKey, uint32_t> submissions_;
  std::map<std::pair<uint64_t, uint64_t>, Event> events_;
  uint64_t next_event_seq_ = 0;
  uint64_t now_ms_ = 0;
  std::vector<CommitEntry> canonical_;
  std::map<std::pair<uint32_t, uint64_t>, Digest> certified_;  // (author, round)
  std::map<std::pair<uint32_t, uint64_t>, Digest> proposed_;   // honest (author, round)
  std::map<TxKey, uint64_t> first_commit_ms_;
  std::map<TxKey, uint64_t> first_submit_ms_;
  std::vector<bool> queued_crash_fired_;  // parallel to config_.queued_commit_crashes
  std::vector<bool> early_crash_fired_;   // parallel to config_.early_send_crashes
  uint64_t latency_rounds_sum_ = 0;
  uint64_t latency_samples_ = 0;
  SimResult result_;
};

bool Simulation::Partitioned(uint32_t a, uint32_t b) const {
  for (const Partition& p : config_.partitions) {
    if (now_ms_ >= p.start_ms && now_ms_ < p.end_ms && p.side[a] != p.side[b]) return true;
  }
  return false;
}

void Simulation::Send(uint32_t from, uint32_t to, Bytes bytes) {
  if (to == from || to >= nodes_.size()) return;
  if (FaultsActive()) {
    if (Partitioned(from, to) || rng_.Chance(config_.loss_per_million)) return;
    if (rng_.Chance(config_.duplicate_per_million)) {
      Schedule(now_ms_ + rng_.Range(config_.delay_min_ms, config_.delay_max_ms),
               Event(EventKind::kDeliver, to, from, nodes_[to].incarnation, bytes));
    }
  }
  Schedule(now_ms_ + rng_.Range(config_.delay_min_ms, config_.delay_max_ms),
           Event(EventKind::kDeliver, to, from, nodes_[to].incarnation, std::move(bytes)));
}

void Simulation::OnPersist(Node& node, const consensus::PersistRecord& record) {
  Store& s = node.store;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, consensus::LastVotedRecord>) {
          auto& lv = s.last_voted[r.author.value()];
          if (lv.round <= r.round) lv = r;
        } else if constexpr (std::is_same_v<T, consensus::OwnHeaderRecord>) {
          s.own_header = r.header;
        } else if constexpr (std::is_same_v<T, consensus::CertificateRecord>) {
          const consensus::Header& h = r.certificate.header;
          const Digest d = consensus::CertificateDigest(r.certificate);
          s.certificates.emplace(d, r.certificate);
          if (!node.byzantine) {
            auto [it, inserted] =
                certified_.emplace(std::make_pair(h.author.value(), h.round.value()), d);
            if (!inserted && it->second != d) {
              Fail(absl::StrCat("two certificates for author ", h.author.value(), " round ",
                                h.round.value(), " in honest DAGs"));
            }
          }
        } else if constexpr (std::is_same_v<T, consensus::BatchRecord>) {
          s.batches.emplace(consensus::BatchDigest(*r.batch), *r.batch);
        }
      },
      record);
}

void Simulation::OnCommit(Node& node, const CommittedSubDag& sub, bool record) {
  if (node.real_store != nullptr && record) {
    const absl::Status recorded = node.real_store->RecordCommit(sub);
    if (!recorded.ok()) {
      Fail(absl::StrCat("validator ", node.index, " commit ", sub.index,
                        " not recorded: ", recorded.ToString()));
      return;
    }
  }
  Store& s = node.store;
  s.last_committed_round = sub.last_committed_round;
  s.next_commit_index = sub.index + 1;
  CommitEntry entry;
  entry.anchor = sub.anchor;
  for (const auto& c : sub.certificates) {
    const Digest d = consensus::CertificateDigest(c);
    s.committed.push_back(d);
    entry.certificates.push_back(d);
  }
  if (node.byzantine) return;
  if (sub.index != node.log.size()) {
    Fail(absl::StrCat("validator ", node.index, " commit index ", sub.index, " after ",
                      node.log.size(), " commits"));
    return;
  }
  // Certified: every certificate verifies and the batches are exactly its payload.
  size_t next_batch = 0;
  for (const auto& c : sub.certificates) {
    const Digest d = consensus::CertificateDigest(c);
    if (c.header.round.value() == 0 ||
        !consensus::VerifyCertificate(c, d, *committee_, checker_).ok()) {
      Fail(absl::StrCat("validator ", node.index, " committed an uncertified header ",
                        d.ShortHex()));
      return;
    }
    for (const Digest& b : c.header.batches) {
      if (next_batch >= sub.batches.size() ||
          consensus::BatchDigest(*sub.batches[next_batch]) != b) {
        Fail(absl::StrCat("validator ", node.index, " commit ", sub.index,
                          " batches do not match their certificates"));
        return;
      }
      ++next_batch;
      entry.batches.push_back(b);
    }
  }
  if (next_batch != sub.batches.size()) {
    Fail(absl::StrCat("validator ", node.index, " commit ", sub.index, " has extra batches"));
    return;
  }
  // Safety: a prefix of the canonical sequence.
  if (sub.index < canonical_.size()) {
    if (!(canonical_[sub.index] == entry)) {
      Fail(absl::StrCat("safety: validator ", node.index, " commit ", sub.index,
                        " (anchor ", entry.anchor.ShortHex(), ") differs from the canonical ",
                        canonical_[sub.index].anchor.ShortHex()));
      return;
    }
  } else {
    canonical_.push_back(entry);
    // The anchor is the last certificate of its anchor's last piece.
    if (sub.last_committed_round == sub.anchor_round) {
      const uint32_t author = sub.certificates.back().header.author.value();
      ++result_.anchors_committed_by_author[author];
      result_.last_anchor_commit_ms_by_author[author] = now_ms_;
    }
  }
  // The index check above makes a second execution impossible; this counts
  // the lost commits that came back.
  if (node.dropped_by_queued_crash.erase(sub.index) > 0) ++result_.commits_rederived;
  node.log.push_back(std::move(entry));
  const uint64_t height = node.core ? node.core->dag().highest_round().value() : 0;
  latency_rounds_sum_ += height - sub.anchor_round.value() + 1;
  ++latency_samples_;
  for (const auto& batch : sub.batches) {
    for (ByteSpan tx : batch->transactions) {
      auto key = ParseTestTx(tx);
      if (!key.has_value()) {
        Fail(absl::StrCat("validator ", node.index, " committed an invalid transaction"));
        return;
      }
      ++node.committed_txs[*key];
      if (first_commit_ms_.emplace(*key, now_ms_).second && key->first < clients_.size()) {
        clients_[key->first].pending.erase(key->second);
      }
    }
  }
}

void Simulation::FlushPersist(Node& node, std::vector<consensus::PersistRecord>* pending) {
  if (pending->empty()) return;
  const absl::Status s = node.real_store->Persist(*pending);
  pending->clear();
  if (!s.ok()) Fail(absl::StrCat("validator ", node.index, " persist: ", s.ToString()));
}

void Simulation::SendNow(Node& node, SendAction& send) {
  if (node.adversary) {
    for (Outgoing& o : node.adversary->RewriteSend(send)) {
      Send(node.index, o.to, std::move(o.bytes));
    }
    return;
  }
  // An honest validator never proposes two headers for one round, across
  // restarts too (its OwnHeaderRecord precedes the header). Honest peers'
  // votes keep a second one from being certified, so this is the check that
  // sees the equivocation itself.
  if (const auto* h = std::get_if<consensus::Header>(&send.message)) {
    const Digest d = consensus::HeaderDigest(*h);
    auto [it, inserted] = proposed_.emplace(std::make_pair(h->author.value(), h->round.value()), d);
    if (!inserted && it->second != d) {
      Fail(absl::StrCat("honest validator ", h->author.value(), " proposed two headers for round ",
                        h->round.value()));
    }
  }
  Bytes bytes = consensus::EncodeMessage(send.message);
  if (send.to.has_value()) {
    Send(node.index, send.to->value(), std::move(bytes));
  } else {
    for (uint32_t t = 0; t < nodes_.size(); ++t) {
      if (t != node.index) Send(node.index, t, bytes);
    }
  }
}

// Records are flushed at every send that waits and every commit
// (MustPersistBefore), and the rest lazy_records_ms after the first of them
// (or at the end of the call when it is 0), as the node's outbox does: a
// crash loses every record not flushed yet. The node's group commit may also
// split or merge writes elsewhere; the sim explores the crash states at the
// boundaries it shares with it, not all of them.
void Simulation::Execute(Node& node, std::vector<Action> actions) {
  // Actions of a process that died in an earlier call of this event
  // (an early-send crash) never run.
  if (!node.up) return;
  // real_store mode only: what is not durable yet, older calls' first.
  const bool carried = !node.unwritten.empty();
  std::vector<consensus::PersistRecord> pending = std::move(node.unwritten);
  node.unwritten.clear();
  // The node seals a call's actions as one group and writes all its records
  // before any of its outputs: a call with a send that waits, or a commit,
  // leaves nothing unwritten.
  bool wrote = false;
  const bool outbox = UsesOutbox(node);
  for (Action& action : actions) {
    if (auto* send = std::get_if<SendAction>(&action);
        send != nullptr && config_.early_send_bug_header && !node.byzantine &&
        std::holds_alternative<consensus::Header>(send->message)) {
      send->waits_for_records = false;  // TEST ONLY: the bug
    }
    if (node.real_store != nullptr && gridledger::node::MustPersistBefore(action)) {
      FlushPersist(node, &pending);
      wrote = true;
    }
    if (auto* send = std::get_if<SendAction>(&action)) {
      // As on the node: what does not wait for records does not wait for
      // queued commits either (consensus_driver.cc sends it at once).
      if (outbox && !node.outbox.empty() && send->waits_for_records) {
        node.outbox.push_back(QueuedOutput{std::nullopt, std::move(*send)});
      } else {
        // Out while records handed in before it are not durable yet. With
        // the deliberate header bug, crashes land only where it bites.
        const bool early = !pending.empty() &&
                           (!config_.early_send_bug_header ||
                            std::holds_alternative<consensus::Header>(send->message));
        SendNow(node, *send);
        const bool push = std::holds_alternative<consensus::Batch>(send->message);
        const bool certificate = std::holds_alternative<consensus::Certificate>(send->message);
        const bool ack = std::holds_alternative<consensus::BatchAck>(send->message);
        const bool bug_header = config_.early_send_bug_header;
        auto fits = [push, certificate, ack, bug_header](const EarlySendCrash& q) {
          if (bug_header) return true;  // only headers are early sends then
          switch (q.after) {
            case EarlySendCrash::After::kAck:
              return ack;
            case EarlySendCrash::After::kOwnBatchPush:
              return push;
            case EarlySendCrash::After::kOwnCertificate:
              return certificate;
          }
          return false;
        };
        if (early && !node.byzantine &&
            FireDeferredCrash(node, config_.early_send_crashes, early_crash_fired_, fits)) {
          CrashAfterEarlySend(node, push, certificate, pending);
          return;  // the call's later actions never run
        }
      }
    } else if (auto* persist = std::get_if<PersistAction>(&action)) {
      OnPersist(node, persist->record);  // the checkers watch every record
      if (node.real_store != nullptr) pending.push_back(std::move(persist->record));
    } else if (auto* verify = std::get_if<VerifyBatchAction>(&action)) {
      bool ok = true;
      for (ByteSpan tx : verify->batch->transactions) ok &= ParseTestTx(tx).has_value();
      Event e(EventKind::kVerified, node.index, node.index, node.incarnation);
      e.digest = verify->digest;
      e.ok = ok;
      const uint64_t delay_ms = verify->deferrable ? config_.verify_deferral_ms
                                                   : rng_.Range(0, config_.verify_delay_max_ms);
      Schedule(now_ms_ + delay_ms, std::move(e));
    } else if (auto* commit = std::get_if<CommitAction>(&action)) {
      if (outbox) {
        QueueCommit(node, std::move(commit->sub_dag));
      } else {
        OnCommit(node, commit->sub_dag);
      }
    }
  }
  if (node.real_store != nullptr) {
    if (config_.lazy_records_ms == 0 || pending.empty() || wrote) {
      FlushPersist(node, &pending);
    } else {
      // Older calls' records, if any, were carried over unwritten: their
      // wait started earlier.
      if (!carried) node.unwritten_since_ms = now_ms_;
      node.unwritten = std::move(pending);
      if (!node.lazy_flush_scheduled) {
        node.lazy_flush_scheduled = true;
        Schedule(node.unwritten_since_ms + config_.lazy_records_ms,
                 Event(EventKind::kFlushLazy, node.index, node.index, node.incarnation));
      }
    }
  }
  if (outbox) AfterQueued(node);
}

template <typename DeferredCrash, typename Fits>
bool Simulation::FireDeferredCrash(const Node& node, const std::vector<DeferredCrash>& crashes,
                                   std::vector<bool>& fired, Fits fits) {
  for (size_t i = 0; i < crashes.size(); ++i) {
    const DeferredCrash& q = crashes[i];
    if (fired[i] || q.validator != node.index || now_ms_ < q.after_ms || !fits(q)) continue;
    fired[i] = true;
    // Its outage must end by faults_end_ms (the draw kept it clear of other
    // outages within [after_ms, faults_end_ms]): too late, dropped.
    if (now_ms_ + q.down_for_ms > config_.faults_end_ms) continue;
    Schedule(now_ms_ + q.down_for_ms, Event(EventKind::kRestart, node.index));
    return true;
  }
  return false;
}

void Simulation::CrashAfterEarlySend(Node& node, bool push, bool certificate,
                                     const std::vector<consensus::PersistRecord>& pending) {
  ++result_.early_send_crashes;
  result_.early_send_crashes_after_push += push ? 1 : 0;
  result_.early_send_crashes_after_certificate += certificate ? 1 : 0;
  result_.early_send_records_lost += pending.size();
  for (const consensus::PersistRecord& r : pending) {
    const auto* b = std::get_if<consensus::BatchRecord>(&r);
    if (b != nullptr && b->batch->author.value() == node.index) {
      ++result_.early_send_own_batches_lost;
    }
    const auto* c = std::get_if<consensus::CertificateRecord>(&r);
    if (c != nullptr && c->certificate.header.author.value() == node.index) {
      ++result_.early_send_own_certificates_lost;
    }
  }
  CrashNode(node);
}

void Simulation::QueueCommit(Node& node, CommittedSubDag sub) {
  QueuedOutput out;
  if (config_.outbox_bug_record_at_queue) {
    const absl::Status recorded = node.real_store->RecordCommit(sub);
    if (!recorded.ok()) {
      Fail(absl::StrCat("validator ", node.index, " commit ", sub.index,
                        " not recorded: ", recorded.ToString()));
    }
    out.recorded = true;
  }
  out.commit = std::move(sub);
  node.outbox.push_back(std::move(out));
}

void Simulation::AfterQueued(Node& node) {
  if (node.outbox.empty()) return;
  if (!node.execution_scheduled) {
    node.execution_scheduled = true;
    Schedule(now_ms_ + rng_.Range(0, config_.commit_delay_max_ms),
             Event(EventKind::kExecuteCommit, node.index, node.index, node.incarnation));
  }
  // The records are durable and a commit waits: where a queued-commit crash lands.
  if (node.crash_pending) return;
  node.crash_pending = FireDeferredCrash(node, config_.queued_commit_crashes, queued_crash_fired_,
                                         [](const QueuedCommitCrash&) { return true; });
}

void Simulation::ExecuteQueued(Node& node) {
  node.execution_scheduled = false;
  GL_CHECK(!node.outbox.empty() && node.outbox.front().commit.has_value());
  QueuedOutput first = std::move(node.outbox.front());
  node.outbox.pop_front();
  OnCommit(node, *first.commit, /*record=*/!first.recorded);
  while (!node.outbox.empty() && node.outbox.front().send.has_value()) {
    SendNow(node, *node.outbox.front().send);
    node.outbox.pop_front();
  }
  AfterQueued(node);
}

void Simulation::CrashNode(Node& node) {
  AddHonestStats(node);
  node.up = false;
  node.core.reset();
  ++node.incarnation;
  // What the execution thread had not run is gone with the process.
  if (node.crash_pending) {
    ++result_.queued_commit_crashes;
    for (const QueuedOutput& out : node.outbox) {
      if (!out.commit.has_value()) continue;
      ++result_.queued_commits_dropped;
      node.dropped_by_queued_crash.insert(out.commit->index);
    }
  }
  node.outbox.clear();
  node.execution_scheduled = false;
  node.crash_pending = false;
  result_.lazy_records_lost += node.unwritten.size();
  node.unwritten.clear();
  node.lazy_flush_scheduled = false;
}

absl::StatusOr<PersistedState> Simulation::LoadState(const Node& node) const {
  if (node.real_store == nullptr) return node.store.Load();
  // The node's start-up load: everything above the GC horizon (node.cc).
  const uint64_t gc_depth =
      config_.restore_gc_depth != 0 ? config_.restore_gc_depth : config_.params.gc_depth;
  return node.real_store->Load(gc_depth);
}

void Simulation::StartNode(Node& node) {
  node.core = std::make_unique<Core>(*committee_, config_.params, ValidatorIndex(node.index),
                                     *node.key, &checker_);
  node.up = true;
  absl::StatusOr<PersistedState> state = LoadState(node);
  if (!state.ok()) {
    Fail(absl::StrCat("validator ", node.index, " load: ", state.status().ToString()));
    state = PersistedState{};
  }
  if (node.incarnation > 0) result_.restored_certificates += state->certificates.size();
  if (config_.restart_bug_forget_votes && node.incarnation > 0) {
    state->last_voted.clear();
    state->own_header.reset();
  }
  if (config_.restart_bug_forget_commits && node.incarnation > 0) {
    state->last_committed_round = Round(0);
    state->next_commit_index = 0;
    state->committed_certificates.clear();
  }
  Execute(node, node.core->Start(*state, now_ms_));
}

void Simulation::ClientsAct() {
  const uint32_t n = config_.validators;
  for (uint32_t c = 0; c < clients_.size(); ++c) {
    Client& client = clients_[c];
    if (now_ms_ < config_.clients_stop_ms && now_ms_ >= client.next_submit_ms) {
      const uint64_t seq = client.next_sequence++;
      client.pending[seq] =
          PendingTx{0, now_ms_, static_cast<uint32_t>(rng_.Range(0, n - 1)), false};
      first_submit_ms_[{c, seq}] = now_ms_;
      client.next_submit_ms = now_ms_ + config_.client_interval_ms;
    }
    std::vector<std::pair<uint32_t, std::vector<Action>>> accepted;
    for (auto& [seq, p] : client.pending) {
      if (now_ms_ < p.retry_at_ms) continue;
      // Each retry goes to the next validator.
      if (p.attempted) p.target = (p.target + 1) % n;
      p.attempted = true;
      Node& node = nodes_[p.target];
      // Refused (down or back-pressure): try another validator on the next tick.
      p.retry_at_ms = now_ms_ + consensus::kTimerPeriodMs;
      if (!node.up) continue;
      auto actions = node.core->SubmitTransaction(MakeTestTx(c, seq), now_ms_);
      if (!actions.ok()) continue;
      ++p.submissions;
      ++submissions_[{c, seq}];
      p.retry_at_ms = now_ms_ + config_.resubmit_after_ms;
      accepted.emplace_back(p.target, std::move(*actions));
    }
    // After the loop: executing may commit, which erases from `pending`.
    for (auto& [target, actions] : accepted) Execute(nodes_[target], std::move(actions));
  }
}

void Simulation::Tick() {
  for (Node& node : nodes_) {
    if (!node.up) continue;
    Execute(node, node.core->OnTimer(now_ms_));
    if (node.adversary) {
      for (Outgoing& o : node.adversary->OnTick(node.core->round())) {
        Send(node.index, o.to, std::move(o.bytes));
      }
    }
  }
  ClientsAct();
}

bool Simulation::AllCommitted() const {
  if (now_ms_ < config_.clients_stop_ms || now_ms_ < config_.faults_end_ms) return false;
  for (const Client& c : clients_) {
    if (!c.pending.empty()) return false;
  }
  for (const Node& node : nodes_) {
    if (node.byzantine) continue;
    if (node.committed_txs.size() < submissions_.size()) return false;
  }
  return true;
}

void Simulation::FinalChecks() {
  for (const Node& node : nodes_) {
    if (node.byzantine || !result_.ok) continue;
    if (!node.dropped_by_queued_crash.empty()) {
      Fail(absl::StrCat("validator ", node.index, " never executed again commit ",
                        *node.dropped_by_queued_crash.begin(),
                        ", dropped by a queued-commit crash"));
      break;
    }
    for (const auto& [key, submitted] : submissions_) {
      auto it = node.committed_txs.find(key);
      if (it == node.committed_txs.end()) {
        std::string others;
        for (const Node& other : nodes_) {
          if (other.byzantine) continue;
          absl::StrAppend(&others, " v", other.index, ":commits=", other.log.size(),
                          ",has_tx=", other.committed_txs.count(key));
        }
        Fail(absl::StrCat("liveness: validator ", node.index, " never committed tx (client ",
                          key.first, ", seq ", key.second, ") ", config_.heal_deadline_ms,
                          "ms after faults ended;", others));
        break;
      }
      if (it->second > submitted) {
        Fail(absl::StrCat("validator ", node.index, " committed tx (client ", key.first,
                          ", seq ", key.second, ") ", it->second, " times, submitted ",
                          submitted));
        break;
      }
    }
  }
}

void Simulation::AddHonestStats(const Node& node) {
  if (node.byzantine) return;
  const consensus::CoreStats& stats = node.core->stats();
  result_.rejected_messages += stats.messages_rejected;
  result_.headers_refused_oversized += stats.headers_refused_oversized;
  result_.batches_refused_store_full += stats.batches_refused_store_full;
  result_.weak_links_proposed += stats.weak_links_proposed;
  result_.verifications_deferred += stats.verifications_deferred;
  result_.batches_proven_by_certificate += stats.batches_proven_by_certificate;
  result_.leader_timeouts += stats.leader_timeouts;
  result_.suspected_leader_skips += stats.suspected_leader_skips;
}

SimResult Simulation::Run() {
  const uint32_t n = config_.validators;
  std::vector<PublicKey> keys;
  nodes_.resize(n);
  result_.anchors_committed_by_author.assign(n, 0);
  result_.last_anchor_commit_ms_by_author.assign(n, 0);
  if (config_.real_store) {
    auto dir = TempDir::Create("gl_sim_store_");
    if (!dir.ok()) {
      Fail(dir.status().ToString());
      return result_;
    }
    store_dir_ = *std::move(dir);
    result_.store_dir = store_dir_->path();
  }
  for (uint32_t i = 0; i < n; ++i) {
    nodes_[i].index = i;
    if (config_.real_store) {
      auto store = RealStore::Open(absl::StrCat(store_dir_->path(), "/v", i));
      if (!store.ok()) {
        Fail(absl::StrCat("validator ", i, " store: ", store.status().ToString()));
        return result_;
      }
      nodes_[i].real_store = *std::move(store);
    }
    nodes_[i].key = std::make_unique<KeyPair>(KeyPair::FromSeed(config_.seed * 1000 + i));
    keys.push_back(nodes_[i].key->public_key());
  }
  auto committee = Committee::Create(SliceId(1), keys, SimChainId());
  GL_CHECK(committee.ok());
  committee_ = std::make_unique<Committee>(*std::move(committee));
  for (size_t b = 0; b < config_.byzantine.size(); ++b) {
    Node& node = nodes_[config_.byzantine[b]];
    node.byzantine = true;
    node.adversary = std::make_unique<Adversary>(config_.behaviours[b], node.index,
                                                 node.key.get(), committee_.get(),
                                                 config_.params.header_batches_max, rng_.Fork());
  }
  clients_.resize(config_.clients);
  for (uint32_t c = 0; c < config_.clients; ++c) {
    clients_[c].next_submit_ms = rng_.Range(0, config_.client_interval_ms);
  }
  queued_crash_fired_.assign(config_.queued_commit_crashes.size(), false);
  early_crash_fired_.assign(config_.early_send_crashes.size(), false);
  for (const Crash& c : config_.crashes) {
    Schedule(c.down_ms, Event(EventKind::kCrash, c.validator));
    Schedule(c.up_ms, Event(EventKind::kRestart, c.validator));
  }
  for (Node& node : nodes_) StartNode(node);
  Schedule(consensus::kTimerPeriodMs, Event(EventKind::kTick));

  const uint64_t deadline_ms = config_.faults_end_ms + config_.heal_deadline_ms;
  while (!events_.empty() && result_.ok) {
    auto it = events_.begin();
    now_ms_ = it->first.first;
    if (now_ms_ > deadline_ms) break;
    Event e = std::move(it->second);
    events_.erase(it);
    switch (e.kind) {
      case EventKind::kDeliver: {
        Node& node = nodes_[e.to];
        if (!node.up || node.incarnation != e.incarnation) break;
        ++result_.messages_delivered;
        auto message = consensus::DecodeMessage(e.bytes);
        if (!message.ok()) {
          if (!nodes_[e.from].byzantine) {
            Fail(absl::StrCat("an honest message failed to decode: ", message.status().ToString()));
          }
          break;
        }
        if (node.adversary) {
          for (Outgoing& o : node.adversary->OnIncoming(e.from, *message, e.bytes)) {
            Send(node.index, o.to, std::move(o.bytes));
          }
        }
        Execute(node, node.core->OnMessage(ValidatorIndex(e.from), *message, now_ms_));
        break;
      }
      case EventKind::kVerified: {
        Node& node = nodes_[e.to];
        if (!node.up || node.incarnation != e.incarnation) break;
        Execute(node, node.core->OnBatchVerified(e.digest, e.ok, now_ms_));
        break;
      }
      case EventKind::kTick:
        Tick();
        if (AllCommitted()) {
          events_.clear();
          break;
        }
        Schedule(now_ms_ + consensus::kTimerPeriodMs, Event(EventKind::kTick));
        break;
      case EventKind::kCrash: {
        Node& node = nodes_[e.to];
        if (!node.up) break;
        CrashNode(node);
        break;
      }
      case EventKind::kExecuteCommit: {
        Node& node = nodes_[e.to];
        if (!node.up || node.incarnation != e.incarnation) break;
        ExecuteQueued(node);
        break;
      }
      case EventKind::kFlushLazy: {
        // The outbox's wait for an output ran out: the records are written alone.
        Node& node = nodes_[e.to];
        if (!node.up || node.incarnation != e.incarnation) break;
        // Written meanwhile, and newer records waiting since later: their
        // own deadline.
        if (!node.unwritten.empty() &&
            now_ms_ < node.unwritten_since_ms + config_.lazy_records_ms) {
          Schedule(node.unwritten_since_ms + config_.lazy_records_ms, e);
          break;
        }
        node.lazy_flush_scheduled = false;
        FlushPersist(node, &node.unwritten);
        break;
      }
      case EventKind::kRestart: {
        Node& node = nodes_[e.to];
        if (node.up) break;
        ++node.incarnation;
        StartNode(node);
        break;
      }
    }
    // A queued-commit crash lands right after the call that queued the commit.
    for (Node& node : nodes_) {
      if (node.crash_pending && node.up) CrashNode(node);
    }
  }
  FinalChecks();
  result_.end_ms = now_ms_;
  result_.commits = canonical_.size();
  result_.transactions = submissions_.size();
  for (const Node& node : nodes_) {
    if (!node.core) continue;
    result_.highest_round = std::max(result_.highest_round, node.core->dag().highest_round().value());
    AddHonestStats(node);
    if (node.adversary) result_.second_certificates += node.adversary->second_certificates();
  }
  result_.signature_verifications = checker_.verifications();
  if (latency_samples_ > 0) {
    result_.mean_commit_latency_rounds =
        static_cast<double>(latency_rounds_sum_) / static_cast<double>(latency_samples_);
  }
  uint64_t tx_latency_sum = 0;
  for (const auto& [key, at] : first_commit_ms_) {
    auto it = first_submit_ms_.find(key);
    if (it != first_submit_ms_.end()) tx_latency_sum += at - it->second;
  }
  if (!first_commit_ms_.empty()) {
    result_.mean_tx_latency_ms =
        static_cast<double>(tx_latency_sum) / static_cast<double>(first_commit_ms_.size());
  }
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimConfig& config) { return Simulation(config).Run(); }

}  // namespace gridledger::sim
