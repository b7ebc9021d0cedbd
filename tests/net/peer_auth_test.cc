// Unit tests of the frame header, the peer Auth codec and digest, the TLS
// channel binding, the pre-auth limiter and the log rate bound.
#include "net/transport/peer_auth.h"

#include <thread>

#include "absl/status/status.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/transport/frame.h"
#include "net/transport/log_rate_limiter.h"
#include "net/transport/preauth_limiter.h"
#include "tests/net/net_test_util.h"

namespace gridledger::net {
namespace {

using internal::LogRateLimiter;
using internal::PreauthLimiter;

TEST(FrameTest, HeaderIsBigEndianLength) {
  const FrameHeader header = EncodeFrameHeader(0x01020304);
  EXPECT_EQ(header, (FrameHeader{1, 2, 3, 4}));
  EXPECT_EQ(DecodeFrameHeader(header), 0x01020304u);
  EXPECT_EQ(DecodeFrameHeader(EncodeFrameHeader(0xFFFFFFFF)), 0xFFFFFFFFu);
}

TEST(FrameTest, LengthBound) {
  EXPECT_TRUE(CheckFrameLength(100, 100).ok());
  const absl::Status status = CheckFrameLength(101, 100);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "frame length 101 exceeds max_frame_bytes 100");
}

ChannelBinding BindingOf(uint8_t fill) {
  ChannelBinding binding;
  binding.fill(fill);
  return binding;
}

Digest ChainOf(uint8_t fill) {
  Digest chain;
  chain.bytes.fill(fill);
  return chain;
}

TEST(PeerAuthTest, RoundTripsAndIsStrict) {
  const KeyPair alice = KeyPair::FromSeed(1);
  const KeyPair bob = KeyPair::FromSeed(2);
  const PeerAuth auth =
      SignPeerAuth(alice, BindingOf(7), ChainOf(9), bob.public_key(), PeerRole::kClient);
  const Bytes encoded = EncodePeerAuth(auth);
  ASSERT_EQ(encoded.size(), kPeerAuthBytes);
  EXPECT_EQ(encoded[0], kPeerAuthVersion);
  auto decoded = DecodePeerAuth(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->chain_id, ChainOf(9));
  EXPECT_EQ(decoded->key, alice.public_key());
  EXPECT_EQ(decoded->signature, auth.signature);

  Bytes truncated(encoded.begin(), encoded.end() - 1);
  EXPECT_EQ(DecodePeerAuth(truncated).status().message(), "auth: expected 129 bytes, got 128");
  Bytes longer = encoded;
  longer.push_back(0);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodePeerAuth(longer).status()));
  Bytes wrong_version = encoded;
  wrong_version[0] = 2;
  EXPECT_EQ(DecodePeerAuth(wrong_version).status().message(),
            "auth.version: unsupported version 2");
}

TEST(PeerAuthTest, SignatureBindsSessionChainKeysAndRole) {
  const KeyPair alice = KeyPair::FromSeed(1);
  const KeyPair bob = KeyPair::FromSeed(2);
  const KeyPair carol = KeyPair::FromSeed(3);
  const ChannelBinding session = BindingOf(7);
  const Digest chain = ChainOf(9);
  const PeerAuth auth =
      SignPeerAuth(alice, session, chain, bob.public_key(), PeerRole::kClient);
  EXPECT_TRUE(VerifyPeerAuth(auth, session, chain, bob.public_key(), PeerRole::kClient));
  // Another TLS session (relay or replay): refused.
  EXPECT_FALSE(VerifyPeerAuth(auth, BindingOf(8), chain, bob.public_key(), PeerRole::kClient));
  // Another chain: refused.
  EXPECT_FALSE(VerifyPeerAuth(auth, session, ChainOf(10), bob.public_key(), PeerRole::kClient));
  // Presented to someone else: refused.
  EXPECT_FALSE(VerifyPeerAuth(auth, session, chain, carol.public_key(), PeerRole::kClient));
  // Reflected as the server's answer: refused.
  EXPECT_FALSE(VerifyPeerAuth(auth, session, chain, bob.public_key(), PeerRole::kServer));
  // Claimed for another key: refused.
  PeerAuth stolen = auth;
  stolen.key = carol.public_key();
  EXPECT_FALSE(VerifyPeerAuth(stolen, session, chain, bob.public_key(), PeerRole::kClient));
}

// Runs a TLS server end on its own thread and a client end here.
void ConnectPair(testing::TlsPeer* server, testing::TlsPeer* client) {
  auto port = server->Listen();
  ASSERT_TRUE(port.ok()) << port.status();
  absl::Status accepted;
  std::thread accept_thread([&] { accepted = server->AcceptOne(); });
  const absl::Status connected = client->Connect(*port);
  accept_thread.join();
  ASSERT_TRUE(connected.ok()) << connected;
  ASSERT_TRUE(accepted.ok()) << accepted;
}

TEST(TlsBindingTest, BothEndsAgreeAndSessionsDiffer) {
  testing::TlsPeer server1, client1, server2, client2;
  ConnectPair(&server1, &client1);
  ConnectPair(&server2, &client2);
  EXPECT_EQ(server1.binding(), client1.binding());
  EXPECT_EQ(server2.binding(), client2.binding());
  EXPECT_NE(client1.binding(), client2.binding());
  EXPECT_NE(client1.binding(), ChannelBinding{});
}

TEST(PreauthLimiterTest, PerSourceBoundEvictsThatSourcesOldest) {
  PreauthLimiter limiter(/*per_source_max=*/2, /*total_max=*/10);
  EXPECT_TRUE(limiter.Admit("a", 1).empty());
  EXPECT_TRUE(limiter.Admit("a", 2).empty());
  EXPECT_TRUE(limiter.Admit("b", 3).empty());
  EXPECT_EQ(limiter.Admit("a", 4), std::vector<uint64_t>{1});
  EXPECT_EQ(limiter.pending_from("a"), 2u);
  EXPECT_EQ(limiter.pending_from("b"), 1u);
  limiter.Remove(2);
  limiter.Remove(2);  // idempotent
  EXPECT_TRUE(limiter.Admit("a", 5).empty());
  EXPECT_EQ(limiter.total(), 3u);
}

TEST(PreauthLimiterTest, TotalBoundEvictsFromTheHeaviestSource) {
  PreauthLimiter limiter(/*per_source_max=*/4, /*total_max=*/6);
  for (uint64_t id = 1; id <= 4; ++id) EXPECT_TRUE(limiter.Admit("flood", id).empty());
  EXPECT_TRUE(limiter.Admit("peer1", 5).empty());
  EXPECT_TRUE(limiter.Admit("peer2", 6).empty());
  // Full: a newcomer from a light source evicts the flood's oldest, never a peer.
  EXPECT_EQ(limiter.Admit("peer3", 7), std::vector<uint64_t>{1});
  EXPECT_EQ(limiter.Admit("peer4", 8), std::vector<uint64_t>{2});
  EXPECT_EQ(limiter.pending_from("flood"), 2u);
  // Ties: the source whose oldest waited longest ("flood": id 3) goes first.
  EXPECT_EQ(limiter.Admit("peer5", 9), std::vector<uint64_t>{3});
  EXPECT_EQ(limiter.total(), 6u);
  EXPECT_EQ(limiter.pending_from("flood"), 1u);
  EXPECT_EQ(limiter.pending_from("peer1"), 1u);
}

TEST(LogRateLimiterTest, BoundsLinesPerSecondAndReportsSuppressed) {
  LogRateLimiter limiter(3);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  size_t emitted = 0;
  for (int i = 0; i < 100; ++i) {
    const LogRateLimiter::Decision d = limiter.Offer(t0 + absl::Milliseconds(i));
    EXPECT_EQ(d.suppressed, 0u);
    if (d.emit) ++emitted;
  }
  EXPECT_EQ(emitted, 3u);
  const LogRateLimiter::Decision next = limiter.Offer(t0 + absl::Seconds(1));
  EXPECT_TRUE(next.emit);
  EXPECT_EQ(next.suppressed, 97u);
  EXPECT_EQ(limiter.Offer(t0 + absl::Seconds(1)).suppressed, 0u);
}

}  // namespace
}  // namespace gridledger::net
