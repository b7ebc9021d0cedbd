// A flood of idle unauthenticated sockets must not lock a committee peer out
// (issue 8, item 4): the pre-auth limits evict the flood's oldest sockets, a
// real peer authenticates at once, and the refusal log stays bounded.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/transport/transport.h"
#include "tests/net/net_test_util.h"

namespace gridledger::net {
namespace {

using testing::FastOptions;
using testing::Numbered;
using testing::RawClient;
using testing::RecordingNode;
using testing::WaitFor;

constexpr size_t kFloodFromLoopback = 200;
constexpr size_t kExtraSources = 8;  // 127.0.0.2 .. 127.0.0.9
constexpr size_t kFloodPerExtraSource = 8;

bool CanBindSource(const std::string& ip) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec) socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address(ip), 0), ec);
  return !ec;
}

TEST(PreauthFloodTest, IdleSocketsDoNotLockOutACommitteePeer) {
  const KeyPair ka = KeyPair::FromSeed(230);
  const KeyPair kb = KeyPair::FromSeed(231);
  const std::vector<KeyPair> keys = {ka, kb};
  TransportOptions options_b = FastOptions(kb, keys);
  // Only eviction can free a slot while the test runs, not the deadline.
  options_b.handshake_timeout_ms = 120000;
  RecordingNode b(kb, options_b);
  ASSERT_TRUE(b.transport().Start().ok());
  const uint16_t port = b.transport().listen_port();
  const absl::Time flood_start = absl::Now();

  std::vector<std::unique_ptr<RawClient>> idle;
  for (size_t i = 0; i < kFloodFromLoopback; ++i) {
    idle.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(idle.back()->Connect(port).ok()) << i;
  }
  const bool many_sources = CanBindSource("127.0.0.2");
  size_t flood = kFloodFromLoopback;
  if (many_sources) {
    for (size_t s = 0; s < kExtraSources; ++s) {
      const std::string source = absl::StrCat("127.0.0.", 2 + s);
      for (size_t i = 0; i < kFloodPerExtraSource; ++i) {
        idle.push_back(std::make_unique<RawClient>());
        ASSERT_TRUE(idle.back()->Connect(port, testing::kWaitLimit, source).ok()) << source;
        ++flood;
      }
    }
  }
  // Once every socket is accepted exactly the pre-auth bound stays pending.
  const size_t pending_after_flood =
      many_sources ? options_b.preauth_total_max : options_b.preauth_per_source_max;
  const uint64_t flood_evictions = flood - pending_after_flood;
  ASSERT_TRUE(WaitFor([&] {
    return b.transport().counters().preauth_evictions == flood_evictions;
  })) << b.transport().counters().preauth_evictions;
  // The oldest loopback socket was evicted; the newest socket is still open.
  EXPECT_TRUE(idle.front()->WaitForClose().ok());
  EXPECT_TRUE(
      absl::IsDeadlineExceeded(idle.back()->ReadExact(1, absl::Milliseconds(50)).status()));

  // A committee peer, from the flooded address, connects into the full table.
  const absl::Time peer_start = absl::Now();
  TransportOptions options_a = FastOptions(ka, keys);
  options_a.committee[kb.public_key()] = PeerAddress{"127.0.0.1", port};
  RecordingNode a(ka, options_a);
  ASSERT_TRUE(a.transport().Send(kb.public_key(), Numbered(0xA, 1)).ok());
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == 1; }, absl::Seconds(10)));
  const absl::Duration peer_latency = absl::Now() - peer_start;
  std::printf("peer authenticated %s after a flood of %zu idle sockets\n",
              absl::FormatDuration(peer_latency).c_str(), flood);
  EXPECT_TRUE(a.OutboundUp(kb.public_key()));
  // Its first attempt succeeded: exactly one more idle socket was evicted.
  const TransportCounters counters = b.transport().counters();
  EXPECT_EQ(a.transport().counters().dials, 1u);
  EXPECT_EQ(counters.handshakes_ok, 1u);
  EXPECT_EQ(counters.preauth_evictions, flood_evictions + 1);
  EXPECT_EQ(counters.handshakes_refused, 0u);

  // Every eviction was offered to the log once; most were suppressed, and
  // what was written fits the rate bound over the test's duration.
  const size_t eviction_lines = b.LogCount("evicted unauthenticated connection");
  EXPECT_EQ(eviction_lines + counters.log_lines_suppressed, counters.preauth_evictions);
  EXPECT_GT(counters.log_lines_suppressed, 0u);
  const double elapsed_s = absl::ToDoubleSeconds(absl::Now() - flood_start);
  const size_t windows = static_cast<size_t>(std::ceil(elapsed_s)) + 1;
  EXPECT_LE(b.log_lines(), windows * (options_b.preauth_log_lines_per_second_max + 1))
      << "elapsed " << elapsed_s << " s";
}

}  // namespace
}  // namespace gridledger::net
