// The load generator's SubmitBatchStream client against a real 4-validator
// cluster on loopback: every Send is answered exactly once with one result
// per transaction, also when waiting Sends were merged into one message and
// the answer split back; a stopped validator fails the Sends, bounded.
#include "tools/loadgen/submit_streams.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::loadgen {
namespace {

namespace v1 = gridledger::v1;
using node::cluster_test::AsString;
using node::cluster_test::kAccounts;
using node::cluster_test::MakeTransfer;
using node::cluster_test::TestCluster;
using node::cluster_test::WaitFor;

struct Answer {
  int calls = 0;
  grpc::Status status;
  std::vector<v1::SubmitResult> results;
};

TEST(SubmitStreamClientTest, EverySendIsAnsweredOncePerTransactionAcrossMergedMessages) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(kAccounts - 1).public_key();
  // 120 Sends of 1 or 2 transactions: transfers with consecutive nonces per
  // sender, every fifth Send with a malformed envelope added.
  constexpr int kSends = 120;
  const Bytes garbage = {1, 1, 0, 0};
  std::vector<v1::SubmitStreamRequest> requests(kSends);
  std::vector<TxId> ids;
  std::vector<uint64_t> nonce(kAccounts - 1, 0);
  for (int k = 0; k < kSends; ++k) {
    const uint32_t from = k % (kAccounts - 1);
    const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(from), nonce[from]++, to, 1);
    ids.push_back(ComputeTxId(tx));
    requests[k].add_transactions(AsString(tx));
    if (k % 5 == 0) requests[k].add_transactions(AsString(garbage));
  }

  absl::Mutex mu;
  std::vector<Answer> answers(kSends);
  {
    // Small messages (at most 8 transactions) so merging hits the bound.
    SubmitStreamClient client(&cluster.stub(0), absl::Seconds(10), 8, size_t{1} << 20);
    for (int k = 0; k < kSends; ++k) {
      client.Send(requests[k], [&, k](const grpc::Status& status,
                                      const v1::SubmitStreamResponse* response) {
        absl::MutexLock lock(&mu);
        Answer& a = answers[k];
        ++a.calls;
        a.status = status;
        if (response != nullptr) {
          a.results.assign(response->results().begin(), response->results().end());
        }
      });
    }
    client.Close();  // waits for the answers still due
  }
  absl::MutexLock lock(&mu);
  for (int k = 0; k < kSends; ++k) {
    const Answer& a = answers[k];
    ASSERT_EQ(a.calls, 1) << "send " << k;
    ASSERT_TRUE(a.status.ok()) << "send " << k << ": " << a.status.error_message();
    ASSERT_EQ(a.results.size(), static_cast<size_t>(requests[k].transactions_size()))
        << "send " << k;
    EXPECT_TRUE(a.results[0].accepted()) << "send " << k << ": " << a.results[0].reason();
    EXPECT_EQ(a.results[0].tx_id(), AsString(ids[k].span())) << "send " << k;
    if (a.results.size() == 2) {
      EXPECT_EQ(a.results[1].code(), v1::SUBMIT_CODE_MALFORMED);
    }
  }
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));
  // The node admitted one message per merge: never more than the Sends.
  grpc::ClientContext ctx;
  v1::NodeCounters counters;
  ASSERT_TRUE(cluster.stub(0).GetCounters(&ctx, v1::GetCountersRequest(), &counters).ok());
  for (const v1::StageLatencyHistogram& h : counters.stages()) {
    if (h.stage() != "admit") continue;
    const uint64_t messages = h.cumulative_counts(h.cumulative_counts_size() - 1);
    EXPECT_LE(messages, static_cast<uint64_t>(kSends));
    std::printf("%d sends went as %llu messages\n", kSends,
                static_cast<unsigned long long>(messages));
  }
}

TEST(SubmitStreamClientTest, AStoppedValidatorFailsTheSendOnce) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  cluster.StopNode(2);
  v1::SubmitStreamRequest request;
  request.add_transactions(AsString(MakeTransfer(cluster.chain_id(), cluster.account(0), 0,
                                                 cluster.account(1).public_key(), 1)));
  absl::Mutex mu;
  int calls = 0;
  grpc::Status status;
  {
    SubmitStreamClient client(&cluster.stub(2), absl::Seconds(5), 8, size_t{1} << 20);
    client.Send(request, [&](const grpc::Status& s, const v1::SubmitStreamResponse* response) {
      absl::MutexLock lock(&mu);
      ++calls;
      status = s;
      EXPECT_EQ(response, nullptr);
    });
    client.Close();
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_code() << " " << status.error_message();
}

}  // namespace
}  // namespace gridledger::loadgen
