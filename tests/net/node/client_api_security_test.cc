// Issue 8 item 4, the client API: an oversized request and a flood of
// commit-stream subscribers are refused, and while they are, other clients
// keep submitting and committing.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/node/grpc_server_options.h"
#include "net/node/subscriber_limit.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::kAccounts;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;
namespace v1 = gridledger::v1;

// One open commit stream, from sequence 1, on its own context.
struct Subscriber {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::CommittedTransaction>> reader;
};

Subscriber Subscribe(v1::Ledger::Stub& stub) {
  Subscriber s;
  s.ctx = std::make_unique<grpc::ClientContext>();
  s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::StreamCommitsRequest request;
  request.set_from_sequence(1);
  s.reader = stub.StreamCommits(s.ctx.get(), request);
  return s;
}

// Submits one transfer per account from `nonce` on and waits until every
// validator committed them all.
void SubmitAndCommit(TestCluster& cluster, uint64_t nonce) {
  std::vector<Bytes> txs;
  std::vector<TxId> ids;
  for (uint32_t j = 0; j < kAccounts; ++j) {
    txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(j), nonce,
                               cluster.account((j + 1) % kAccounts).public_key(), 1));
    ids.push_back(ComputeTxId(txs.back()));
  }
  v1::SubmitBatchResponse resp = cluster.Submit(1, txs);
  ASSERT_EQ(resp.results_size(), static_cast<int>(txs.size()));
  for (const v1::SubmitResult& r : resp.results()) ASSERT_TRUE(r.accepted()) << r.reason();
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));
}

TEST(ClientApiSecurityTest, OversizeRequestAndSubscriberFloodRefusedWhileOthersCommit) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  SubmitAndCommit(cluster, 0);  // so a new subscriber has a commit to read at once

  // A request past the message bound is refused before it is parsed.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SubmitBatchRequest req;
    req.add_transactions(std::string(kGrpcMaxReceiveMessageBytes + 1, 'x'));
    v1::SubmitBatchResponse resp;
    const grpc::Status s = cluster.stub(0).SubmitBatch(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }

  // kMaxCommitSubscribers streams, each proven live by its first message.
  std::vector<Subscriber> subscribers;
  for (size_t i = 0; i < kMaxCommitSubscribers; ++i) {
    subscribers.push_back(Subscribe(cluster.stub(0)));
    v1::CommittedTransaction first;
    ASSERT_TRUE(subscribers.back().reader->Read(&first)) << "subscriber " << i;
  }
  // One more is refused with the reason...
  {
    Subscriber extra = Subscribe(cluster.stub(0));
    v1::CommittedTransaction msg;
    EXPECT_FALSE(extra.reader->Read(&msg));
    const grpc::Status s = extra.reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "subscribers")) << s.error_message();
  }
  // ...while other clients keep submitting, and the slice keeps committing.
  SubmitAndCommit(cluster, 1);
  SubmitAndCommit(cluster, 2);

  // A subscriber that leaves frees its slot for the next.
  subscribers.back().ctx->TryCancel();
  subscribers.back().reader->Finish();
  subscribers.pop_back();
  bool admitted = false;
  ASSERT_TRUE(WaitFor([&] {
    Subscriber again = Subscribe(cluster.stub(0));
    v1::CommittedTransaction msg;
    admitted = again.reader->Read(&msg);
    again.ctx->TryCancel();
    again.reader->Finish();
    return admitted;
  }));
  for (Subscriber& s : subscribers) {
    s.ctx->TryCancel();
    s.reader->Finish();
  }
}

}  // namespace
}  // namespace gridledger::node
