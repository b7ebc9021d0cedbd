// Unit tests of the frame header and handshake codecs and signatures.
#include "net/transport/handshake.h"

#include "absl/status/status.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/transport/frame.h"

namespace gridledger::net {
namespace {

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

TEST(HandshakeTest, HelloRoundTripsAndIsStrict) {
  Hello hello{RandomHandshakeNonce(), KeyPair::FromSeed(1).public_key()};
  const Bytes encoded = EncodeHello(hello);
  ASSERT_EQ(encoded.size(), kHelloBytes);
  EXPECT_EQ(encoded[0], kHandshakeVersion);
  auto decoded = DecodeHello(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->nonce, hello.nonce);
  EXPECT_EQ(decoded->key, hello.key);

  Bytes short_hello(encoded.begin(), encoded.end() - 1);
  EXPECT_EQ(DecodeHello(short_hello).status().message(), "hello: expected 65 bytes, got 64");
  Bytes long_hello = encoded;
  long_hello.push_back(0);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeHello(long_hello).status()));
  Bytes wrong_version = encoded;
  wrong_version[0] = 2;
  EXPECT_EQ(DecodeHello(wrong_version).status().message(),
            "hello.version: unsupported version 2");
  EXPECT_EQ(DecodeAuth(Bytes(63, 0)).status().message(), "auth: expected 64 bytes, got 63");
}

TEST(HandshakeTest, SignatureAnswersExactlyThatChallenge) {
  const KeyPair alice = KeyPair::FromSeed(1);
  const KeyPair bob = KeyPair::FromSeed(2);
  const Hello alice_hello{RandomHandshakeNonce(), alice.public_key()};
  const Hello bob_hello{RandomHandshakeNonce(), bob.public_key()};
  const Signature from_bob = SignHandshake(bob, bob_hello, alice_hello);
  EXPECT_TRUE(VerifyHandshake(alice_hello, bob_hello, from_bob));
  const Signature from_alice = SignHandshake(alice, alice_hello, bob_hello);
  EXPECT_TRUE(VerifyHandshake(bob_hello, alice_hello, from_alice));

  // Replayed to another connection (fresh nonce): refused.
  Hello alice_again = alice_hello;
  alice_again.nonce = RandomHandshakeNonce();
  EXPECT_FALSE(VerifyHandshake(alice_again, bob_hello, from_bob));
  // Reflected: Bob's answer is not a valid answer from Alice to Bob.
  EXPECT_FALSE(VerifyHandshake(bob_hello, Hello{bob_hello.nonce, alice.public_key()},
                               from_bob));
  // Signed by someone else for Bob's key: refused.
  const KeyPair mallory = KeyPair::FromSeed(3);
  const Signature forged =
      mallory.Sign(HandshakeDigest(alice_hello.nonce, bob_hello.nonce, bob.public_key(),
                                   alice.public_key()));
  EXPECT_FALSE(VerifyHandshake(alice_hello, bob_hello, forged));
  // The digest binds every input.
  const Digest base = HandshakeDigest(alice_hello.nonce, bob_hello.nonce,
                                      bob.public_key(), alice.public_key());
  EXPECT_NE(base, HandshakeDigest(bob_hello.nonce, alice_hello.nonce, bob.public_key(),
                                  alice.public_key()));
  EXPECT_NE(base, HandshakeDigest(alice_hello.nonce, bob_hello.nonce, alice.public_key(),
                                  bob.public_key()));
}

}  // namespace
}  // namespace gridledger::net
