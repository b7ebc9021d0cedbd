// The metrics endpoint serves exact values over plain HTTP on loopback.
#include "net/metrics/metrics_server.h"

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/metrics/node_metrics.h"
#include "net/metrics/transport_collector.h"
#include "net/transport/transport.h"
#include "tests/net/net_test_util.h"

namespace gridledger::net {
namespace {

constexpr size_t kMaxResponseBytes = size_t{1} << 20;

// GET /metrics with a plain asio client; returns the whole HTTP response.
std::string Scrape(uint16_t port) {
  testing::RawClient client;
  EXPECT_TRUE(client.Connect(port).ok());
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_TRUE(client
                  .Write(ByteSpan(reinterpret_cast<const uint8_t*>(request.data()),
                                  request.size()))
                  .ok());
  auto response = client.ReadToEnd(kMaxResponseBytes);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : std::string();
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// One server for the suite: stopping the embedded civetweb server takes about
// two seconds (its listener poll interval).
class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = MetricsServer::Start("127.0.0.1:0");
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = started->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static MetricsServer* server_;
};
MetricsServer* MetricsTest::server_ = nullptr;

TEST_F(MetricsTest, ExposesNodeMetricsOnEphemeralPort) {
  ASSERT_NE(server_, nullptr);
  ASSERT_NE(server_->port(), 0);

  NodeMetrics metrics;
  server_->Register(metrics.registry());
  metrics.AddCommittedTransactions(40);
  metrics.AddCommittedTransactions(2);
  metrics.AddCommit();
  metrics.SetRound(17);
  metrics.SetLastCommittedSequence(9);
  metrics.SetRecentTxIds(4096);
  metrics.ObserveVerifyBatch(100, absl::Milliseconds(2));
  metrics.ObserveVerifyBatch(3, absl::Microseconds(20));
  metrics.SetQueueDepth(MetricsQueue::kMempool, 123);

  const std::string response = Scrape(server_->port());
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response.substr(0, 80);
  EXPECT_TRUE(HasLine(response, "gridledger_committed_transactions_total 42")) << response;
  EXPECT_TRUE(HasLine(response, "gridledger_commits_total 1"));
  EXPECT_TRUE(HasLine(response, "gridledger_round 17"));
  EXPECT_TRUE(HasLine(response, "gridledger_last_committed_sequence 9"));
  EXPECT_TRUE(HasLine(response, "gridledger_store_recent_tx_ids 4096"));
  EXPECT_TRUE(HasLine(response, "gridledger_queue_depth{queue=\"mempool\"} 123"));
  EXPECT_TRUE(HasLine(response, "gridledger_queue_depth{queue=\"execution\"} 0"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_count 2"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_sum 103"));
  // 3 falls in le=4, 100 in le=256 (cumulative counts).
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_bucket{le=\"1\"} 0"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_bucket{le=\"4\"} 1"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_bucket{le=\"64\"} 1"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_size_bucket{le=\"256\"} 2"));
  EXPECT_TRUE(HasLine(response, "gridledger_verify_batch_latency_seconds_count 2"));

  // Values are live: a second scrape sees the update.
  metrics.AddCommittedTransactions(8);
  EXPECT_TRUE(HasLine(Scrape(server_->port()), "gridledger_committed_transactions_total 50"));
  server_->Unregister(metrics.registry());
}

// The dashboard's verifier, peer link and rejection panels (deploy/grafana).
TEST_F(MetricsTest, ExposesVerifierBackendPeerLinksAndRejections) {
  ASSERT_NE(server_, nullptr);
  NodeMetrics metrics;
  server_->Register(metrics.registry());
  metrics.SetVerifierBackend("cpu");
  metrics.SetPeerLinkUp(1, /*outbound=*/true, true);
  metrics.SetPeerLinkUp(2, /*outbound=*/false, true);
  metrics.SetPeerLinkUp(2, /*outbound=*/false, false);  // the same series goes down
  metrics.AddTransactionRejected(TxRejection::kDuplicate);
  metrics.AddTransactionRejected(TxRejection::kDuplicate);
  metrics.AddTransactionRejected(TxRejection::kBadSignature);
  metrics.AddPeerMessagesRefused(3);
  metrics.AddPeerMessagesRefused(0);
  metrics.AddAvailabilityEvents(NodeMetrics::AvailabilityEvent::kVoteSent, 5);
  metrics.AddAvailabilityEvents(NodeMetrics::AvailabilityEvent::kVoteUpgraded, 2);

  const std::string response = Scrape(server_->port());
  EXPECT_TRUE(HasLine(response, "gridledger_verifier_backend{backend=\"cpu\"} 1")) << response;
  EXPECT_TRUE(HasLine(response, "gridledger_peer_link_up{direction=\"outbound\",peer=\"1\"} 1"));
  EXPECT_TRUE(HasLine(response, "gridledger_peer_link_up{direction=\"inbound\",peer=\"2\"} 0"));
  EXPECT_TRUE(HasLine(response, "gridledger_transactions_rejected_total{reason=\"duplicate\"} 2"));
  EXPECT_TRUE(
      HasLine(response, "gridledger_transactions_rejected_total{reason=\"bad_signature\"} 1"));
  // Every reason is exported from the start, so a rate() has a series.
  EXPECT_TRUE(HasLine(response, "gridledger_transactions_rejected_total{reason=\"too_large\"} 0"));
  EXPECT_TRUE(HasLine(response, "gridledger_peer_messages_refused_total 3"));
  EXPECT_TRUE(HasLine(response, "gridledger_availability_votes_total{event=\"sent\"} 5"));
  EXPECT_TRUE(HasLine(response, "gridledger_availability_votes_total{event=\"upgraded\"} 2"));
  EXPECT_TRUE(HasLine(response, "gridledger_availability_votes_total{event=\"check_failed\"} 0"));
  server_->Unregister(metrics.registry());
}

TEST_F(MetricsTest, ExposesTransportCountersAtScrapeTime) {
  const KeyPair own = KeyPair::FromSeed(90);
  const KeyPair peer = KeyPair::FromSeed(91);
  TransportOptions options(own);
  options.committee[own.public_key()] = PeerAddress{};
  options.committee[peer.public_key()] = PeerAddress{};  // never dialled
  options.send_queue_max_frames = 1;
  Transport transport(options, [](const PublicKey&, Bytes) {});
  ASSERT_TRUE(transport.Send(peer.public_key(), Bytes{1}).ok());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(transport.Send(peer.public_key(), Bytes{2}).ok());

  ASSERT_NE(server_, nullptr);
  auto collector = std::make_shared<TransportCollector>(&transport);
  server_->Register(collector);
  const std::string response = Scrape(server_->port());
  EXPECT_TRUE(HasLine(response, "gridledger_transport_queue_full_rejections_total 3"))
      << response;
  EXPECT_TRUE(HasLine(response, "gridledger_transport_frames_out_total 0"));
  // The one frame queued for the peer that is never dialled.
  EXPECT_TRUE(HasLine(response, "gridledger_transport_queued_frames 1")) << response;
  EXPECT_TRUE(HasLine(response, "gridledger_transport_queued_bytes 1"));
  // The pre-auth DoS counters are exported too (issue 8).
  EXPECT_TRUE(HasLine(response, "gridledger_transport_preauth_evictions_total 0"));
  EXPECT_TRUE(HasLine(response, "gridledger_transport_refused_wrong_chain_total 0"));
  server_->Unregister(collector);
  EXPECT_EQ(Scrape(server_->port()).find("gridledger_transport_"), std::string::npos);
}

TEST_F(MetricsTest, BusyPortIsUnavailable) {
  ASSERT_NE(server_, nullptr);
  auto second = MetricsServer::Start("127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
}

}  // namespace
}  // namespace gridledger::net
