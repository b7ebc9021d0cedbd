#include "tools/loadgen/loadgen.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "net/node/refusals.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/loadgen/nonce_query.h"
#include "tools/loadgen/steady_window.h"
#include "tools/loadgen/submit_streams.h"

namespace gridledger::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
namespace pb = ::gridledger::v1;

constexpr int64_t kNsPerS = 1'000'000'000;
// GetTransaction look-ups after the drain, for acknowledged transactions not
// seen committed: bounded so a dead cluster cannot stall the report.
constexpr uint64_t kMaxStatusQueries = 200'000;
constexpr absl::Duration kStreamRetryDelay = absl::Milliseconds(200);
// Acknowledged but not committed after this long, by a validator whose
// transport failed since: resubmitted once elsewhere.
constexpr absl::Duration kResubmitAfter = absl::Seconds(5);
// As a wallet does under back-pressure: a transaction answered OVERLOADED
// goes again to the same validator after this long times its attempts so
// far (at most kOverloadRetryDelayMax), for up to kOverloadRetryFor after its
// first send, and its account's later transactions wait for it. Sent to
// another validator, or sent while it waits, a later nonce would be ordered
// ahead of it, held for the gap, and fail nonce_hold_full once holds fill up.
constexpr absl::Duration kOverloadRetryDelay = absl::Milliseconds(200);
constexpr absl::Duration kOverloadRetryDelayMax = absl::Seconds(1);
constexpr absl::Duration kOverloadRetryFor = absl::Seconds(3);
// The furthest LoadgenOptions::start_at may lie ahead.
constexpr absl::Duration kMaxStartWait = absl::Seconds(60);

// kHeld: a query found it committed but held for a nonce gap (not final).
// kWithheld: never sent, an earlier nonce of its account was refused
// (LoadgenResult::withheld).
enum class State : uint8_t {
  kUnsent, kInFlight, kAccepted, kRejected, kCommitted, kFailed, kHeld, kPendingAtEnd,
  kWithheld
};

// The commit stream carries final results only; a held one is never final.
constexpr absl::string_view kHeldCode = "HELD";

struct TxTrack {
  int64_t send_ns = -1;
  int64_t commit_ns = -1;
  State state = State::kUnsent;
  bool acked = false;
  uint8_t attempts = 0;
  bool resubmitted = false;  // sent again to another validator (ResubmitStale)
  bool blocks_account = false;  // answered OVERLOADED, its account waits for it
  uint8_t overload_retries = 0;   // OVERLOADED answers retried (not in attempts)
  int64_t first_send_ns = -1;     // when it first went out (send_ns: when planned)
  // Where it was last sent, and that validator's epoch (ValidatorEpochs)
  // when it was sent: a break or restart after the send puts an
  // acknowledgement in doubt, even one whose reply is processed after the
  // failure's.
  uint32_t sent_to = 0;
  uint64_t sent_epoch = 0;
  std::string reason;  // for kRejected / kFailed
  uint64_t commit_sequence = 0;
  uint32_t index_in_commit = 0;
};

// The connection broke or was refused (the validator stopped), as opposed to
// the node's deliberate UNAVAILABLE answers (disk full, catching up), which
// say nothing about what it holds.
bool ConnectionBroke(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE &&
         !node::IsDeliberateRefusal(s.error_message());
}

std::string CodeName(pb::SubmitCode code) {
  std::string name = pb::SubmitCode_Name(code);
  constexpr absl::string_view kPrefix = "SUBMIT_CODE_";
  if (absl::string_view(name).substr(0, kPrefix.size()) == kPrefix) {
    name = name.substr(kPrefix.size());
  }
  return absl::AsciiStrToLower(name);
}

std::string RpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE: return "unavailable";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "deadline_exceeded";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "resource_exhausted";
    case grpc::StatusCode::CANCELLED: return "cancelled";
    case grpc::StatusCode::INVALID_ARGUMENT: return "invalid_argument";
    default: return absl::StrCat("code_", static_cast<int>(code));
  }
}

std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

class Runner {
 public:
  Runner(const Deployment& deployment, const LoadgenOptions& options)
      : deployment_(deployment),
        options_(options),
        schedule_(std::max<uint64_t>(options.rate_per_s, 1)) {}

  absl::StatusOr<LoadgenResult> Run();

 private:
  // One unary SubmitBatch call (SubmitPath::kBatch).
  struct Call {
    grpc::ClientContext context;
    pb::SubmitBatchRequest request;
    pb::SubmitBatchResponse response;
    std::vector<uint64_t> txs;
    uint32_t slice = 0;
    uint32_t validator = 0;
  };
  using Results = google::protobuf::RepeatedPtrField<pb::SubmitResult>;
  // Transactions by target validator (slice, validator).
  using ByTarget = std::map<std::pair<uint32_t, uint32_t>, std::vector<uint64_t>>;

  int64_t NowNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  bool Stopping() const {
    return options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed);
  }
  absl::Status Connect();
  absl::Status QueryNonces(std::vector<std::vector<uint64_t>>* first_nonce);
  void Send(uint32_t slice, uint32_t validator, std::vector<uint64_t> txs);
  // Sends txs[b, e) in messages bounded by kMaxTxsPerRpc and kMaxBytesPerRpc.
  void SendBounded(uint32_t slice, uint32_t validator, const std::vector<uint64_t>& txs);
  // As a client does: an acknowledged transaction not committed within
  // kResubmitAfter, whose validator's transport failed since the ack (it may
  // have restarted without its disk, or be down for good) or that the caller
  // reported restarted (ValidatorEpochs), or one whose send failed in
  // transport, goes once to the next validator (safe: ids are
  // de-duplicated). It recovers what a validator acknowledged and then lost
  // with its disk (cluster --wipe). An acknowledgement from a validator that
  // stayed reachable is durable there, so slow commits alone (overload) never
  // cause a resubmission: that would only add load when it hurts most.
  void ResubmitStale(int64_t now);
  // The answer to one message: `results` (one per tx) when status is OK.
  void OnReply(uint32_t slice, uint32_t validator, const std::vector<uint64_t>& txs,
               const grpc::Status& status, const Results* results);
  // Sends the OVERLOADED retries whose delay has passed, and the
  // transactions of accounts no longer blocked.
  void SendDueRetries(int64_t now);
  // Moves released_ into `to`, by target (counted sent at `now`).
  void TakeReleasedLocked(int64_t now, ByTarget* to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // plan_[i] no longer blocks its account (taken, committed or refused for
  // good, `gave_up`): the account's waiting transactions go to released_,
  // or are withheld when it gave up.
  void UnblockLocked(uint64_t i, bool gave_up) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // plan_[i], queued and counted unresolved but never sent, will not be sent.
  void WithholdLocked(uint64_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An account's key in blocked_ and refused_accounts_.
  static uint64_t AccountKey(const PlannedTx& p) {
    return (static_cast<uint64_t>(p.slice) << 32) | p.account;
  }
  void StreamLoop(uint32_t slice, uint64_t from_sequence);
  void RecordCommit(const pb::CommittedTransaction& c);
  // Own CPU at the steady window's ends (called by the pacer); `last`: the
  // schedule is done (its last send is due before the window's end).
  void SampleOwnCpu(int64_t now_ns, int64_t window_end_ns, bool last = false);
  void PrintProgress(int64_t now_ns);
  // Asks the validators about acknowledged transactions not seen committed.
  void ResolveByQuery();
  LoadgenResult Summarize();

  const Deployment& deployment_;
  const LoadgenOptions& options_;
  FixedRateSchedule schedule_;
  Clock::time_point start_;
  std::vector<std::vector<std::unique_ptr<pb::Ledger::Stub>>> stubs_;  // [slice][validator]
  // SubmitPath::kStream: one stream client per stub, [slice][validator].
  std::vector<std::vector<std::unique_ptr<SubmitStreamClient>>> submit_streams_;
  std::vector<PlannedTx> plan_;
  absl::flat_hash_map<TxId, uint64_t> index_of_;  // built before the run, then read-only

  absl::Mutex mu_;
  std::vector<TxTrack> track_ ABSL_GUARDED_BY(mu_);
  TimeSeries series_ ABSL_GUARDED_BY(mu_);
  uint64_t unresolved_ ABSL_GUARDED_BY(mu_) = 0;  // sent, not yet committed or rejected
  uint64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resubmitted_ ABSL_GUARDED_BY(mu_) = 0;
  struct DelayedRetry {
    uint32_t slice = 0;
    uint32_t validator = 0;
    uint64_t tx = 0;
  };
  std::multimap<int64_t, DelayedRetry> delayed_ ABSL_GUARDED_BY(mu_);  // by due_ns
  // Accounts (AccountKey) with transactions answered OVERLOADED and being
  // retried: their later transactions wait here, sent once those are taken.
  struct Blocked {
    uint32_t refused = 0;           // TxTrack::blocks_account set
    std::vector<uint64_t> waiting;  // later transactions, in plan order
  };
  absl::flat_hash_map<uint64_t, Blocked> blocked_ ABSL_GUARDED_BY(mu_);
  // Accounts with a transaction refused for good: their later transactions
  // are withheld.
  absl::flat_hash_set<uint64_t> refused_accounts_ ABSL_GUARDED_BY(mu_);
  // Transactions of unblocked accounts to send (UnblockLocked), by target.
  ByTarget released_ ABSL_GUARDED_BY(mu_);
  // Broken or refused connections (submit and commit streams) and restarts
  // the caller reported, per [slice][validator]: options_.epochs, or
  // own_epochs_ when the caller gave none.
  std::unique_ptr<ValidatorEpochs> own_epochs_;
  ValidatorEpochs* epochs_ = nullptr;
  std::vector<grpc::ClientContext*> stream_contexts_ ABSL_GUARDED_BY(mu_);
  bool streams_done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t stream_reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t committed_late_ ABSL_GUARDED_BY(mu_) = 0;

  std::atomic<int64_t> inflight_{0};
  int64_t max_lag_ns_ = 0;
  // Own CPU over the steady window (pacer thread only).
  std::optional<double> own_cpu_begin_s_, own_cpu_end_s_;
  uint64_t sent_at_window_begin_ = 0, sent_at_window_end_ = 0;
  int64_t own_cpu_begin_ns_ = 0, own_cpu_end_ns_ = 0;
};

absl::Status Runner::Connect() {
  const size_t slices = deployment_.genesis.slices.size();
  if (options_.grpc_by_slice.size() != slices) {
    return absl::InvalidArgumentError(absl::StrCat("gRPC addresses given for ",
                                                   options_.grpc_by_slice.size(),
                                                   " slices; the genesis has ", slices));
  }
  stubs_.resize(slices);
  for (size_t s = 0; s < slices; ++s) {
    if (options_.grpc_by_slice[s].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("no gRPC address for slice ", s));
    }
    for (const std::string& address : options_.grpc_by_slice[s]) {
      stubs_[s].push_back(pb::Ledger::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials())));
    }
  }
  const std::vector<uint32_t> shape = ValidatorEpochs::ShapeOf(options_.grpc_by_slice);
  if (options_.epochs != nullptr) {
    if (options_.epochs->validators_per_slice() != shape) {
      return absl::InvalidArgumentError("LoadgenOptions::epochs is not shaped like grpc_by_slice");
    }
    epochs_ = options_.epochs;
  } else {
    own_epochs_ = std::make_unique<ValidatorEpochs>(shape);
    epochs_ = own_epochs_.get();
  }
  if (options_.submit_path == SubmitPath::kStream) {
    submit_streams_.resize(slices);
    for (size_t s = 0; s < slices; ++s) {
      for (auto& stub : stubs_[s]) {
        submit_streams_[s].push_back(std::make_unique<SubmitStreamClient>(
            stub.get(), kRpcDeadline, kMaxTxsPerRpc, kMaxBytesPerRpc));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Runner::QueryNonces(std::vector<std::vector<uint64_t>>* first_nonce) {
  for (size_t s = 0; s < first_nonce->size(); ++s) {
    const auto& pool = deployment_.accounts_by_slice[s];
    for (size_t a = 0; a < pool.size(); ++a) {
      GL_ASSIGN_OR_RETURN((*first_nonce)[s][a],
                          QueryNextNonce(*stubs_[s][0], static_cast<uint32_t>(s),
                                         pool[a].public_key(),
                                         absl::ToInt64Milliseconds(kRpcDeadline)));
    }
  }
  return absl::OkStatus();
}

void Runner::Send(uint32_t slice, uint32_t validator, std::vector<uint64_t> txs) {
  inflight_.fetch_add(1);
  {
    absl::MutexLock lock(&mu_);
    const uint64_t epoch = epochs_->Stamp(slice, validator);
    const int64_t now = NowNs();
    for (uint64_t i : txs) {
      track_[i].sent_to = validator;
      track_[i].sent_epoch = epoch;
      if (track_[i].first_send_ns < 0) track_[i].first_send_ns = now;
    }
  }
  if (options_.submit_path == SubmitPath::kStream) {
    pb::SubmitStreamRequest request;
    for (uint64_t i : txs) {
      request.add_transactions(reinterpret_cast<const char*>(plan_[i].raw.data()),
                               plan_[i].raw.size());
    }
    submit_streams_[slice][validator]->Send(
        std::move(request),
        [this, slice, validator, txs = std::move(txs)](const grpc::Status& status,
                                                       const pb::SubmitStreamResponse* response) {
          OnReply(slice, validator, txs, status, response == nullptr ? nullptr : &response->results());
          inflight_.fetch_sub(1);
        });
    return;
  }
  auto* call = new Call;
  call->slice = slice;
  call->validator = validator;
  call->context.set_deadline(Deadline(kRpcDeadline));
  for (uint64_t i : txs) {
    call->request.add_transactions(reinterpret_cast<const char*>(plan_[i].raw.data()),
                                   plan_[i].raw.size());
  }
  call->txs = std::move(txs);
  stubs_[slice][validator]->async()->SubmitBatch(
      &call->context, &call->request, &call->response, [this, call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        OnReply(call->slice, call->validator, call->txs, status,
                status.ok() ? &call->response.results() : nullptr);
        inflight_.fetch_sub(1);
      });
}

void Runner::ResubmitStale(int64_t now) {
  ByTarget groups;
  {
    absl::MutexLock lock(&mu_);
    const int64_t before = now - absl::ToInt64Nanoseconds(kResubmitAfter);
    for (uint64_t i = 0; i < track_.size(); ++i) {
      TxTrack& t = track_[i];
      // Acknowledged, or lost in transport (the outcome is unknown: a
      // stream cut by a killed validator).
      const PlannedTx& p = plan_[i];
      const bool ack_in_doubt =
          t.state == State::kAccepted && epochs_->InDoubt(p.slice, t.sent_to, t.sent_epoch);
      const bool unknown = ack_in_doubt ||
                           (t.state == State::kRejected && absl::StartsWith(t.reason, "rpc:"));
      if (!unknown || t.resubmitted || t.send_ns < 0 || t.send_ns > before) continue;
      t.resubmitted = true;
      ++t.attempts;
      ++resubmitted_;
      const uint32_t validators = static_cast<uint32_t>(stubs_[p.slice].size());
      groups[{p.slice, (p.account + 1) % validators}].push_back(i);
    }
  }
  for (auto& [target, txs] : groups) SendBounded(target.first, target.second, txs);
}

void Runner::SendBounded(uint32_t slice, uint32_t validator, const std::vector<uint64_t>& txs) {
  size_t b = 0;
  while (b < txs.size()) {
    size_t e = b, bytes = 0;
    while (e < txs.size() && e - b < kMaxTxsPerRpc &&
           (e == b || bytes + plan_[txs[e]].raw.size() <= kMaxBytesPerRpc)) {
      bytes += plan_[txs[e]].raw.size();
      ++e;
    }
    Send(slice, validator, std::vector<uint64_t>(txs.begin() + b, txs.begin() + e));
    b = e;
  }
}

void Runner::OnReply(uint32_t slice, uint32_t validator, const std::vector<uint64_t>& txs,
                     const grpc::Status& status, const Results* results) {
  const uint32_t validators = static_cast<uint32_t>(stubs_[slice].size());
  const uint32_t next = (validator + 1) % validators;
  std::vector<uint64_t> retry;  // at the next validator, now
  std::vector<uint64_t> later;  // OVERLOADED: at this one, after a delay
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = NowNs();
    auto reject = [&](uint64_t i, std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      TxTrack& t = track_[i];
      if (t.state != State::kInFlight) return;  // a commit arrived first
      t.state = State::kRejected;
      t.reason = std::move(reason);
      --unresolved_;
      ++rejected_;
      ++series_.At(now).rejected;
    };
    const bool bad_reply =
        status.ok() && (results == nullptr || results->size() != static_cast<int>(txs.size()));
    // A deadline, an overload or a deliberate refusal says nothing about
    // what the validator holds; a broken connection may (it may restart empty).
    if (ConnectionBroke(status)) epochs_->MarkConnectionBroke(slice, validator);
    if (!status.ok() || bad_reply) {
      const bool retryable = !bad_reply && (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                            status.error_code() ==
                                                grpc::StatusCode::RESOURCE_EXHAUSTED);
      for (uint64_t i : txs) {
        if (retryable && track_[i].attempts < options_.max_attempts &&
            track_[i].state == State::kInFlight) {
          retry.push_back(i);
        } else {
          const bool in_flight = track_[i].state == State::kInFlight;
          reject(i, bad_reply ? "rpc:bad_reply" : "rpc:" + RpcCodeName(status.error_code()));
          // Its fate is unknown, but its account must not wait for it.
          if (track_[i].blocks_account) UnblockLocked(i, /*gave_up=*/in_flight);
        }
      }
    } else {
      for (size_t k = 0; k < txs.size(); ++k) {
        const uint64_t i = txs[k];
        const pb::SubmitResult& r = (*results)[static_cast<int>(k)];
        TxTrack& t = track_[i];
        // DUPLICATE on a retry: an earlier attempt got through after all.
        if (r.accepted() ||
            (r.code() == pb::SUBMIT_CODE_DUPLICATE && (t.attempts > 1 || t.overload_retries > 0))) {
          t.acked = true;
          if (t.state == State::kInFlight) t.state = State::kAccepted;
          if (t.blocks_account) UnblockLocked(i, /*gave_up=*/false);
        } else if (r.code() == pb::SUBMIT_CODE_OVERLOADED && t.state == State::kInFlight &&
                   now - t.first_send_ns < absl::ToInt64Nanoseconds(kOverloadRetryFor)) {
          if (!t.blocks_account) {
            t.blocks_account = true;
            ++blocked_[AccountKey(plan_[i])].refused;
          }
          later.push_back(i);
        } else {
          const bool refused_for_good =
              r.code() == pb::SUBMIT_CODE_OVERLOADED && t.state == State::kInFlight;
          reject(i, "submit:" + CodeName(r.code()));
          if (t.blocks_account) {
            UnblockLocked(i, refused_for_good);
          } else if (refused_for_good) {
            refused_accounts_.insert(AccountKey(plan_[i]));
          }
        }
      }
    }
    for (uint64_t i : retry) ++track_[i].attempts;
    for (uint64_t i : later) {
      // Same validator, after a delay growing with the retries.
      if (track_[i].overload_retries < UINT8_MAX) ++track_[i].overload_retries;
      const absl::Duration delay =
          std::min(kOverloadRetryDelay * track_[i].overload_retries, kOverloadRetryDelayMax);
      delayed_.emplace(now + absl::ToInt64Nanoseconds(delay), DelayedRetry{slice, validator, i});
    }
  }
  if (!retry.empty()) Send(slice, next, std::move(retry));
}

void Runner::SendDueRetries(int64_t now) {
  ByTarget due;
  {
    absl::MutexLock lock(&mu_);
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      const DelayedRetry d = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      TxTrack& t = track_[d.tx];
      if (t.state == State::kInFlight) {
        due[{d.slice, d.validator}].push_back(d.tx);
      } else if (t.blocks_account) {
        UnblockLocked(d.tx, /*gave_up=*/false);  // a commit arrived meanwhile
      }
    }
    TakeReleasedLocked(now, &due);
  }
  for (auto& [target, txs] : due) SendBounded(target.first, target.second, txs);
}

void Runner::TakeReleasedLocked(int64_t now, ByTarget* to) {
  for (auto& [target, txs] : released_) {
    auto& out = (*to)[target];
    out.insert(out.end(), txs.begin(), txs.end());
    sent_ += txs.size();
    series_.At(now).sent += txs.size();
  }
  released_.clear();
}

void Runner::UnblockLocked(uint64_t i, bool gave_up) {
  TxTrack& t = track_[i];
  GL_CHECK(t.blocks_account);
  t.blocks_account = false;
  const PlannedTx& p = plan_[i];
  const uint64_t account = AccountKey(p);
  if (gave_up) refused_accounts_.insert(account);
  auto it = blocked_.find(account);
  GL_CHECK(it != blocked_.end() && it->second.refused > 0);
  if (--it->second.refused > 0) return;
  std::vector<uint64_t> waiting = std::move(it->second.waiting);
  blocked_.erase(it);
  const uint32_t validators = static_cast<uint32_t>(stubs_[p.slice].size());
  for (uint64_t w : waiting) {
    if (refused_accounts_.contains(account)) {
      WithholdLocked(w);
    } else {
      released_[{p.slice, p.account % validators}].push_back(w);
    }
  }
}

void Runner::WithholdLocked(uint64_t i) {
  TxTrack& t = track_[i];
  t.state = State::kWithheld;
  t.send_ns = -1;
  --unresolved_;
}

void Runner::RecordCommit(const pb::CommittedTransaction& c) {
  if (c.tx_id().size() != TxId::kSize) return;
  auto it = index_of_.find(
      TxId::FromSpan(ByteSpan(reinterpret_cast<const uint8_t*>(c.tx_id().data()), TxId::kSize)));
  if (it == index_of_.end()) return;  // not ours
  if (c.result().code() == kHeldCode) return;  // not final: its release is streamed
  absl::MutexLock lock(&mu_);
  TxTrack& t = track_[it->second];
  if (t.state == State::kCommitted || t.state == State::kFailed) return;  // seen before
  const int64_t now = NowNs();
  if (t.state == State::kRejected) {
    // Refused by one node or timed out, yet committed: the commit is the truth.
    --rejected_;
  } else if (t.state == State::kInFlight || t.state == State::kAccepted ||
             t.state == State::kHeld || t.state == State::kPendingAtEnd) {
    --unresolved_;
  }
  t.commit_ns = now;
  t.commit_sequence = c.commit_sequence();
  t.index_in_commit = c.index_in_commit();
  t.acked = true;
  SecondBucket& bucket = series_.At(now);
  if (c.result().success()) {
    t.state = State::kCommitted;
    ++committed_;
    ++bucket.committed;
    if (t.send_ns >= 0) bucket.latencies_us.push_back((now - t.send_ns) / 1000);
  } else {
    t.state = State::kFailed;
    t.reason = "execution:" + absl::AsciiStrToLower(c.result().code());
    ++rejected_;
    ++bucket.rejected;
  }
}

void Runner::StreamLoop(uint32_t slice, uint64_t from_sequence) {
  const size_t validators = stubs_[slice].size();
  uint64_t next_sequence = from_sequence;
  for (size_t attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (streams_done_) return;
      stream_contexts_.push_back(&context);
      if (attempt > 0) ++stream_reconnects_;
    }
    pb::StreamCommitsRequest request;
    request.set_from_sequence(next_sequence);
    // One message per commit (StreamCommitBatches), without gaps.
    auto reader = stubs_[slice][attempt % validators]->StreamCommitBatches(&context, request);
    pb::CommitBatch batch;
    while (reader->Read(&batch)) {
      for (const pb::CommittedTransaction& c : batch.transactions()) RecordCommit(c);
      // Resume after a complete commit, else at the same one: its remaining
      // entries may not have arrived.
      next_sequence = batch.commit_sequence() + (batch.commit_complete() ? 1 : 0);
    }
    const grpc::Status status = reader->Finish();
    bool done;
    {
      absl::MutexLock lock(&mu_);
      if (ConnectionBroke(status)) {
        epochs_->MarkConnectionBroke(slice, static_cast<uint32_t>(attempt % validators));
      }
      stream_contexts_.erase(
          std::find(stream_contexts_.begin(), stream_contexts_.end(), &context));
      done = streams_done_;
    }
    if (done) return;
    absl::SleepFor(kStreamRetryDelay);  // the node is down: try the next one
  }
}

void Runner::PrintProgress(int64_t now_ns) {
  uint64_t sent, committed, rejected, unresolved;
  {
    absl::MutexLock lock(&mu_);
    sent = sent_;
    committed = committed_;
    rejected = rejected_;
    unresolved = unresolved_;
  }
  std::printf("loadgen t=%3llds sent=%llu committed=%llu rejected=%llu pending=%llu inflight_rpcs=%lld\n",
              static_cast<long long>(now_ns / kNsPerS), static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(committed), static_cast<unsigned long long>(rejected),
              static_cast<unsigned long long>(unresolved),
              static_cast<long long>(inflight_.load()));
  std::fflush(stdout);
}

void Runner::ResolveByQuery() {
  std::vector<uint64_t> pending;
  {
    absl::MutexLock lock(&mu_);
    for (uint64_t i = 0; i < track_.size(); ++i) {
      if ((track_[i].state == State::kAccepted || track_[i].state == State::kHeld ||
           track_[i].state == State::kPendingAtEnd) &&
          pending.size() < kMaxStatusQueries) {
        pending.push_back(i);
      }
    }
  }
  for (uint64_t i : pending) {
    const PlannedTx& p = plan_[i];
    pb::GetTransactionRequest request;
    request.set_tx_id(std::string(reinterpret_cast<const char*>(p.id.data()), TxId::kSize));
    bool pending_somewhere = false;
    bool resolved = false;
    for (auto& stub : stubs_[p.slice]) {
      pb::GetTransactionResponse response;
      grpc::ClientContext context;
      context.set_deadline(Deadline(absl::Seconds(1)));
      if (!stub->GetTransaction(&context, request, &response).ok()) continue;
      if (response.status() == pb::TRANSACTION_STATUS_PENDING) pending_somewhere = true;
      if (response.status() == pb::TRANSACTION_STATUS_HELD) {
        // Committed into the ledger, waiting for a nonce gap: not final yet.
        absl::MutexLock lock(&mu_);
        track_[i].state = State::kHeld;
        track_[i].commit_sequence = response.commit_sequence();
        continue;  // another validator may already have released it
      }
      if (response.status() == pb::TRANSACTION_STATUS_COMMITTED ||
          response.status() == pb::TRANSACTION_STATUS_FAILED) {
        absl::MutexLock lock(&mu_);
        TxTrack& t = track_[i];
        t.commit_sequence = response.commit_sequence();
        t.index_in_commit = 0;
        if (response.status() == pb::TRANSACTION_STATUS_COMMITTED) {
          t.state = State::kCommitted;
        } else {
          t.state = State::kFailed;
          t.reason = "execution:" + absl::AsciiStrToLower(response.result().code());
        }
        ++committed_late_;  // under mu_ (locked above)
        resolved = true;
        break;
      }
    }
    if (!resolved && pending_somewhere) {
      absl::MutexLock lock(&mu_);
      if (track_[i].state == State::kAccepted) track_[i].state = State::kPendingAtEnd;
    }
  }
}

void Runner::SampleOwnCpu(int64_t now_ns, int64_t window_end_ns, bool last) {
  const int64_t begin_ns = absl::ToInt64Nanoseconds(kSteadyWindowBegin);
  if (window_end_ns <= begin_ns) return;
  auto sent = [this] {
    absl::MutexLock lock(&mu_);
    return sent_;
  };
  if (!own_cpu_begin_s_.has_value() && now_ns >= begin_ns) {
    own_cpu_begin_s_ = ProcessCpuSeconds();
    own_cpu_begin_ns_ = now_ns;
    sent_at_window_begin_ = sent();
  } else if (own_cpu_begin_s_.has_value() && !own_cpu_end_s_.has_value() &&
             (now_ns >= window_end_ns || last)) {
    own_cpu_end_s_ = ProcessCpuSeconds();
    own_cpu_end_ns_ = now_ns;
    sent_at_window_end_ = sent();
  }
}

LoadgenResult Runner::Summarize() {
  absl::MutexLock lock(&mu_);
  LoadgenResult r;
  r.planned = plan_.size();
  r.committed_late = committed_late_;
  std::vector<uint64_t> latencies;
  int64_t first_send = -1, last_send = 0;
  for (uint64_t i = 0; i < track_.size(); ++i) {
    const TxTrack& t = track_[i];
    if (t.state == State::kWithheld) ++r.withheld;
    if (t.send_ns < 0) continue;
    ++r.sent;
    r.submissions += t.attempts + t.overload_retries;
    if (first_send < 0 || t.send_ns < first_send) first_send = t.send_ns;
    last_send = std::max(last_send, t.send_ns);
    if (t.acked) ++r.accepted;
    switch (t.state) {
      case State::kCommitted:
        ++r.committed;
        if (t.commit_ns >= 0) {
          latencies.push_back((t.commit_ns - t.send_ns) / 1000);
          r.last_commit_ns = std::max(r.last_commit_ns, t.commit_ns);
        }
        break;
      case State::kFailed:
        ++r.failed;
        ++r.rejected;
        ++r.rejected_by_reason[t.reason];
        break;
      case State::kRejected:
        ++r.rejected;
        ++r.rejected_by_reason[t.reason];
        break;
      case State::kAccepted:
        ++r.lost_never_committed;
        break;
      case State::kPendingAtEnd:
        ++r.pending_at_end;
        break;
      case State::kHeld:
        ++r.held_at_end;
        break;
      case State::kInFlight:  // the reply never came (stopped early)
        ++r.rejected;
        ++r.rejected_by_reason["rpc:no_reply"];
        break;
      case State::kUnsent:
      case State::kWithheld:
        break;
    }
    if (t.state == State::kCommitted || t.state == State::kFailed) {
      AckedCommit a;
      a.slice = plan_[i].slice;
      a.id = plan_[i].id;
      a.success = t.state == State::kCommitted;
      a.commit_sequence = t.commit_sequence;
      a.index_in_commit = t.index_in_commit;
      r.acked_commits.push_back(a);
    }
  }
  r.latency = SummarizeLatencies(std::move(latencies));
  r.load_ns = first_send < 0 ? 0 : last_send - first_send;
  if (first_send >= 0 && r.last_commit_ns > first_send) {
    r.tps_committed = static_cast<double>(r.committed - r.committed_late) * kNsPerS /
                      static_cast<double>(r.last_commit_ns - first_send);
  }
  const auto& buckets = series_.buckets();
  const size_t window_end = std::min<size_t>(buckets.size(), (last_send / kNsPerS) + 1);
  uint64_t steady = 0;
  for (size_t s = 1; s < window_end; ++s) steady += buckets[s].committed;
  if (window_end > 1) r.tps_steady = static_cast<double>(steady) / (window_end - 1);
  r.max_send_lag_us = max_lag_ns_ / 1000;
  if (own_cpu_begin_s_.has_value() && own_cpu_end_s_.has_value()) {
    r.own_cpu_measured = true;
    r.own_cpu_s = *own_cpu_end_s_ - *own_cpu_begin_s_;
    r.own_cpu_window_s = static_cast<double>(own_cpu_end_ns_ - own_cpu_begin_ns_) / kNsPerS;
    r.own_cpu_sent = sent_at_window_end_ - sent_at_window_begin_;
  }
  r.submit_path = options_.submit_path == SubmitPath::kStream ? "stream" : "batch";
  r.stream_reconnects = stream_reconnects_;
  r.series = series_;
  return r;
}

absl::StatusOr<LoadgenResult> Runner::Run() {
  GL_RETURN_IF_ERROR(Connect());
  const size_t slices = deployment_.genesis.slices.size();
  const int64_t duration_ns = absl::ToInt64Nanoseconds(options_.duration);
  const bool prepared = options_.plan != nullptr;
  const uint64_t total = prepared ? options_.plan->size() : schedule_.DueCount(duration_ns - 1);
  std::vector<std::vector<uint64_t>> first_nonce(slices);
  for (size_t s = 0; s < slices; ++s) {
    first_nonce[s].assign(deployment_.accounts_by_slice[s].size(), 0);
  }
  if (options_.query_nonces && !prepared) GL_RETURN_IF_ERROR(QueryNonces(&first_nonce));
  const auto sign_start = Clock::now();
  if (prepared) {
    plan_ = *options_.plan;
  } else {
    GL_ASSIGN_OR_RETURN(plan_, PlanTransfers(deployment_, total, first_nonce,
                                                options_.cross_slice_percent));
  }
  // When transaction i is due, and how many are due at `now` (from the start).
  auto due_offset_ns = [&](uint64_t i) {
    return prepared ? plan_[i].send_at_ns : schedule_.DueOffsetNs(i);
  };
  auto due_count = [&](int64_t now) -> uint64_t {
    if (!prepared) return schedule_.DueCount(now);
    return std::upper_bound(plan_.begin(), plan_.end(), now,
                            [](int64_t t, const PlannedTx& p) { return t < p.send_at_ns; }) -
           plan_.begin();
  };
  if (options_.print_progress && !prepared) {
    std::printf("loadgen: %llu transfers pre-signed in %.1f s (%llu tx/s for %s)\n",
                static_cast<unsigned long long>(total),
                std::chrono::duration<double>(Clock::now() - sign_start).count(),
                static_cast<unsigned long long>(options_.rate_per_s),
                absl::FormatDuration(options_.duration).c_str());
  }
  index_of_.reserve(plan_.size());
  for (uint64_t i = 0; i < plan_.size(); ++i) index_of_.emplace(plan_[i].id, i);
  {
    absl::MutexLock lock(&mu_);
    track_.resize(plan_.size());
  }

  // Subscribe from each slice's next commit, so only new commits stream.
  std::vector<uint64_t> from_sequence(slices, 0);
  for (size_t s = 0; s < slices; ++s) {
    pb::NodeInfo info;
    grpc::ClientContext context;
    context.set_deadline(Deadline(kRpcDeadline));
    grpc::Status status = stubs_[s][0]->GetNodeInfo(&context, pb::GetNodeInfoRequest(), &info);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("GetNodeInfo on slice ", s, " validator 0: ", status.error_message()));
    }
    from_sequence[s] = info.last_committed_sequence() + 1;
  }
  if (options_.start_at.has_value()) {
    const absl::Duration wait = *options_.start_at - absl::Now();
    if (wait > kMaxStartWait) {
      return absl::InvalidArgumentError(absl::StrCat("start_at is ", absl::FormatDuration(wait),
                                                     " away (at most ",
                                                     absl::FormatDuration(kMaxStartWait), ")"));
    }
    while (absl::Now() < *options_.start_at && !Stopping()) {
      absl::SleepFor(std::min(absl::Milliseconds(20), *options_.start_at - absl::Now()));
    }
  }
  start_ = Clock::now();
  if (options_.on_start) options_.on_start();
  std::vector<std::thread> streams;
  for (size_t s = 0; s < slices; ++s) {
    streams.emplace_back([this, s, &from_sequence] {
      StreamLoop(static_cast<uint32_t>(s), from_sequence[s]);
    });
  }

  // Open-loop pacing from a fixed start.
  const int64_t window_end_ns = absl::ToInt64Nanoseconds(SteadyWindowEnd(options_.duration));
  uint64_t next = 0;
  int64_t next_progress_ns = kNsPerS;
  int64_t next_resubmit_ns = kNsPerS;
  const auto validators_of = [this](uint32_t s) { return static_cast<uint32_t>(stubs_[s].size()); };
  while (next < total && !Stopping()) {
    const int64_t now = NowNs();
    const uint64_t due = std::min(total, due_count(now));
    if (due > next && inflight_.load() < kMaxInflightRpcs) {
      max_lag_ns_ = std::max(max_lag_ns_, now - due_offset_ns(next));
      // Group by target validator: the sender's fixed home validator.
      ByTarget groups;
      {
        absl::MutexLock lock(&mu_);
        // What was released since the last pass goes first: an account
        // unblocked meanwhile has its waiting (lower) nonces there, and its
        // newly due ones below go to the same validator, after them.
        TakeReleasedLocked(now, &groups);
        for (uint64_t i = next; i < due; ++i) {
          const PlannedTx& p = plan_[i];
          TxTrack& t = track_[i];
          if (refused_accounts_.contains(AccountKey(p))) {
            t.state = State::kWithheld;
            continue;
          }
          // Latency counts from the planned send, also for one that waits
          // for its account's refused transaction.
          t.send_ns = now;
          t.state = State::kInFlight;
          t.attempts = 1;
          ++unresolved_;
          if (auto b = blocked_.find(AccountKey(p)); b != blocked_.end()) {
            b->second.waiting.push_back(i);  // counted as sent once released
            continue;
          }
          ++sent_;
          ++series_.At(now).sent;
          groups[{p.slice, p.account % validators_of(p.slice)}].push_back(i);
        }
      }
      next = due;
      for (auto& [target, txs] : groups) SendBounded(target.first, target.second, txs);
    }
    SampleOwnCpu(now, window_end_ns);
    // Advanced also when not printing: the pacer sleeps until it at most.
    if (now >= next_progress_ns) {
      if (options_.print_progress) PrintProgress(now);
      next_progress_ns += kNsPerS;
    }
    SendDueRetries(now);
    if (now >= next_resubmit_ns) {
      ResubmitStale(now);
      next_resubmit_ns = now + kNsPerS;
    }
    const int64_t wake = std::max(now + kSendTickNs, next < total ? due_offset_ns(next) : 0);
    std::this_thread::sleep_until(start_ + std::chrono::nanoseconds(std::min(wake, next_progress_ns)));
  }

  if (next == total && !Stopping()) SampleOwnCpu(NowNs(), window_end_ns, /*last=*/true);

  // Drain: wait for replies and commits, bounded.
  const int64_t drain_end = NowNs() + absl::ToInt64Nanoseconds(options_.drain);
  for (;;) {
    const int64_t now = NowNs();
    SendDueRetries(now);
    uint64_t unresolved;
    {
      absl::MutexLock lock(&mu_);
      unresolved = unresolved_;
    }
    if ((unresolved == 0 && inflight_.load() == 0) || now >= drain_end || Stopping()) break;
    if (options_.print_progress && now >= next_progress_ns) {
      PrintProgress(now);
      next_progress_ns += kNsPerS;
    }
    if (now >= next_resubmit_ns) {
      ResubmitStale(now);
      next_resubmit_ns = now + kNsPerS;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  // Replies still outstanding end by their deadline.
  while (inflight_.load() > 0) absl::SleepFor(absl::Milliseconds(10));
  {
    // Still refused when the drain ended: refused, and what waited for them
    // was never sent.
    absl::MutexLock lock(&mu_);
    for (const auto& [due_ns, d] : delayed_) {
      TxTrack& t = track_[d.tx];
      if (t.state != State::kInFlight) continue;
      t.state = State::kRejected;
      t.reason = "submit:overloaded";
      --unresolved_;
      ++rejected_;
    }
    delayed_.clear();
    for (const auto& [account, b] : blocked_) {
      for (uint64_t w : b.waiting) WithholdLocked(w);
    }
    blocked_.clear();
    for (const auto& [target, txs] : released_) {
      for (uint64_t w : txs) WithholdLocked(w);
    }
    released_.clear();
  }
  if (options_.print_progress) {
    absl::MutexLock lock(&mu_);
    if (resubmitted_ > 0) {
      std::printf("loadgen: resubmitted %llu tx (acknowledged, or cut in transport) not "
                  "committed after %s\n",
                  static_cast<unsigned long long>(resubmitted_),
                  absl::FormatDuration(kResubmitAfter).c_str());
    }
  }
  for (auto& slice_streams : submit_streams_) {
    for (auto& stream : slice_streams) stream->Close();
  }
  {
    absl::MutexLock lock(&mu_);
    streams_done_ = true;
    for (grpc::ClientContext* c : stream_contexts_) c->TryCancel();
  }
  for (std::thread& t : streams) t.join();

  if (!Stopping()) ResolveByQuery();
  LoadgenResult result = Summarize();
  result.stopped_early = Stopping() || next < total;
  return result;
}

}  // namespace

absl::StatusOr<LoadgenResult> RunLoad(const Deployment& deployment,
                                      const LoadgenOptions& options) {
  if (options.rate_per_s == 0 && options.plan == nullptr) {
    return absl::InvalidArgumentError("rate must be at least 1 tx/s");
  }
  if (options.plan != nullptr &&
      !std::is_sorted(options.plan->begin(), options.plan->end(),
                      [](const PlannedTx& a, const PlannedTx& b) {
                        return a.send_at_ns < b.send_at_ns;
                      })) {
    return absl::InvalidArgumentError("the prepared plan is not ascending by send time");
  }
  if (options.max_attempts == 0) return absl::InvalidArgumentError("max_attempts must be >= 1");
  Runner runner(deployment, options);
  return runner.Run();
}

}  // namespace gridledger::loadgen
