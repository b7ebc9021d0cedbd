// Admission's overload signal (ConsensusDriver::overload_backlog_wait) on
// real validators over loopback: while more than kOverloadBacklogTxs own
// transactions wait in batches not yet in a header and the oldest batch has
// waited longer than kOverloadBacklogWait (here: no quorum of acks, 2 of 4
// validators up), a submission is refused OVERLOADED before it is verified,
// and once the quorum is back the backlog drains, the first transfer
// commits and the refusals stop.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/node/client_service.h"
#include "net/node/consensus_driver.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using cluster_test::kValidators;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;

constexpr int kTxsPerRequest = 100;

TEST(AdmissionOverloadTest, RefusesWhileOwnBatchesWaitForAHeaderAndRecovers) {
  TestCluster cluster;
  for (uint32_t i : {0u, 1u}) {
    const absl::StatusOr<Node*> node = cluster.StartNode(i);
    ASSERT_TRUE(node.ok()) << node.status();
  }
  const Digest& chain = cluster.chain_id();
  const PublicKey to = cluster.account(3).public_key();
  const Bytes first = MakeTransfer(chain, cluster.account(0), 0, to, 7);
  v1::SubmitBatchResponse accepted = cluster.Submit(0, {first});
  ASSERT_EQ(accepted.results_size(), 1);
  ASSERT_TRUE(accepted.results(0).accepted()) << accepted.results(0).reason();

  // Two acks of three needed: no batch can enter a header. Requests of
  // kTxsPerRequest transfers (bounded by WaitFor) until one is refused.
  std::string reason;
  uint64_t nonce = 0;
  int accepted_txs = 1;
  const bool refused = WaitFor([&] {
    std::vector<Bytes> txs;
    for (int k = 0; k < kTxsPerRequest; ++k) {
      txs.push_back(MakeTransfer(chain, cluster.account(1), nonce + k, to, 1));
    }
    v1::SubmitBatchResponse r = cluster.Submit(0, txs);
    if (r.results_size() != kTxsPerRequest) return false;
    if (r.results(0).accepted()) {
      nonce += kTxsPerRequest;
      accepted_txs += kTxsPerRequest;
      return false;
    }
    reason = r.results(0).reason();
    return r.results(0).code() == v1::SUBMIT_CODE_OVERLOADED;
  });
  ASSERT_TRUE(refused) << "never refused; last reason: " << reason;
  EXPECT_TRUE(absl::StartsWith(reason, "overloaded: over 256 own transactions wait for a header, "
                                       "the oldest batch "))
      << reason;
  EXPECT_TRUE(absl::EndsWith(reason, " (bound 500ms); retry later")) << reason;
  EXPECT_GT(accepted_txs, static_cast<int>(kOverloadBacklogTxs));

  for (uint32_t i = 2; i < kValidators; ++i) {
    const absl::StatusOr<Node*> node = cluster.StartNode(i);
    ASSERT_TRUE(node.ok()) << node.status();
  }
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({ComputeTxId(first)}); }));
  const Bytes after = MakeTransfer(chain, cluster.account(2), 0, to, 3);
  const bool taken = WaitFor([&] {
    v1::SubmitBatchResponse r = cluster.Submit(0, {after});
    return r.results_size() == 1 &&
           (r.results(0).accepted() || r.results(0).code() == v1::SUBMIT_CODE_DUPLICATE);
  });
  EXPECT_TRUE(taken);
  EXPECT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({ComputeTxId(after)}); }));
}

}  // namespace
}  // namespace gridledger::node
