#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace gridledger {
namespace {

ByteSpan Str(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Sha256Test, KnownAnswer) {
  EXPECT_EQ(Sha256(Str("abc")).Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256(Str("")).Hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, TaggedHashMatchesDefinition) {
  Digest tag = Sha256(Str("BIP0340/challenge"));
  Bytes buf(tag.bytes.begin(), tag.bytes.end());
  buf.insert(buf.end(), tag.bytes.begin(), tag.bytes.end());
  buf.push_back('x');
  EXPECT_EQ(TaggedHash("BIP0340/challenge", Str("x")), Sha256(buf));
  EXPECT_EQ(TaggedHashCached("BIP0340/challenge", Str("x")), Sha256(buf));
}

TEST(SchnorrTest, SignVerifyAndReject) {
  KeyPair kp = KeyPair::FromSeed(7);
  Digest msg = Sha256(Str("hello"));
  Signature sig = kp.Sign(msg);
  EXPECT_TRUE(SchnorrVerify(kp.public_key(), msg, sig));
  Signature bad = sig;
  bad.bytes[63] ^= 1;
  EXPECT_FALSE(SchnorrVerify(kp.public_key(), msg, bad));
  Digest other = Sha256(Str("hello!"));
  EXPECT_FALSE(SchnorrVerify(kp.public_key(), other, sig));
}

TEST(SchnorrTest, RejectsZeroAndOutOfRangeSecret) {
  EXPECT_FALSE(KeyPair::FromSecret(SecretKey()).ok());
  SecretKey n;
  n.bytes.fill(0xff);
  EXPECT_FALSE(KeyPair::FromSecret(n).ok());
}

}  // namespace
}  // namespace gridledger
