// Attacks on peer authentication against real transports on loopback
// (issue 8): a relay between two validators, an outsider key, a forged
// signature, replayed Auth transcripts and a peer from another chain id are
// all refused, each with its own counter and log reason.
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/common/bytes.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/transport/peer_auth.h"
#include "net/transport/transport.h"
#include "tests/net/net_test_util.h"

namespace gridledger::net {
namespace {

using testing::ClientAuth;
using testing::FastOptions;
using testing::Numbered;
using testing::RecordingNode;
using testing::TlsPeer;
using testing::WaitFor;

Digest ChainOf(uint8_t fill) {
  Digest chain;
  chain.bytes.fill(fill);
  return chain;
}

// Where `node` thinks `peer` listens: a port the test (Mallory) controls.
TransportOptions PointingAt(const KeyPair& key, const std::vector<KeyPair>& committee,
                            const Digest& chain, const PublicKey& peer, uint16_t port) {
  TransportOptions options = FastOptions(key, committee, chain);
  options.committee[peer] = PeerAddress{"127.0.0.1", port};
  return options;
}

// Mallory holds no committee key. A and B each dial "the other" at Mallory's
// listeners; Mallory terminates both TLS sessions, takes each side's genuine
// Auth, dials the real other side and forwards it there.
TEST(PeerAuthSecurityTest, RelayBetweenTwoValidatorsIsRefused) {
  const KeyPair ka = KeyPair::FromSeed(200);
  const KeyPair kb = KeyPair::FromSeed(201);
  const std::vector<KeyPair> keys = {ka, kb};
  const Digest chain = ChainOf(0x42);
  TlsPeer posing_as_b, posing_as_a;  // Mallory's server ends
  auto port_b = posing_as_b.Listen();
  auto port_a = posing_as_a.Listen();
  ASSERT_TRUE(port_b.ok() && port_a.ok());
  RecordingNode a(ka, PointingAt(ka, keys, chain, kb.public_key(), *port_b));
  RecordingNode b(kb, PointingAt(kb, keys, chain, ka.public_key(), *port_a));
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(b.transport().Start().ok());

  ASSERT_TRUE(posing_as_b.AcceptOne().ok());
  ASSERT_TRUE(posing_as_a.AcceptOne().ok());
  auto auth_from_a = posing_as_b.ReadAuth();
  auto auth_from_b = posing_as_a.ReadAuth();
  ASSERT_TRUE(auth_from_a.ok()) << auth_from_a.status();
  ASSERT_TRUE(auth_from_b.ok()) << auth_from_b.status();
  // Genuine signatures, each for the other validator, on Mallory's sessions.
  EXPECT_TRUE(VerifyPeerAuth(*auth_from_a, posing_as_b.binding(), chain, kb.public_key(),
                             PeerRole::kClient));
  EXPECT_TRUE(VerifyPeerAuth(*auth_from_b, posing_as_a.binding(), chain, ka.public_key(),
                             PeerRole::kClient));

  TlsPeer to_b, to_a;  // Mallory's client ends toward the real validators
  ASSERT_TRUE(to_b.Connect(b.transport().listen_port()).ok());
  ASSERT_TRUE(to_a.Connect(a.transport().listen_port()).ok());
  ASSERT_TRUE(to_b.SendAuth(*auth_from_a).ok());
  ASSERT_TRUE(to_a.SendAuth(*auth_from_b).ok());
  // Neither answers with its own Auth (nothing to relay back): they close.
  EXPECT_TRUE(absl::IsUnavailable(to_b.ReadAuth().status()));
  EXPECT_TRUE(absl::IsUnavailable(to_a.ReadAuth().status()));

  ASSERT_TRUE(WaitFor([&] {
    return a.transport().counters().refused_bad_signature == 1 &&
           b.transport().counters().refused_bad_signature == 1;
  }));
  for (RecordingNode* node : {&a, &b}) {
    EXPECT_EQ(node->transport().counters().handshakes_ok, 0u);
    EXPECT_EQ(node->received_count(), 0u);
    EXPECT_TRUE(node->LogContains("does not verify on this TLS session"));
  }
  EXPECT_FALSE(a.OutboundUp(kb.public_key()));
  EXPECT_FALSE(b.OutboundUp(ka.public_key()));
}

// An Auth recorded on an earlier session is worthless on a new one, whether
// it is a client's opening Auth or a server's answer.
TEST(PeerAuthSecurityTest, ReplayedTranscriptIsRefused) {
  const KeyPair ka = KeyPair::FromSeed(210);
  const KeyPair kb = KeyPair::FromSeed(211);
  const KeyPair kc = KeyPair::FromSeed(212);  // played by the test, honestly
  const std::vector<KeyPair> keys = {ka, kb, kc};
  const Digest chain = ChainOf(0x43);
  RecordingNode b(kb, FastOptions(kb, keys, chain));
  ASSERT_TRUE(b.transport().Start().ok());

  // Session 1: A dials Mallory believing it is B; Mallory records A's Auth.
  TlsPeer recorder;
  auto recorder_port = recorder.Listen();
  ASSERT_TRUE(recorder_port.ok());
  RecordingNode a(ka, PointingAt(ka, keys, chain, kb.public_key(), *recorder_port));
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(recorder.AcceptOne().ok());
  auto recorded_client_auth = recorder.ReadAuth();
  ASSERT_TRUE(recorded_client_auth.ok()) << recorded_client_auth.status();

  // Session 1': C authenticates honestly to B; B's answer is recorded.
  TlsPeer honest_c;
  ASSERT_TRUE(honest_c.Connect(b.transport().listen_port()).ok());
  auto recorded_server_auth =
      ClientAuth(honest_c, kc.public_key(), kc, kb.public_key(), chain);
  ASSERT_TRUE(recorded_server_auth.ok()) << recorded_server_auth.status();
  ASSERT_TRUE(WaitFor([&] { return b.transport().counters().handshakes_ok == 1; }));

  // Session 2: A's recorded Auth replayed to B.
  TlsPeer replay_to_b;
  ASSERT_TRUE(replay_to_b.Connect(b.transport().listen_port()).ok());
  ASSERT_TRUE(replay_to_b.SendAuth(*recorded_client_auth).ok());
  EXPECT_TRUE(absl::IsUnavailable(replay_to_b.ReadAuth().status()));
  ASSERT_TRUE(WaitFor([&] { return b.transport().counters().refused_bad_signature == 1; }));
  EXPECT_EQ(b.transport().counters().handshakes_ok, 1u);  // only C
  EXPECT_TRUE(b.From(ka.public_key()).empty());

  // Session 3: a real C transport dials Mallory believing it is B; Mallory
  // answers C's Auth with B's recorded answer.
  TlsPeer posing_as_b;
  auto posing_port = posing_as_b.Listen();
  ASSERT_TRUE(posing_port.ok());
  RecordingNode c(kc, PointingAt(kc, keys, chain, kb.public_key(), *posing_port));
  ASSERT_TRUE(c.transport().Send(kb.public_key(), Numbered(0xC, 0)).ok());
  ASSERT_TRUE(c.transport().Start().ok());
  ASSERT_TRUE(posing_as_b.AcceptOne().ok());
  ASSERT_TRUE(posing_as_b.ReadAuth().ok());
  ASSERT_TRUE(posing_as_b.SendAuth(*recorded_server_auth).ok());
  EXPECT_TRUE(posing_as_b.WaitForClose().ok());
  ASSERT_TRUE(WaitFor([&] { return c.transport().counters().refused_bad_signature == 1; }));
  EXPECT_FALSE(c.OutboundUp(kb.public_key()));
  // Nothing was handed to the impostor.
  EXPECT_EQ(c.transport().counters().frames_out, 0u);
  EXPECT_EQ(c.transport().queued_frames(kb.public_key()), 1u);
}

TEST(PeerAuthSecurityTest, PeerFromAnotherChainIsRefusedWithReason) {
  const KeyPair ka = KeyPair::FromSeed(220);
  const KeyPair kb = KeyPair::FromSeed(221);
  const std::vector<KeyPair> keys = {ka, kb};
  RecordingNode b(kb, FastOptions(kb, keys, ChainOf(0x01)));
  ASSERT_TRUE(b.transport().Start().ok());
  TransportOptions options_a = FastOptions(ka, keys, ChainOf(0x02));
  options_a.committee[kb.public_key()] = PeerAddress{"127.0.0.1", b.transport().listen_port()};
  RecordingNode a(ka, options_a);
  ASSERT_TRUE(a.transport().Send(kb.public_key(), Numbered(0xA, 0)).ok());
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b.transport().counters().refused_wrong_chain >= 1; }));
  EXPECT_TRUE(b.LogContains("peer is on chain id " + ChainOf(0x02).Hex() + ", ours is " +
                            ChainOf(0x01).Hex()));
  EXPECT_EQ(b.transport().counters().handshakes_ok, 0u);
  EXPECT_EQ(b.transport().counters().refused_bad_signature, 0u);
  EXPECT_EQ(b.received_count(), 0u);
  EXPECT_FALSE(a.OutboundUp(kb.public_key()));
  EXPECT_EQ(a.transport().counters().frames_out, 0u);
}

TEST(PeerAuthSecurityTest, KeyOutsideCommitteeIsRefused) {
  const KeyPair member = KeyPair::FromSeed(20);
  const KeyPair other_member = KeyPair::FromSeed(21);
  const KeyPair outsider = KeyPair::FromSeed(22);
  RecordingNode a(member, FastOptions(member, {member, other_member}));
  // The outsider believes it belongs with `member`.
  RecordingNode c(outsider, FastOptions(outsider, {member, outsider}));
  ASSERT_TRUE(a.transport().Start().ok());
  ASSERT_TRUE(c.transport().Start().ok());
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(c.transport().Send(member.public_key(), Numbered(0xC, i)).ok());
  ASSERT_TRUE(c.transport()
                  .SetPeerAddress(member.public_key(),
                                  PeerAddress{"127.0.0.1", a.transport().listen_port()})
                  .ok());
  // The outsider keeps redialling with backoff; each attempt is refused.
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().refused_unknown_key >= 2; }));
  const TransportCounters counters = a.transport().counters();
  EXPECT_EQ(counters.handshakes_ok, 0u);
  EXPECT_EQ(counters.frames_in, 0u);
  EXPECT_EQ(counters.refused_bad_signature, 0u);
  EXPECT_GE(counters.handshakes_refused, counters.refused_unknown_key);
  EXPECT_EQ(a.received_count(), 0u);
  EXPECT_TRUE(a.LogContains(outsider.public_key().Hex() + " is not in the committee"));
  EXPECT_FALSE(c.OutboundUp(member.public_key()));
  // Nothing was ever handed to an authenticated socket.
  EXPECT_EQ(c.transport().queued_frames(member.public_key()), 5u);
  EXPECT_EQ(c.transport().counters().frames_out, 0u);
}

TEST(PeerAuthSecurityTest, WrongAuthSignatureIsRefused) {
  const KeyPair server = KeyPair::FromSeed(30);
  const KeyPair client = KeyPair::FromSeed(31);
  const KeyPair forger = KeyPair::FromSeed(32);
  RecordingNode a(server, FastOptions(server, {server, client}));
  ASSERT_TRUE(a.transport().Start().ok());

  // Control: an honest hand-driven client authenticates and is delivered,
  // so the refusal below is about the signature and nothing else.
  TlsPeer honest;
  ASSERT_TRUE(honest.Connect(a.transport().listen_port()).ok());
  auto server_auth =
      ClientAuth(honest, client.public_key(), client, server.public_key(), Digest{});
  ASSERT_TRUE(server_auth.ok()) << server_auth.status();
  EXPECT_EQ(server_auth->key, server.public_key());
  EXPECT_TRUE(VerifyPeerAuth(*server_auth, honest.binding(), Digest{}, client.public_key(),
                             PeerRole::kServer));
  ASSERT_TRUE(honest.WriteFrame(Numbered(1, 7)).ok());
  ASSERT_TRUE(WaitFor([&] { return a.received_count() == 1; }));
  EXPECT_EQ(a.From(client.public_key()), std::vector<Bytes>{Numbered(1, 7)});

  // Claims `client` but signs with `forger`'s key: no answer, closed.
  TlsPeer forged;
  ASSERT_TRUE(forged.Connect(a.transport().listen_port()).ok());
  EXPECT_TRUE(absl::IsUnavailable(
      ClientAuth(forged, client.public_key(), forger, server.public_key(), Digest{})
          .status()));  // closed, no answer
  ASSERT_TRUE(WaitFor([&] { return a.transport().counters().refused_bad_signature == 1; }));
  EXPECT_EQ(a.transport().counters().handshakes_refused, 1u);
  EXPECT_EQ(a.transport().counters().handshakes_ok, 1u);
  EXPECT_TRUE(a.LogContains("does not verify on this TLS session"));
  // Only the honest frame was ever delivered.
  EXPECT_EQ(a.received_count(), 1u);
}

}  // namespace
}  // namespace gridledger::net
