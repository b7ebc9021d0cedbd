// The node's consensus checker remembers valid (key, message, signature)
// triples and its own votes, so a certificate's repeated signatures are not
// verified again; an invalid or altered signature must always be checked.
#include "net/node/counting_signature_checker.h"

#include <cstdint>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

Digest Message(uint64_t i) {
  Bytes buf;
  ByteWriter(&buf).U64(i);
  return TaggedHash("gridledger/test/checker", buf);
}

TEST(CountingSignatureCheckerTest, AValidTripleIsVerifiedOnceAndAnInvalidOneEveryTime) {
  CountingSignatureChecker checker;
  const KeyPair key = KeyPair::FromSeed(1);
  const Digest message = Message(1);
  const Signature signature = key.Sign(message);
  EXPECT_TRUE(checker.Verify(key.public_key(), message, signature));
  EXPECT_TRUE(checker.Verify(key.public_key(), message, signature));
  EXPECT_EQ(checker.verifications(), 1u);

  // The same signature over another message, a flipped bit, another key:
  // never taken from memory, and refused each time.
  Signature flipped = signature;
  flipped.bytes[10] ^= 1;
  const KeyPair other = KeyPair::FromSeed(2);
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(checker.Verify(key.public_key(), Message(2), signature));
    EXPECT_FALSE(checker.Verify(key.public_key(), message, flipped));
    EXPECT_FALSE(checker.Verify(other.public_key(), message, signature));
  }
  EXPECT_EQ(checker.verifications(), 7u);
}

TEST(CountingSignatureCheckerTest, OwnVotesNeedNoVerificationAndMemoryIsBounded) {
  CountingSignatureChecker checker(/*remembered_max=*/3);
  const KeyPair key = KeyPair::FromSeed(3);
  // Noted as signed by this validator: taken from memory.
  const Signature own = key.Sign(Message(10));
  checker.NoteSigned(key.public_key(), Message(10), own);
  EXPECT_TRUE(checker.Verify(key.public_key(), Message(10), own));
  EXPECT_EQ(checker.verifications(), 0u);
  // Three more valid triples push the noted one out (oldest first).
  for (uint64_t i = 11; i <= 13; ++i) {
    EXPECT_TRUE(checker.Verify(key.public_key(), Message(i), key.Sign(Message(i))));
  }
  EXPECT_EQ(checker.verifications(), 3u);
  EXPECT_TRUE(checker.Verify(key.public_key(), Message(10), own));
  EXPECT_EQ(checker.verifications(), 4u);
}

}  // namespace
}  // namespace gridledger::node
