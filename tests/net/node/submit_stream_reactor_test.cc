// SubmitStreamReactor (net/node/submit_stream.h) on a loopback gRPC server
// whose admission the test holds and completes itself, so messages are in
// admission at a known moment: the bound of kSubmitStreamInflight, answers
// in completion order, a client that cancels and a server that shuts down
// while admissions are outstanding (the reactor must outlive them and then
// delete itself: its slot and lane turns come back).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "gtest/gtest.h"
#include "net/node/client_lanes.h"
#include "net/node/submit_stream.h"
#include "net/node/subscriber_limit.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

constexpr absl::Duration kWait = absl::Seconds(20);

std::chrono::system_clock::time_point In(absl::Duration d) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// Admissions the test completes by hand: each answers one result per
// transaction, then calls the reactor back.
class HeldAdmissions {
 public:
  StreamAdmit Admit() {
    return [this](ClientLanes::Turn turn, const std::string&, const v1::SubmitStreamRequest& request,
                  v1::SubmitStreamResponse* response, StreamAdmitDone done) {
      // Nothing ordered here: the lane is given back in order at once.
      auto shared = std::make_shared<ClientLanes::Turn>(std::move(turn));
      shared->WhenReady([shared] { shared->Release(); });
      for (int i = 0; i < request.transactions_size(); ++i) {
        v1::SubmitResult* r = response->add_results();
        r->set_accepted(true);
        r->set_code(v1::SUBMIT_CODE_ACCEPTED);
      }
      absl::MutexLock lock(&mu_);
      held_.push_back(std::move(done));
      ++admitted_;
      max_held_ = std::max(max_held_, held_.size());
    };
  }
  // Waits until `n` are held (false after kWait).
  bool WaitHeld(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  // Completes the most recent held admission first (answers out of order).
  bool CompleteNewest() {
    StreamAdmitDone done;
    {
      absl::MutexLock lock(&mu_);
      if (held_.empty()) return false;
      done = std::move(held_.back());
      held_.pop_back();
    }
    std::move(done)();
    return true;
  }
  size_t admitted() {
    absl::MutexLock lock(&mu_);
    return admitted_;
  }
  size_t max_held() {
    absl::MutexLock lock(&mu_);
    return max_held_;
  }

 private:
  absl::Mutex mu_;
  std::vector<StreamAdmitDone> held_ ABSL_GUARDED_BY(mu_);
  size_t admitted_ ABSL_GUARDED_BY(mu_) = 0;
  size_t max_held_ ABSL_GUARDED_BY(mu_) = 0;
};

class StreamOnlyService final
    : public v1::Ledger::WithCallbackMethod_SubmitBatchStream<v1::Ledger::Service> {
 public:
  StreamOnlyService(const StreamAdmit* admit, size_t max_streams)
      : admit_(admit), streams_(max_streams) {}
  grpc::ServerBidiReactor<v1::SubmitStreamRequest, v1::SubmitStreamResponse>* SubmitBatchStream(
      grpc::CallbackServerContext* context) override {
    std::optional<SubscriberLimit::Slot> slot = streams_.TryAcquire();
    if (!slot.has_value()) {
      return new RefusedBidiReactor(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "full"));
    }
    return new SubmitStreamReactor(&lanes_, context->peer(), admit_, std::move(*slot));
  }
  size_t active_streams() const { return streams_.active(); }
  size_t lanes() const { return lanes_.size(); }

 private:
  const StreamAdmit* admit_;
  ClientLanes lanes_;
  SubscriberLimit streams_;
};

// A server on a loopback port chosen by the system (port 0, read back).
class Fixture {
 public:
  explicit Fixture(size_t max_streams = 4)
      : admit_(held_.Admit()), service_(&admit_, max_streams) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    GL_CHECK(server_ != nullptr && port_ > 0);
    stub_ = v1::Ledger::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                    grpc::InsecureChannelCredentials()));
  }
  ~Fixture() { Shutdown(); }
  void Shutdown() {
    if (server_ == nullptr) return;
    server_->Shutdown(In(absl::Milliseconds(100)));
    server_->Wait();
    server_.reset();
  }
  // Completes whatever is admitted (a message read just before a cancel
  // may still arrive) until every reactor deleted itself and gave its lane
  // turns back.
  bool WaitReactorsGone() {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      while (held_.CompleteNewest()) {
      }
      if (service_.active_streams() == 0 && service_.lanes() == 0) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  // A stream to the server whose call ends after kWait at the latest.
  std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitStreamRequest, v1::SubmitStreamResponse>>
  Open(grpc::ClientContext* ctx) {
    ctx->set_deadline(In(kWait));
    return stub_->SubmitBatchStream(ctx);
  }

  HeldAdmissions& held() { return held_; }
  StreamOnlyService& service() { return service_; }

 private:
  HeldAdmissions held_;
  const StreamAdmit admit_;
  StreamOnlyService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

v1::SubmitStreamRequest Message(uint64_t sequence, int txs) {
  v1::SubmitStreamRequest m;
  m.set_sequence(sequence);
  for (int i = 0; i < txs; ++i) m.add_transactions("tx");
  return m;
}

TEST(SubmitStreamReactorTest, AdmitsAtMostTheBoundAtOnceAndAnswersEachMessageOnce) {
  Fixture f;
  constexpr int kMessages = 10;
  grpc::ClientContext ctx;
  auto stream = f.Open(&ctx);
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(stream->Write(Message(100 + i, i + 1)));
  ASSERT_TRUE(stream->WritesDone());
  // Complete the newest first, each time the bound is full again.
  int completed = 0;
  while (completed < kMessages) {
    const size_t expect = std::min<size_t>(kSubmitStreamInflight, kMessages - completed);
    ASSERT_TRUE(f.held().WaitHeld(expect)) << "after " << completed << " completed";
    ASSERT_TRUE(f.held().CompleteNewest());
    ++completed;
  }
  absl::flat_hash_set<uint64_t> answered;
  v1::SubmitStreamResponse response;
  while (answered.size() < kMessages && stream->Read(&response)) {
    EXPECT_TRUE(answered.insert(response.sequence()).second) << response.sequence();
    EXPECT_EQ(response.results_size(), static_cast<int>(response.sequence() - 100 + 1));
  }
  EXPECT_EQ(answered.size(), static_cast<size_t>(kMessages));
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(f.held().max_held(), kSubmitStreamInflight);
  EXPECT_TRUE(f.WaitReactorsGone());
}

TEST(SubmitStreamReactorTest, AClientCancelWithAdmissionsInFlightEndsOnceTheyComplete) {
  Fixture f;
  grpc::ClientContext ctx;
  auto stream = f.Open(&ctx);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(stream->Write(Message(i, 3)));
  ASSERT_TRUE(f.held().WaitHeld(kSubmitStreamInflight));
  ctx.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The reactor waits for its admissions (their lane turns, their answers'
  // memory): it is still there, then goes once they complete.
  EXPECT_EQ(f.service().active_streams(), 1u);
  EXPECT_TRUE(f.WaitReactorsGone());
  EXPECT_LE(f.held().admitted(), 6u);
  // The server still serves a new stream.
  grpc::ClientContext again;
  auto second = f.Open(&again);
  ASSERT_TRUE(second->Write(Message(7, 2)));
  ASSERT_TRUE(second->WritesDone());
  ASSERT_TRUE(f.held().WaitHeld(1));
  ASSERT_TRUE(f.held().CompleteNewest());
  v1::SubmitStreamResponse response;
  ASSERT_TRUE(second->Read(&response));
  EXPECT_EQ(response.sequence(), 7u);
  EXPECT_TRUE(second->Finish().ok());
}

TEST(SubmitStreamReactorTest, ServerShutdownWithAdmissionsInFlightWaitsForThem) {
  Fixture f;
  grpc::ClientContext ctx;
  auto stream = f.Open(&ctx);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(stream->Write(Message(i, 1)));
  ASSERT_TRUE(f.held().WaitHeld(kSubmitStreamInflight));
  std::atomic<bool> down{false};
  std::thread shutdown([&f, &down] {
    f.Shutdown();
    down.store(true);
  });
  // Shutdown cancels the call after its deadline but cannot complete while
  // the reactor holds admissions: complete them (and any read just before
  // the cancel) while it waits.
  const absl::Time deadline = absl::Now() + kWait;
  while (!down.load() && absl::Now() < deadline) {
    while (f.held().CompleteNewest()) {
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(down.load()) << "server shutdown still waiting";
  shutdown.join();
  EXPECT_EQ(f.service().active_streams(), 0u);
  EXPECT_EQ(f.service().lanes(), 0u);
  // Whatever it ended with, the client's stream ends (answers read first:
  // the synchronous client's Finish waits for them).
  v1::SubmitStreamResponse response;
  while (stream->Read(&response)) EXPECT_EQ(response.results_size(), 1);
  const grpc::Status status = stream->Finish();
  EXPECT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
}

TEST(SubmitStreamReactorTest, AStreamBeyondTheLimitIsRefused) {
  Fixture f(/*max_streams=*/1);
  grpc::ClientContext first_ctx;
  auto first = f.Open(&first_ctx);
  ASSERT_TRUE(first->Write(Message(1, 1)));
  ASSERT_TRUE(f.held().WaitHeld(1));  // the first stream holds the slot
  grpc::ClientContext second_ctx;
  auto second = f.Open(&second_ctx);
  v1::SubmitStreamResponse response;
  EXPECT_FALSE(second->Read(&response));
  EXPECT_EQ(second->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(first->WritesDone());
  ASSERT_TRUE(f.held().CompleteNewest());
  ASSERT_TRUE(first->Read(&response));
  EXPECT_TRUE(first->Finish().ok());
}

}  // namespace
}  // namespace gridledger::node
