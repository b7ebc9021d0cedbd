// RunLoad (tools/loadgen/loadgen.cc) against two fake validators of one
// slice: in-process gRPC servers that answer each transaction as the test
// scripts it (OVERLOADED a chosen number of times, or the whole
// SubmitBatchStream failing UNAVAILABLE) and publish what they accept as
// committed on the commit stream. It shows, without a real cluster:
//  - a transaction refused OVERLOADED for a while is retried at the SAME
//    validator, its account's later nonces wait for it (they reach the
//    validator in ascending order), and it commits;
//  - one refused for longer than kOverloadRetryFor (3 s) is rejected
//    "submit:overloaded" and its account's later transactions are withheld,
//    never sent; other accounts are unaffected;
//  - a failed RPC, unlike OVERLOADED, moves on to the next validator
//    (up to max_attempts).
// Senders rotate over the accounts (PlanTransfers), so at 50 tx/s over 10
// accounts one account's transfers are 200 ms apart: that leaves an answer
// 200 ms to reach the load generator before the account's next transfer is
// due (the load generator can only hold back what it knows is refused).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/string_bytes.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/workload.h"

namespace gridledger::loadgen {
namespace {

namespace pb = ::gridledger::v1;

constexpr uint32_t kAccounts = 10;
constexpr uint64_t kRatePerS = 50;  // one account's transfers 200 ms apart
constexpr int kValidators = 2;      // account a's home validator: a % 2
// Scripted OVERLOADED answers that never end.
constexpr int kAlways = 1'000'000;
// Bounds on the fake's loops: messages per stream, and how long a commit
// stream stays open (the load generator cancels it well before).
constexpr int kMaxStreamMessages = 100'000;
constexpr absl::Duration kMaxCommitStream = absl::Seconds(60);
constexpr absl::Duration kCommitPoll = absl::Milliseconds(50);
// The longest an answer is held back (FakeSlice::Rule::hold_accept_until).
constexpr absl::Duration kMaxHold = absl::Seconds(5);

std::string AsString(const TxId& id) {
  return std::string(reinterpret_cast<const char*>(id.data()), TxId::kSize);
}

// One slice, kAccounts accounts with fixed keys.
Deployment TestDeployment() {
  Deployment d;
  GenesisSlice slice;
  slice.id = SliceId(0);
  d.genesis.slices.push_back(slice);
  d.accounts_by_slice.resize(1);
  for (uint32_t a = 0; a < kAccounts; ++a) {
    d.accounts_by_slice[0].push_back(KeyPair::FromSeed(7000 + a));
  }
  return d;
}

// Transfers of `account` among the first `planned` (senders rotate).
uint64_t TxsOfAccount(uint64_t planned, uint32_t account) {
  return planned / kAccounts + (account < planned % kAccounts ? 1 : 0);
}

enum class Outcome { kAccepted, kDuplicate, kOverloaded, kRpcFailed };

void PrintTo(Outcome o, std::ostream* os) {
  constexpr const char* kNames[] = {"ACCEPTED", "DUPLICATE", "OVERLOADED", "RPC_FAILED"};
  *os << kNames[static_cast<int>(o)];
}

// One transaction as it reached a fake validator, in arrival order.
struct Arrival {
  int validator = 0;
  uint32_t account = 0;
  uint64_t nonce = 0;
  Outcome outcome = Outcome::kAccepted;
};

// What the slice's fake validators share: the script, what arrived, and the
// commits (one transaction per commit, sequences from 1).
class FakeSlice {
 public:
  // How one transaction is answered, in turn.
  struct Rule {
    int rpc_failures = 0;  // its first arrivals fail the RPC carrying it
    int overloaded = 0;    // the next are answered OVERLOADED (kAlways: all)
    // Then it is ACCEPTED, the answer held (at most kMaxHold) until a
    // transaction of this account arrives next; -1: not held.
    int hold_accept_until = -1;
  };
  // Where an answer waits: for an arrival of `account` after `after`
  // arrivals.
  struct Hold {
    uint32_t account = 0;
    size_t after = 0;
  };

  explicit FakeSlice(const Deployment& d) {
    for (uint32_t a = 0; a < d.accounts_by_slice[0].size(); ++a) {
      account_of_.emplace(d.accounts_by_slice[0][a].public_key(), a);
    }
  }

  // The transaction of `account` with `nonce` is answered by `rule`; any
  // other is ACCEPTED (DUPLICATE when accepted before).
  void Script(uint32_t account, uint64_t nonce, Rule rule) {
    absl::MutexLock lock(&mu_);
    rules_[{account, nonce}] = rule;
  }

  // Answers one SubmitBatchStream message at `validator`: false when a rule
  // fails the RPC (nothing answered); else fills `response`, `accepted` (ids
  // to commit once the answer is written) and `hold` (AwaitArrival before
  // answering).
  bool Admit(int validator, const pb::SubmitStreamRequest& request,
             pb::SubmitStreamResponse* response, std::vector<TxId>* accepted,
             std::optional<Hold>* hold) {
    absl::MutexLock lock(&mu_);
    struct Decoded {
      TxId id;
      uint32_t account = 0;
      uint64_t nonce = 0;
      bool ok = false;
    };
    std::vector<Decoded> txs;
    for (const std::string& raw : request.transactions()) {
      Decoded d;
      d.id = ComputeTxId(SpanOf(raw));
      absl::StatusOr<Transaction> tx = Decode(SpanOf(raw));
      if (tx.ok()) {
        auto it = account_of_.find(tx->sender);
        if (it != account_of_.end()) {
          d.account = it->second;
          d.nonce = tx->nonce.value();
          d.ok = true;
        }
      }
      txs.push_back(d);
    }
    bool fail = false;
    for (const Decoded& d : txs) {
      auto it = rules_.find({d.account, d.nonce});
      if (d.ok && it != rules_.end() && it->second.rpc_failures > 0) {
        --it->second.rpc_failures;
        fail = true;
      }
    }
    if (fail) {
      for (const Decoded& d : txs) {
        if (d.ok) arrivals_.push_back(Arrival{validator, d.account, d.nonce, Outcome::kRpcFailed});
      }
      return false;
    }
    response->set_sequence(request.sequence());
    for (const Decoded& d : txs) {
      pb::SubmitResult* r = response->add_results();
      r->set_tx_id(AsString(d.id));
      if (!d.ok) {
        r->set_code(pb::SUBMIT_CODE_MALFORMED);
        r->set_reason("fake validator: not a transfer of a test account");
        continue;
      }
      auto it = rules_.find({d.account, d.nonce});
      Outcome outcome;
      if (it != rules_.end() && it->second.overloaded > 0) {
        if (it->second.overloaded != kAlways) --it->second.overloaded;
        outcome = Outcome::kOverloaded;
        r->set_code(pb::SUBMIT_CODE_OVERLOADED);
        r->set_reason("overloaded: fake validator");
      } else if (!seen_.insert(d.id).second) {
        outcome = Outcome::kDuplicate;
        r->set_code(pb::SUBMIT_CODE_DUPLICATE);
        r->set_reason("fake validator: already accepted");
      } else {
        outcome = Outcome::kAccepted;
        r->set_accepted(true);
        r->set_code(pb::SUBMIT_CODE_ACCEPTED);
        accepted->push_back(d.id);
        if (it != rules_.end() && it->second.hold_accept_until >= 0) {
          // Counted from after its own arrival (pushed below).
          *hold = Hold{static_cast<uint32_t>(it->second.hold_accept_until), arrivals_.size() + 1};
        }
      }
      arrivals_.push_back(Arrival{validator, d.account, d.nonce, outcome});
    }
    return true;
  }

  // Waits (at most `limit`) for a transaction of hold.account to arrive
  // after the first hold.after arrivals.
  void AwaitArrival(const Hold& hold, absl::Duration limit) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, &hold]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (size_t k = hold.after; k < arrivals_.size(); ++k) {
        if (arrivals_[k].account == hold.account) return true;
      }
      return false;
    };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), limit);
  }

  void Commit(const std::vector<TxId>& ids) {
    absl::MutexLock lock(&mu_);
    for (const TxId& id : ids) {
      commits_.push_back(id);
      committed_.insert(id);
    }
  }

  uint64_t last_sequence() {
    absl::MutexLock lock(&mu_);
    return commits_.size();
  }

  bool committed(const TxId& id) {
    absl::MutexLock lock(&mu_);
    return committed_.contains(id);
  }

  // The commits from `sequence` on, waiting at most `wait` for one.
  std::vector<pb::CommitBatch> CommitsFrom(uint64_t sequence, absl::Duration wait) {
    absl::MutexLock lock(&mu_);
    auto available = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return commits_.size() >= sequence;
    };
    mu_.AwaitWithTimeout(absl::Condition(&available), wait);
    std::vector<pb::CommitBatch> batches;
    for (uint64_t s = sequence; s <= commits_.size(); ++s) {
      pb::CommitBatch& b = batches.emplace_back();
      b.set_commit_sequence(s);
      b.set_slice(0);
      b.set_commit_complete(true);
      pb::CommittedTransaction* c = b.add_transactions();
      c->set_tx_id(AsString(commits_[s - 1]));
      c->mutable_result()->set_success(true);
      c->mutable_result()->set_code("OK");
      c->set_commit_sequence(s);
      c->set_index_in_commit(0);
      c->set_slice(0);
    }
    return batches;
  }

  std::vector<Arrival> arrivals() {
    absl::MutexLock lock(&mu_);
    return arrivals_;
  }

 private:
  absl::flat_hash_map<PublicKey, uint32_t> account_of_;  // read-only after construction
  absl::Mutex mu_;
  std::map<std::pair<uint32_t, uint64_t>, Rule> rules_ ABSL_GUARDED_BY(mu_);
  std::vector<Arrival> arrivals_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<TxId> seen_ ABSL_GUARDED_BY(mu_);  // accepted ids
  std::vector<TxId> commits_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<TxId> committed_ ABSL_GUARDED_BY(mu_);
};

// The Ledger methods RunLoad calls, answered from the shared FakeSlice.
class FakeValidator final : public pb::Ledger::Service {
 public:
  FakeValidator(FakeSlice* slice, int index) : slice_(slice), index_(index) {}

  grpc::Status GetNodeInfo(grpc::ServerContext*, const pb::GetNodeInfoRequest*,
                           pb::NodeInfo* info) override {
    info->set_slice(0);
    info->set_validator_index(static_cast<uint32_t>(index_));
    info->set_committee_size(kValidators);
    info->set_last_committed_sequence(slice_->last_sequence());
    return grpc::Status::OK;
  }

  grpc::Status SubmitBatchStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<pb::SubmitStreamResponse, pb::SubmitStreamRequest>* stream)
      override {
    pb::SubmitStreamRequest request;
    for (int m = 0; m < kMaxStreamMessages && stream->Read(&request); ++m) {
      pb::SubmitStreamResponse response;
      std::vector<TxId> accepted;
      std::optional<FakeSlice::Hold> hold;
      if (!slice_->Admit(index_, request, &response, &accepted, &hold)) {
        // Not one of the node's deliberate refusals (net/node/refusals.h):
        // to the client this is a dropped connection.
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake validator: stream dropped");
      }
      if (hold.has_value()) slice_->AwaitArrival(*hold, kMaxHold);
      const bool written = stream->Write(response);
      slice_->Commit(accepted);  // accepted is durable: it commits regardless
      if (!written) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status StreamCommitBatches(grpc::ServerContext* context,
                                   const pb::StreamCommitsRequest* request,
                                   grpc::ServerWriter<pb::CommitBatch>* writer) override {
    uint64_t next = std::max<uint64_t>(request->from_sequence(), 1);
    const absl::Time end = absl::Now() + kMaxCommitStream;
    while (!context->IsCancelled() && absl::Now() < end) {
      for (const pb::CommitBatch& b : slice_->CommitsFrom(next, kCommitPoll)) {
        if (!writer->Write(b)) return grpc::Status::OK;
        next = b.commit_sequence() + 1;
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status GetTransaction(grpc::ServerContext*, const pb::GetTransactionRequest* request,
                              pb::GetTransactionResponse* response) override {
    response->set_tx_id(request->tx_id());
    if (request->tx_id().size() == TxId::kSize &&
        slice_->committed(TxId::FromSpan(SpanOf(request->tx_id())))) {
      response->set_status(pb::TRANSACTION_STATUS_COMMITTED);
      response->mutable_result()->set_success(true);
    } else {
      response->set_status(pb::TRANSACTION_STATUS_UNKNOWN);
    }
    return grpc::Status::OK;
  }

 private:
  FakeSlice* slice_;
  const int index_;
};

// kValidators fake validators of one slice, each on a loopback port the OS
// picks.
class FakeCluster {
 public:
  explicit FakeCluster(const Deployment& d) : slice_(d) {}
  ~FakeCluster() {
    for (auto& server : servers_) {
      server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    }
  }

  absl::Status Start() {
    for (int v = 0; v < kValidators; ++v) {
      services_.push_back(std::make_unique<FakeValidator>(&slice_, v));
      grpc::ServerBuilder builder;
      int port = 0;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      builder.RegisterService(services_.back().get());
      std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
      if (server == nullptr || port <= 0) {
        return absl::InternalError(absl::StrCat("fake validator ", v, " did not start"));
      }
      servers_.push_back(std::move(server));
      addresses_.push_back(absl::StrCat("127.0.0.1:", port));
    }
    return absl::OkStatus();
  }

  FakeSlice& slice() { return slice_; }

  LoadgenOptions Options(absl::Duration duration) const {
    LoadgenOptions o;
    o.rate_per_s = kRatePerS;
    o.duration = duration;
    // An upper bound only: the run ends once nothing is unresolved.
    o.drain = absl::Seconds(10);
    o.grpc_by_slice = {addresses_};
    o.max_attempts = 3;
    o.print_progress = false;
    return o;
  }

 private:
  FakeSlice slice_;
  std::vector<std::unique_ptr<FakeValidator>> services_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  std::vector<std::string> addresses_;
};

std::vector<Arrival> ArrivalsOf(const std::vector<Arrival>& all, uint32_t account, uint64_t nonce) {
  std::vector<Arrival> out;
  for (const Arrival& a : all) {
    if (a.account == account && a.nonce == nonce) out.push_back(a);
  }
  return out;
}

// Every account's transactions reached the validators in nonce order
// (a retry repeats a nonce, never goes back to one).
void ExpectNonceOrder(const std::vector<Arrival>& all) {
  std::map<uint32_t, uint64_t> highest;
  for (size_t k = 0; k < all.size(); ++k) {
    const Arrival& a = all[k];
    auto [it, first] = highest.emplace(a.account, a.nonce);
    if (first) continue;
    EXPECT_GE(a.nonce, it->second) << "arrival " << k << ": account " << a.account << " nonce "
                                   << a.nonce << " after nonce " << it->second;
    it->second = std::max(it->second, a.nonce);
  }
}

// Each transaction of `account` with a nonce in [from, to) was accepted
// exactly once.
void ExpectAcceptedOnce(const std::vector<Arrival>& all, uint32_t account, uint64_t from,
                        uint64_t to) {
  for (uint64_t n = from; n < to; ++n) {
    int accepted = 0;
    for (const Arrival& a : ArrivalsOf(all, account, n)) {
      if (a.outcome == Outcome::kAccepted) ++accepted;
    }
    EXPECT_EQ(accepted, 1) << "account " << account << " nonce " << n;
  }
}

// Two fake validators of one slice; Run loads them at kRatePerS.
class LoadgenOverloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status started = cluster_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // RunLoad for `duration`; what reached the fakes goes to `arrivals`.
  absl::StatusOr<LoadgenResult> Run(absl::Duration duration, std::vector<Arrival>* arrivals) {
    absl::StatusOr<LoadgenResult> r = RunLoad(deployment_, cluster_.Options(duration));
    *arrivals = cluster_.slice().arrivals();
    return r;
  }

  FakeSlice& slice() { return cluster_.slice(); }

  const Deployment deployment_ = TestDeployment();
  FakeCluster cluster_{deployment_};
};

TEST_F(LoadgenOverloadTest, OverloadedIsRetriedAtTheSameValidatorWhileTheAccountWaits) {
  // Account 1 (home validator 1), nonce 1 (due at 220 ms): refused 3 times,
  // sent again ~0.2, 0.6 and 1.2 s after its first send, well inside the
  // 3 s window; its account's nonces 2.. fall due meanwhile. The answer
  // that takes it is held until account 0's next transfer arrives: account
  // 0's slot is just before account 1's, so the load generator learns of
  // it just before account 1's next transfer falls due, the moment a newly
  // due transfer could overtake those that waited.
  constexpr uint32_t kAccount = 1;
  constexpr uint64_t kNonce = 1;
  constexpr int kRefusals = 3;
  slice().Script(kAccount, kNonce, {.overloaded = kRefusals, .hold_accept_until = kAccount - 1});

  std::vector<Arrival> all;
  absl::StatusOr<LoadgenResult> r = Run(absl::Seconds(2), &all);
  ASSERT_TRUE(r.ok()) << r.status();

  const std::vector<Arrival> x = ArrivalsOf(all, kAccount, kNonce);
  ASSERT_EQ(x.size(), static_cast<size_t>(kRefusals + 1));
  for (size_t k = 0; k < x.size(); ++k) {
    EXPECT_EQ(x[k].validator, static_cast<int>(kAccount % kValidators)) << "attempt " << k;
    EXPECT_EQ(x[k].outcome, k < kRefusals ? Outcome::kOverloaded : Outcome::kAccepted)
        << "attempt " << k;
  }
  ExpectNonceOrder(all);
  for (uint32_t a = 0; a < kAccounts; ++a) {
    ExpectAcceptedOnce(all, a, 0, TxsOfAccount(r->planned, a));
  }

  EXPECT_FALSE(r->stopped_early);
  EXPECT_EQ(r->planned, 100u);  // 50 tx/s for 2 s
  EXPECT_EQ(r->sent, r->planned);
  EXPECT_EQ(r->committed, r->planned);
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_TRUE(r->rejected_by_reason.empty());
  EXPECT_EQ(r->withheld, 0u);
  EXPECT_EQ(r->lost_never_committed, 0u);
  // The retries at the same validator, counted apart from max_attempts.
  EXPECT_EQ(r->submissions, r->planned + kRefusals);
}

TEST_F(LoadgenOverloadTest, RefusedPastTheWindowIsRejectedAndItsAccountWithheld) {
  // Account 0's first transfer (due at 0, home validator 0) is refused for
  // good. 4 s of load: the 3 s window ends while the account's later
  // transfers are still falling due, so some wait for it and some are
  // planned after it was given up.
  constexpr uint32_t kAccount = 0;
  slice().Script(kAccount, /*nonce=*/0, {.overloaded = kAlways});

  std::vector<Arrival> all;
  absl::StatusOr<LoadgenResult> r = Run(absl::Seconds(4), &all);
  ASSERT_TRUE(r.ok()) << r.status();

  // Only nonce 0 of the account ever arrived, always at its home validator.
  // Retries go out at least 0.2, 0.4, 0.6, 0.8, 1.0 s after the previous
  // answer, so the 6th answer comes at least 3 s after the first send and
  // ends the retries: at most 6 sends, however slow the machine. Retrying
  // past the window (until the drain ends) would send more.
  size_t refused = 0;
  for (const Arrival& a : all) {
    if (a.account != kAccount) continue;
    EXPECT_EQ(a.nonce, 0u);
    EXPECT_EQ(a.validator, static_cast<int>(kAccount % kValidators));
    EXPECT_EQ(a.outcome, Outcome::kOverloaded);
    ++refused;
  }
  EXPECT_GE(refused, 2u);
  EXPECT_LE(refused, 6u);
  ExpectNonceOrder(all);
  for (uint32_t a = 0; a < kAccounts; ++a) {
    if (a != kAccount) ExpectAcceptedOnce(all, a, 0, TxsOfAccount(r->planned, a));
  }

  const uint64_t of_account = TxsOfAccount(r->planned, kAccount);
  EXPECT_FALSE(r->stopped_early);
  EXPECT_EQ(r->planned, 200u);  // 50 tx/s for 4 s
  EXPECT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->rejected_by_reason, (std::map<std::string, uint64_t>{{"submit:overloaded", 1}}));
  EXPECT_EQ(r->withheld, of_account - 1);
  EXPECT_EQ(r->sent, r->planned - r->withheld);
  EXPECT_EQ(r->committed, r->planned - of_account);
  EXPECT_EQ(r->lost_never_committed, 0u);
  EXPECT_EQ(r->pending_at_end, 0u);
}

TEST_F(LoadgenOverloadTest, FailedRpcMovesToTheNextValidator) {
  // Account 0's nonce 1 (home validator 0) breaks the stream carrying it
  // twice (UNAVAILABLE, as a dropped connection): unlike OVERLOADED, each
  // failure sends it on to the next validator at once, and the 3rd attempt
  // (max_attempts) is taken. The stream client must hand RunLoad the
  // validator's status for that, not a CANCELLED of its own.
  constexpr uint32_t kAccount = 0;
  constexpr uint64_t kNonce = 1;
  slice().Script(kAccount, kNonce, {.rpc_failures = 2});

  std::vector<Arrival> all;
  absl::StatusOr<LoadgenResult> r = Run(absl::Milliseconds(1500), &all);
  ASSERT_TRUE(r.ok()) << r.status();

  const std::vector<Arrival> x = ArrivalsOf(all, kAccount, kNonce);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[0].validator, 0);
  EXPECT_EQ(x[0].outcome, Outcome::kRpcFailed);
  EXPECT_EQ(x[1].validator, 1);
  EXPECT_EQ(x[1].outcome, Outcome::kRpcFailed);
  EXPECT_EQ(x[2].validator, 0);
  EXPECT_EQ(x[2].outcome, Outcome::kAccepted);
  for (uint32_t a = 0; a < kAccounts; ++a) {
    ExpectAcceptedOnce(all, a, 0, TxsOfAccount(r->planned, a));
  }

  EXPECT_FALSE(r->stopped_early);
  EXPECT_EQ(r->planned, 75u);  // 50 tx/s for 1.5 s
  EXPECT_EQ(r->committed, r->planned);
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_TRUE(r->rejected_by_reason.empty());
  EXPECT_EQ(r->withheld, 0u);
  EXPECT_GE(r->submissions, r->planned + 2);
}

}  // namespace
}  // namespace gridledger::loadgen
