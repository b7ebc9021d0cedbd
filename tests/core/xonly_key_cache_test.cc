#include "core/crypto/xonly_key_cache.h"

#include <secp256k1.h>

#include <cstring>
#include <thread>

#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

bool ParseUncached(const PublicKey& key, secp256k1_xonly_pubkey* out) {
  return secp256k1_xonly_pubkey_parse(SecpContext(), out, key.data()) == 1;
}

// Every answer equals libsecp256k1's, for valid keys, x >= p, and x with no
// curve point, whether it comes from the table or not.
TEST(XOnlyKeyCacheTest, AnswersEqualUncachedParsing) {
  std::vector<PublicKey> keys;
  for (uint64_t i = 0; i < 50; ++i) keys.push_back(KeyPair::FromSeed(900 + i).public_key());
  PublicKey all_ones;
  std::memset(all_ones.bytes.data(), 0xff, PublicKey::kSize);  // x >= p
  keys.push_back(all_ones);
  PublicKey five;  // x = 5: x^3 + 7 = 132 is not a square mod p
  five.bytes[31] = 5;
  keys.push_back(five);
  int invalid = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const PublicKey& k : keys) {
      secp256k1_xonly_pubkey want, got;
      const bool want_ok = ParseUncached(k, &want);
      ASSERT_EQ(ParseXOnlyKeyCached(k, &got), want_ok) << k.Hex();
      if (want_ok) {
        EXPECT_EQ(std::memcmp(&want, &got, sizeof(want)), 0) << k.Hex();
      } else {
        ++invalid;
      }
    }
  }
  EXPECT_EQ(invalid, 4);  // both invalid keys, both passes
}

TEST(XOnlyKeyCacheTest, SecondLookupHitsAndTheTableStaysBounded) {
  // A fresh thread has a fresh table, so the counts are exact.
  std::thread([] {
    const PublicKey key = KeyPair::FromSeed(1).public_key();
    secp256k1_xonly_pubkey out;
    ASSERT_TRUE(ParseXOnlyKeyCached(key, &out));
    ASSERT_TRUE(ParseXOnlyKeyCached(key, &out));
    XOnlyKeyCacheStats s = ThisThreadXOnlyKeyCacheStats();
    EXPECT_EQ(s.misses, 1u);
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.entries, 1u);
    // Fill past the bound with distinct x values (valid or not, all cached).
    for (uint32_t i = 0; i < kXOnlyKeyCacheEntriesMax + 10; ++i) {
      PublicKey k;
      std::memcpy(k.bytes.data() + 28, &i, sizeof(i));
      k.bytes[0] = 1;
      ParseXOnlyKeyCached(k, &out);
    }
    s = ThisThreadXOnlyKeyCacheStats();
    EXPECT_EQ(s.clears, 1u);
    EXPECT_LE(s.entries, kXOnlyKeyCacheEntriesMax);
  }).join();
}

}  // namespace
}  // namespace gridledger
