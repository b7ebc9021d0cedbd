#include "core/crypto/xonly_key_cache.h"

#include <secp256k1.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

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

// Distinct x values (valid or not, all cached).
PublicKey NumberedKey(uint32_t i) {
  PublicKey k;
  std::memcpy(k.bytes.data() + 28, &i, sizeof(i));
  k.bytes[0] = 1;
  return k;
}

TEST(XOnlyKeyCacheTest, SecondLookupHitsAndTheTableStaysBounded) {
  // A table of its own, so the counts are exact.
  XOnlyKeyCache cache(XOnlyKeyCache::kShards * 4);
  ASSERT_EQ(cache.shard_entries_max(), 4u);
  const PublicKey key = KeyPair::FromSeed(1).public_key();
  secp256k1_xonly_pubkey out;
  ASSERT_TRUE(cache.Parse(key, &out));
  ASSERT_TRUE(cache.Parse(key, &out));
  XOnlyKeyCacheStats s = cache.Stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.entries, 1u);
  // Fill well past the bound.
  constexpr uint32_t kKeys = XOnlyKeyCache::kShards * 4 * 8;
  for (uint32_t i = 0; i < kKeys; ++i) cache.Parse(NumberedKey(i), &out);
  s = cache.Stats();
  EXPECT_EQ(s.misses, 1u + kKeys);
  EXPECT_GT(s.clears, 0u);
  EXPECT_LE(s.entries, XOnlyKeyCache::kShards * 4);
}

// A full shard is cleared alone: keys of the other shards stay cached.
TEST(XOnlyKeyCacheTest, AFullShardClearsOnlyItself) {
  XOnlyKeyCache cache(XOnlyKeyCache::kShards * 4);
  secp256k1_xonly_pubkey out;
  const PublicKey kept = KeyPair::FromSeed(2).public_key();
  ASSERT_TRUE(cache.Parse(kept, &out));
  // Keys of one other shard, more than it holds.
  const size_t victim = (cache.ShardOf(kept) + 1) % XOnlyKeyCache::kShards;
  int added = 0;
  for (uint32_t i = 0; added < 12 && i < 100'000; ++i) {
    const PublicKey k = NumberedKey(i);
    if (cache.ShardOf(k) != victim) continue;
    cache.Parse(k, &out);
    ++added;
  }
  ASSERT_EQ(added, 12);
  const XOnlyKeyCacheStats before = cache.Stats();
  EXPECT_EQ(before.clears, 2u);  // 12 keys into a shard of 4: full at the 5th and the 9th
  ASSERT_TRUE(cache.Parse(kept, &out));
  EXPECT_EQ(cache.Stats().hits, before.hits + 1);
}

// A prefetch is only a hint: it neither fills the table nor counts.
TEST(XOnlyKeyCacheTest, PrefetchChangesNothing) {
  XOnlyKeyCache cache;
  const PublicKey key = KeyPair::FromSeed(650).public_key();
  cache.Prefetch(key);
  EXPECT_EQ(cache.Stats().entries, 0u);
  EXPECT_EQ(cache.Stats().hits + cache.Stats().misses, 0u);
  secp256k1_xonly_pubkey got;
  ASSERT_TRUE(cache.Parse(key, &got));
  cache.Prefetch(key);
  EXPECT_EQ(cache.Stats().entries, 1u);
  EXPECT_EQ(cache.Stats().hits, 0u);
  EXPECT_EQ(cache.Stats().misses, 1u);
}

// Threads share one table: a key parsed on one thread is a hit on another,
// and concurrent lookups of the same keys all get libsecp256k1's answer.
TEST(XOnlyKeyCacheTest, ThreadsShareOneTable) {
  XOnlyKeyCache cache;
  std::vector<PublicKey> keys;
  for (uint64_t i = 0; i < 64; ++i) keys.push_back(KeyPair::FromSeed(700 + i).public_key());
  keys.push_back(NumberedKey(5));
  std::vector<secp256k1_xonly_pubkey> want(keys.size());
  std::vector<uint8_t> want_ok(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) want_ok[i] = ParseUncached(keys[i], &want[i]);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int pass = 0; pass < 20; ++pass) {
        for (size_t i = 0; i < keys.size(); ++i) {
          cache.Prefetch(keys[(i + 1) % keys.size()]);  // as a verifier does, racing the others
          secp256k1_xonly_pubkey got;
          const bool ok = cache.Parse(keys[i], &got);
          if (ok != static_cast<bool>(want_ok[i]) ||
              (ok && std::memcmp(&got, &want[i], sizeof(got)) != 0)) {
            ++wrong;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  const XOnlyKeyCacheStats s = cache.Stats();
  EXPECT_EQ(s.entries, keys.size());
  EXPECT_EQ(s.hits + s.misses, 4u * 20u * keys.size());
  // Each key is parsed at most once per thread racing on its first lookup.
  EXPECT_LE(s.misses, 4u * keys.size());
  // And once in the table, another thread only hits.
  std::thread([&] {
    secp256k1_xonly_pubkey got;
    for (const PublicKey& k : keys) cache.Parse(k, &got);
  }).join();
  EXPECT_EQ(cache.Stats().misses, s.misses);
}

}  // namespace
}  // namespace gridledger
