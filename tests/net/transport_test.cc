// Loopback tests of the peer transport: ordering, the TLS + channel-bound
// authentication, frame bounds, reconnection and send-queue backpressure.
// Attacks on the authentication and pre-auth floods: tests/net/security/.
#include "net/transport/transport.h"

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/common/bytes.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/transport/peer_auth.h"
#include "tests/net/net_test_util.h"

namespace gridledger::net {
namespace {

using testing::ClientAuth;
using testing::FastOptions;
using testing::Numbered;
using testing::NumberedRange;
using testing::RawClient;
using testing::StartAndConnect;
using testing::TlsPeer;
using testing::RecordingNode;
using testing::WaitFor;

TEST(TransportTest, TwoTransportsExchangeFramesInOrderBothWays) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(1), KeyPair::FromSeed(2)};
  RecordingNode a(keys[0], FastOptions(keys[0], keys));
  RecordingNode b(keys[1], FastOptions(keys[1], keys));
  StartAndConnect({&a, &b});
  constexpr uint32_t kFrames = 500;
  for (uint32_t i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(a.transport().Send(b.key(), Numbered(0xA, i)).ok());
    ASSERT_TRUE(b.transport().Send(a.key(), Numbered(0xB, i)).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    return a.received_count() == kFrames && b.received_count() == kFrames;
  }));
  EXPECT_EQ(b.From(a.key()), NumberedRange(0xA, 0, kFrames));
  EXPECT_EQ(a.From(b.key()), NumberedRange(0xB, 0, kFrames));
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().frames_out == kFrames; }));
  const TransportCounters counters = a.transport().counters();
  EXPECT_EQ(counters.frames_in, kFrames);
  EXPECT_EQ(counters.payload_bytes_in, kFrames * 5);
  EXPECT_EQ(counters.payload_bytes_out, kFrames * 5);
  EXPECT_EQ(counters.handshakes_ok, 2u);  // one outbound, one inbound link
  EXPECT_EQ(counters.handshakes_refused, 0u);
  EXPECT_TRUE(a.OutboundUp(b.key()));
  EXPECT_TRUE(a.LinkUp(b.key(), LinkDirection::kInbound));
}

TEST(TransportTest, FourTransportsBroadcastArrivesInOrderPerPeer) {
  std::vector<KeyPair> keys;
  for (uint64_t seed = 10; seed < 14; ++seed) keys.push_back(KeyPair::FromSeed(seed));
  std::vector<std::unique_ptr<RecordingNode>> nodes;
  for (const auto& key : keys) {
    nodes.push_back(std::make_unique<RecordingNode>(key, FastOptions(key, keys)));
  }
  StartAndConnect({nodes[0].get(), nodes[1].get(), nodes[2].get(), nodes[3].get()});
  constexpr uint32_t kFrames = 200;
  for (uint32_t i = 0; i < kFrames; ++i) {
    for (uint8_t n = 0; n < 4; ++n) ASSERT_TRUE(nodes[n]->transport().Broadcast(Numbered(n, i)).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& node : nodes) {
      if (node->received_count() != 3 * kFrames) return false;
    }
    return true;
  }));
  for (uint8_t receiver = 0; receiver < 4; ++receiver) {
    for (uint8_t sender = 0; sender < 4; ++sender) {
      if (sender == receiver) continue;
      EXPECT_EQ(nodes[receiver]->From(keys[sender].public_key()),
                NumberedRange(sender, 0, kFrames))
          << "receiver " << int{receiver} << " sender " << int{sender};
    }
  }
}

TEST(TransportTest, OversizedFrameClosesOnlyThatConnection) {
  const KeyPair ka = KeyPair::FromSeed(40);
  const KeyPair kb = KeyPair::FromSeed(41);
  const KeyPair raw_key = KeyPair::FromSeed(42);
  const std::vector<KeyPair> committee = {ka, kb, raw_key};
  constexpr size_t kMaxFrameBytes = 1024;
  TransportOptions options_a = FastOptions(ka, committee);
  options_a.max_frame_bytes = kMaxFrameBytes;
  RecordingNode a(ka, options_a);
  RecordingNode b(kb, FastOptions(kb, committee));
  StartAndConnect({&a, &b});
  ASSERT_TRUE(b.transport().Send(a.key(), Numbered(0xB, 0)).ok());
  ASSERT_TRUE(WaitFor([&] { return a.received_count() == 1; }));

  // An authenticated peer announces one byte more than the bound.
  TlsPeer raw;
  ASSERT_TRUE(raw.Connect(a.transport().listen_port()).ok());
  ASSERT_TRUE(ClientAuth(raw, raw_key.public_key(), raw_key, ka.public_key(), Digest{}).ok());
  ASSERT_TRUE(raw.WriteFrame(Numbered(0xF, 0)).ok());
  // Exactly at the bound is accepted.
  ASSERT_TRUE(raw.WriteFrame(Bytes(kMaxFrameBytes, 0x5A)).ok());
  ASSERT_TRUE(WaitFor([&] { return a.From(raw_key.public_key()).size() == 2; }));
  EXPECT_EQ(a.From(raw_key.public_key())[1], Bytes(kMaxFrameBytes, 0x5A));
  const FrameHeader oversized = EncodeFrameHeader(kMaxFrameBytes + 1);
  ASSERT_TRUE(raw.Write(ByteSpan(oversized.data(), oversized.size())).ok());
  EXPECT_TRUE(raw.WaitForClose().ok());
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().oversized_frames == 1; }));
  EXPECT_TRUE(a.LogContains("frame length 1025 exceeds max_frame_bytes 1024"));

  // An unauthenticated TLS session may not even announce a frame beyond an Auth.
  TlsPeer stranger;
  ASSERT_TRUE(stranger.Connect(a.transport().listen_port()).ok());
  const FrameHeader huge = EncodeFrameHeader(0xFFFFFFFF);
  ASSERT_TRUE(stranger.Write(ByteSpan(huge.data(), huge.size())).ok());
  EXPECT_TRUE(stranger.WaitForClose().ok());
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().oversized_frames == 2; }));
  EXPECT_TRUE(a.LogContains("(before handshake): frame length 4294967295 exceeds"));

  // The established peer keeps exchanging frames both ways.
  for (uint32_t i = 1; i < 50; ++i) {
    ASSERT_TRUE(b.transport().Send(a.key(), Numbered(0xB, i)).ok());
    ASSERT_TRUE(a.transport().Send(b.key(), Numbered(0xA, i)).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    return a.From(kb.public_key()).size() == 50 && b.From(ka.public_key()).size() == 49;
  }));
  EXPECT_EQ(a.From(kb.public_key()), NumberedRange(0xB, 0, 50));
  EXPECT_EQ(b.From(ka.public_key()), NumberedRange(0xA, 1, 50));
  EXPECT_EQ(a.LinkDownEvents(kb.public_key(), LinkDirection::kInbound), 0u);
  EXPECT_EQ(a.LinkDownEvents(kb.public_key(), LinkDirection::kOutbound), 0u);
}

TEST(TransportTest, ReconnectsAfterPeerRestartsOnSamePort) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(50), KeyPair::FromSeed(51)};
  RecordingNode a(keys[0], FastOptions(keys[0], keys));
  auto b = std::make_unique<RecordingNode>(keys[1], FastOptions(keys[1], keys));
  StartAndConnect({&a, b.get()});
  ASSERT_TRUE(a.transport().Send(b->key(), Numbered(0xA, 0)).ok());
  ASSERT_TRUE(WaitFor([&] { return b->received_count() == 1; }));
  const uint16_t b_port = b->transport().listen_port();

  b->transport().Stop();
  ASSERT_TRUE(WaitFor([&] { return !a.OutboundUp(keys[1].public_key()); }));
  const uint64_t dials_before = a.transport().counters().dials;
  // Queued while the peer is down; delivered after it comes back.
  for (uint32_t i = 1; i <= 10; ++i) ASSERT_TRUE(a.transport().Send(keys[1].public_key(), Numbered(0xA, i)).ok());
  // At least one refused redial proves the backoff loop runs while it is down.
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().dials >= dials_before + 2; }));
  b.reset();

  TransportOptions restarted = FastOptions(keys[1], keys);
  restarted.listen_port = b_port;
  RecordingNode b2(keys[1], restarted);
  ASSERT_TRUE(b2.transport().Start().ok());
  EXPECT_EQ(b2.transport().listen_port(), b_port);
  ASSERT_TRUE(b2.transport()
                  .SetPeerAddress(a.key(), PeerAddress{"127.0.0.1", a.transport().listen_port()})
                  .ok());
  ASSERT_TRUE(b2.transport().Send(a.key(), Numbered(0xB, 0)).ok());
  ASSERT_TRUE(WaitFor([&] { return b2.received_count() == 10; }));
  EXPECT_EQ(b2.From(a.key()), NumberedRange(0xA, 1, 11));
  ASSERT_TRUE(WaitFor([&] { return a.From(keys[1].public_key()).size() == 1; }));
  EXPECT_EQ(a.From(keys[1].public_key()), std::vector<Bytes>{Numbered(0xB, 0)});
  EXPECT_TRUE(a.OutboundUp(keys[1].public_key()));
  EXPECT_EQ(a.transport().queued_frames(keys[1].public_key()), 0u);
}

TEST(TransportTest, SendQueueBoundIsHonoured) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(60), KeyPair::FromSeed(61)};
  constexpr size_t kQueueMax = 8;
  TransportOptions options = FastOptions(keys[0], keys);
  options.send_queue_max_frames = kQueueMax;
  RecordingNode a(keys[0], options);
  RecordingNode b(keys[1], FastOptions(keys[1], keys));
  ASSERT_TRUE(a.transport().Start().ok());
  // b's address is unknown yet, so nothing drains.
  for (uint32_t i = 0; i < kQueueMax; ++i) {
    ASSERT_TRUE(a.transport().Send(b.key(), Numbered(0xA, i)).ok());
  }
  const absl::Status full = a.transport().Send(b.key(), Numbered(0xA, 99));
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_NE(full.message().find("send_queue_max_frames 8"), absl::string_view::npos) << full;
  EXPECT_TRUE(absl::IsResourceExhausted(a.transport().Broadcast(Numbered(0xA, 100))));
  EXPECT_EQ(a.transport().counters().queue_full_rejections, 2u);
  EXPECT_EQ(a.transport().queued_frames(b.key()), kQueueMax);

  StartAndConnect({&b});
  ASSERT_TRUE(a.transport()
                  .SetPeerAddress(b.key(), PeerAddress{"127.0.0.1", b.transport().listen_port()})
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == kQueueMax; }));
  // The rejected frames were never queued: exactly the first kQueueMax arrive.
  EXPECT_EQ(b.From(a.key()), NumberedRange(0xA, 0, kQueueMax));
  ASSERT_TRUE(WaitFor([&] { return a.transport().queued_frames(b.key()) == 0; }));
  EXPECT_TRUE(a.transport().Send(b.key(), Numbered(0xA, kQueueMax)).ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == kQueueMax + 1; }));
}

// The byte bound: a peer that is away cannot make the queue hold more than
// send_queue_max_bytes of payload, however few the frames.
TEST(TransportTest, SendQueueByteBoundIsHonoured) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(62), KeyPair::FromSeed(63)};
  TransportOptions options = FastOptions(keys[0], keys);
  options.max_frame_bytes = 1000;
  options.send_queue_max_bytes = 4096;
  RecordingNode a(keys[0], options);
  RecordingNode b(keys[1], FastOptions(keys[1], keys));
  ASSERT_TRUE(a.transport().Start().ok());
  std::vector<Bytes> sent;
  for (uint8_t i = 0; i < 4; ++i) {
    sent.push_back(Bytes(1000, i));
    ASSERT_TRUE(a.transport().Send(b.key(), sent.back()).ok()) << int{i};
  }
  EXPECT_EQ(a.transport().queued_bytes(b.key()), 4000u);
  const absl::Status full = a.transport().Send(b.key(), Bytes(97, 0xEE));
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_NE(full.message().find("send_queue_max_bytes 4096"), absl::string_view::npos) << full;
  EXPECT_EQ(a.transport().counters().queue_full_rejections, 1u);
  sent.push_back(Bytes(96, 0xEF));  // exactly up to the bound
  ASSERT_TRUE(a.transport().Send(b.key(), sent.back()).ok());
  EXPECT_EQ(a.transport().queued_bytes(b.key()), 4096u);
  EXPECT_EQ(a.transport().queued_frames(b.key()), 5u);

  StartAndConnect({&b});
  ASSERT_TRUE(a.transport()
                  .SetPeerAddress(b.key(), PeerAddress{"127.0.0.1", b.transport().listen_port()})
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == sent.size(); }));
  EXPECT_EQ(b.From(a.key()), sent);
  ASSERT_TRUE(WaitFor([&] { return a.transport().queued_bytes(b.key()) == 0; }));
  EXPECT_EQ(a.transport().queued_frames(b.key()), 0u);
  // Drained, the room is back.
  EXPECT_TRUE(a.transport().Send(b.key(), Bytes(1000, 9)).ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == sent.size() + 1; }));
}

TEST(TransportTest, SendRejectsBadArguments) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(70), KeyPair::FromSeed(71)};
  TransportOptions options = FastOptions(keys[0], keys);
  options.max_frame_bytes = 16;
  RecordingNode a(keys[0], options);
  ASSERT_TRUE(a.transport().Start().ok());

  absl::Status self = a.transport().Send(keys[0].public_key(), Numbered(0, 0));
  EXPECT_TRUE(absl::IsInvalidArgument(self)) << self;
  EXPECT_NE(self.message().find("our own key"), absl::string_view::npos);
  absl::Status unknown = a.transport().Send(KeyPair::FromSeed(72).public_key(), Numbered(0, 0));
  EXPECT_TRUE(absl::IsInvalidArgument(unknown)) << unknown;
  EXPECT_NE(unknown.message().find("not in the committee"), absl::string_view::npos);
  absl::Status big = a.transport().Send(keys[1].public_key(), Bytes(17, 0));
  EXPECT_TRUE(absl::IsInvalidArgument(big)) << big;
  EXPECT_EQ(big.message(), "payload: 17 bytes exceeds max_frame_bytes 16");
  EXPECT_TRUE(a.transport().Send(keys[1].public_key(), Bytes(16, 0)).ok());
  absl::Status host = a.transport().SetPeerAddress(keys[1].public_key(),
                                                   PeerAddress{"localhost", 1});
  EXPECT_TRUE(absl::IsInvalidArgument(host)) << host;

  a.transport().Stop();
  a.transport().Stop();  // idempotent
  EXPECT_TRUE(absl::IsFailedPrecondition(a.transport().Send(keys[1].public_key(), Bytes(1, 0))));
}

TEST(TransportTest, ConcurrentSendersKeepPerThreadOrder) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(120), KeyPair::FromSeed(121)};
  RecordingNode a(keys[0], FastOptions(keys[0], keys));
  RecordingNode b(keys[1], FastOptions(keys[1], keys));
  StartAndConnect({&a, &b});
  constexpr uint8_t kThreads = 4;
  constexpr uint32_t kFramesPerThread = 2000;
  constexpr int kMaxRetriesPerFrame = 100000;
  std::vector<std::thread> senders;
  for (uint8_t t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (uint32_t i = 0; i < kFramesPerThread; ++i) {
        // Backpressure: retry a full queue, a bounded number of times.
        int retries = 0;
        while (!a.transport().Send(b.key(), Numbered(t, i)).ok() &&
               ++retries < kMaxRetriesPerFrame) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& sender : senders) sender.join();
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == kThreads * kFramesPerThread; }));
  std::vector<std::vector<Bytes>> per_thread(kThreads);
  for (const Bytes& frame : b.From(a.key())) per_thread[frame[0]].push_back(frame);
  for (uint8_t t = 0; t < kThreads; ++t) {
    EXPECT_EQ(per_thread[t], NumberedRange(t, 0, kFramesPerThread)) << "thread " << int{t};
  }
}

TEST(TransportTest, AddressesFromOptionsAndInboundOnlyPeers) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(130), KeyPair::FromSeed(131)};
  // b does not know where a listens (port 0): it only accepts a's link.
  RecordingNode b(keys[1], FastOptions(keys[1], keys));
  ASSERT_TRUE(b.transport().Start().ok());
  TransportOptions options_a = FastOptions(keys[0], keys);
  options_a.committee[keys[1].public_key()] =
      PeerAddress{"127.0.0.1", b.transport().listen_port()};
  RecordingNode a(keys[0], options_a);
  // Queued before Start, delivered once the dialled link authenticates.
  ASSERT_TRUE(a.transport().Send(b.key(), Numbered(0xA, 0)).ok());
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(b.transport().Send(a.key(), Numbered(0xB, 0)).ok());
  ASSERT_TRUE(WaitFor([&] { return b.received_count() == 1; }));
  EXPECT_EQ(b.From(a.key()), std::vector<Bytes>{Numbered(0xA, 0)});
  EXPECT_TRUE(b.LinkUp(a.key(), LinkDirection::kInbound));
  // b never sends on its inbound link: its frame waits for an address.
  EXPECT_EQ(b.transport().queued_frames(a.key()), 1u);
  EXPECT_EQ(a.received_count(), 0u);
  ASSERT_TRUE(b.transport()
                  .SetPeerAddress(a.key(), PeerAddress{"127.0.0.1", a.transport().listen_port()})
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return a.received_count() == 1; }));
  EXPECT_EQ(a.From(b.key()), std::vector<Bytes>{Numbered(0xB, 0)});
}

TEST(TransportTest, SilentSocketIsClosedAfterHandshakeTimeout) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(100), KeyPair::FromSeed(101)};
  TransportOptions options = FastOptions(keys[0], keys);
  options.handshake_timeout_ms = 100;
  RecordingNode a(keys[0], options);
  ASSERT_TRUE(a.transport().Start().ok());
  // TCP only: no ClientHello ever arrives; the server gives up.
  RawClient silent;
  ASSERT_TRUE(silent.Connect(a.transport().listen_port()).ok());
  EXPECT_TRUE(silent.WaitForClose().ok());
  // TLS done, but no Auth: closed too.
  TlsPeer mute;
  ASSERT_TRUE(mute.Connect(a.transport().listen_port()).ok());
  EXPECT_TRUE(mute.WaitForClose().ok());
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().handshake_timeouts == 2; }));
  EXPECT_EQ(a.transport().counters().handshakes_refused, 2u);
  EXPECT_TRUE(a.LogContains("timed out"));
}

TEST(TransportTest, PlaintextPeerFailsTls) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(102), KeyPair::FromSeed(103)};
  RecordingNode a(keys[0], FastOptions(keys[0], keys));
  ASSERT_TRUE(a.transport().Start().ok());
  RawClient plain;
  ASSERT_TRUE(plain.Connect(a.transport().listen_port()).ok());
  // A frame where a TLS ClientHello belongs.
  ASSERT_TRUE(plain.WriteFrame(Numbered(1, 1)).ok());
  EXPECT_TRUE(plain.WaitForClose().ok());
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().refused_tls == 1; }));
  EXPECT_TRUE(a.LogContains("TLS handshake failed"));
  EXPECT_EQ(a.received_count(), 0u);
}

TEST(TransportTest, ListenFailureIsUnavailable) {
  const std::vector<KeyPair> keys = {KeyPair::FromSeed(80), KeyPair::FromSeed(81)};
  RecordingNode a(keys[0], FastOptions(keys[0], keys));
  ASSERT_TRUE(a.transport().Start().ok());
  TransportOptions clash = FastOptions(keys[1], keys);
  clash.listen_port = a.transport().listen_port();
  RecordingNode b(keys[1], clash);
  const absl::Status status = b.transport().Start();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
}

}  // namespace
}  // namespace gridledger::net
