// SubmitBatchStream on gRPC's callback API with the real admission path, on
// a 4-validator cluster: a client that cancels with messages in admission
// leaves its connection's lane usable and loses nothing (what was admitted
// commits, the rest is accepted on resubmission), and a validator stopped
// with messages in flight stops within a bound while the client's stream
// ends.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "net/node/client_service.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using cluster_test::AsString;
using cluster_test::kAccounts;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;

constexpr int kMessages = 8;
constexpr int kTxsPerMessage = 24;  // a multiple of kAccounts

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// kMessages messages of transfers; each sender's nonces are consecutive in
// stream order.
std::vector<v1::SubmitStreamRequest> Transfers(TestCluster& cluster, std::vector<TxId>* ids) {
  std::vector<v1::SubmitStreamRequest> messages(kMessages);
  for (int m = 0; m < kMessages; ++m) {
    messages[m].set_sequence(m);
    for (int k = 0; k < kTxsPerMessage; ++k) {
      const int t = m * kTxsPerMessage + k;
      const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(t % kAccounts),
                                    t / kAccounts,
                                    cluster.account((t + 1) % kAccounts).public_key(), 1);
      ids->push_back(ComputeTxId(tx));
      messages[m].add_transactions(AsString(tx));
    }
  }
  return messages;
}

using Stream = grpc::ClientReaderWriter<v1::SubmitStreamRequest, v1::SubmitStreamResponse>;

// A started cluster and kMessages messages of transfers for it.
class SubmitStreamClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status started = cluster_.StartAll();
    ASSERT_TRUE(started.ok()) << started;
    messages_ = Transfers(cluster_, &ids_);
  }

  // Opens a stream to validator 0 (deadline `seconds` from now), writes
  // every message without waiting and reads the first answer, so admission
  // is under way.
  void WriteAllAndReadFirst(grpc::ClientContext* ctx, int seconds,
                            std::unique_ptr<Stream>* stream) {
    ctx->set_deadline(In(seconds));
    *stream = cluster_.stub(0).SubmitBatchStream(ctx);
    for (const v1::SubmitStreamRequest& m : messages_) ASSERT_TRUE((*stream)->Write(m));
    v1::SubmitStreamResponse first;
    ASSERT_TRUE((*stream)->Read(&first));
    ASSERT_EQ(first.results_size(), kTxsPerMessage);
  }

  TestCluster cluster_;
  std::vector<TxId> ids_;
  std::vector<v1::SubmitStreamRequest> messages_;
};

TEST_F(SubmitStreamClusterTest, ACancelMidStreamLosesNothingAndLeavesTheLaneUsable) {
  {
    grpc::ClientContext ctx;
    std::unique_ptr<Stream> stream;
    ASSERT_NO_FATAL_FAILURE(WriteAllAndReadFirst(&ctx, 20, &stream));
    ctx.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The same channel is the same lane on the node: a stream on it is served,
  // and every transaction is either new or already admitted, never refused
  // for load or left without an answer.
  grpc::ClientContext ctx;
  ctx.set_deadline(In(20));
  auto stream = cluster_.stub(0).SubmitBatchStream(&ctx);
  for (const v1::SubmitStreamRequest& m : messages_) ASSERT_TRUE(stream->Write(m));
  ASSERT_TRUE(stream->WritesDone());
  absl::flat_hash_set<uint64_t> answered;
  v1::SubmitStreamResponse response;
  while (answered.size() < messages_.size() && stream->Read(&response)) {
    ASSERT_TRUE(answered.insert(response.sequence()).second);
    ASSERT_EQ(response.results_size(), kTxsPerMessage);
    for (const v1::SubmitResult& r : response.results()) {
      EXPECT_TRUE(r.code() == v1::SUBMIT_CODE_ACCEPTED || r.code() == v1::SUBMIT_CODE_DUPLICATE)
          << r.reason();
    }
  }
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answered.size(), messages_.size());
  EXPECT_TRUE(WaitFor([&] { return cluster_.CommittedEverywhere(ids_); }));
}

TEST_F(SubmitStreamClusterTest, AValidatorStoppedWithMessagesInFlightStopsAndTheStreamEnds) {
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream;
  ASSERT_NO_FATAL_FAILURE(WriteAllAndReadFirst(&ctx, 60, &stream));
  std::future<void> stopped = std::async(std::launch::async, [this] { cluster_.StopNode(0); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  // Every answer that still arrives is whole, and the stream ends.
  v1::SubmitStreamResponse response;
  while (stream->Read(&response)) ASSERT_EQ(response.results_size(), kTxsPerMessage);
  const grpc::Status status = stream->Finish();
  EXPECT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
}

}  // namespace
}  // namespace gridledger::node
