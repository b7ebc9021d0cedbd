#include "core/crypto/xonly_key_cache.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>

#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "core/crypto/schnorr.h"

namespace gridledger {
// A named namespace, not an anonymous one: Shard (declared in the header)
// holds a map of KeyHash / KeyEq, and a member whose type has internal
// linkage draws -Wsubobject-linkage wherever this file is not the main one
// (CI's unity build).
namespace xonly_key_cache_internal {

// Four 8-byte compares, inlined: the default equality (std::array's) went to
// an out-of-line memcmp call per probe, 0.8 % of a validator's CPU at 4000
// tx/s (issue 12 item 4's unattributed __memcmp_evex_movbe).
struct KeyEq {
  bool operator()(const PublicKey& a, const PublicKey& b) const {
    uint64_t diff = 0;
    for (size_t i = 0; i < PublicKey::kSize; i += 8) {
      uint64_t x;
      uint64_t y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      diff |= x ^ y;
    }
    return diff == 0;
  }
};

// Multiply-fold mixing of every 8 bytes of the key under a per-process seed
// (absl's MixingHashState step): keys arrive from clients, and the default
// hash of a PublicKey reads only its first 8 bytes, which a client can fix
// to collide every key it sends.
uint64_t MixKey(uint64_t seed, const PublicKey& key) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = seed;
  for (size_t i = 0; i < PublicKey::kSize; i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    const unsigned __int128 m = static_cast<unsigned __int128>(h ^ w) * kMul;
    h = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }
  return h;
}

struct KeyHash {
  uint64_t seed = 0;
  size_t operator()(const PublicKey& key) const { return MixKey(seed, key); }
};

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

}  // namespace xonly_key_cache_internal

struct alignas(64) XOnlyKeyCache::Shard {
  using Map = absl::flat_hash_map<PublicKey, std::optional<secp256k1_xonly_pubkey>,
                                  xonly_key_cache_internal::KeyHash,
                                  xonly_key_cache_internal::KeyEq>;
  // std::mutex, not absl::Mutex: Debian's Abseil runs its deadlock detection
  // (a global graph update) on every absl::Mutex lock wherever it is not
  // turned off (tests, tools other than the node), several times the cost of
  // a lookup; this lock is never held while taking another.
  mutable std::mutex mu;
  // nullopt: the key does not parse.
  Map keys;                   // guarded by mu
  XOnlyKeyCacheStats stats;  // guarded by mu
};

XOnlyKeyCache::XOnlyKeyCache(size_t entries_max)
    : seed_(xonly_key_cache_internal::RandomSeed()),
      shard_entries_max_(std::max<size_t>(1, entries_max / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    shards_[i].keys = Shard::Map(0, xonly_key_cache_internal::KeyHash{seed_});
  }
}

XOnlyKeyCache::~XOnlyKeyCache() = default;

uint64_t XOnlyKeyCache::HashOf(const PublicKey& key) const {
  return xonly_key_cache_internal::MixKey(seed_, key);
}

size_t XOnlyKeyCache::ShardOf(const PublicKey& key) const {
  // The top bits: the shard's table uses the low ones.
  return static_cast<size_t>(HashOf(key) >> 58) % kShards;
}

bool XOnlyKeyCache::Parse(const PublicKey& key, secp256k1_xonly_pubkey* out) {
  Shard& s = shards_[ShardOf(key)];
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.keys.find(key);
    if (it != s.keys.end()) {
      ++s.stats.hits;
      if (!it->second.has_value()) return false;
      *out = *it->second;
      return true;
    }
    ++s.stats.misses;
  }
  // The square root outside the lock: two threads may parse one new key at
  // once, and both insert the same answer.
  secp256k1_xonly_pubkey parsed;
  const bool ok = secp256k1_xonly_pubkey_parse(SecpContext(), &parsed, key.data()) == 1;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.keys.size() >= shard_entries_max_) {
      s.keys.clear();
      ++s.stats.clears;
    }
    s.keys.emplace(key, ok ? std::optional(parsed) : std::nullopt);
  }
  if (ok) *out = parsed;
  return ok;
}

void XOnlyKeyCache::Prefetch(const PublicKey& key) const {
  const Shard& s = shards_[ShardOf(key)];
  // Under the lock: the table's arrays move when it grows or is cleared.
  std::lock_guard<std::mutex> lock(s.mu);
  s.keys.prefetch(key);
}

XOnlyKeyCacheStats XOnlyKeyCache::Stats() const {
  XOnlyKeyCacheStats total;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total.hits += shards_[i].stats.hits;
    total.misses += shards_[i].stats.misses;
    total.clears += shards_[i].stats.clears;
    total.entries += shards_[i].keys.size();
  }
  return total;
}

namespace {
XOnlyKeyCache& ProcessTable() {
  static XOnlyKeyCache* table = new XOnlyKeyCache();  // never destroyed: threads may outlive exit
  return *table;
}
}  // namespace

bool ParseXOnlyKeyCached(const PublicKey& key, secp256k1_xonly_pubkey* out) {
  return ProcessTable().Parse(key, out);
}

void PrefetchXOnlyKeyCached(const PublicKey& key) { ProcessTable().Prefetch(key); }

XOnlyKeyCacheStats ProcessXOnlyKeyCacheStats() { return ProcessTable().Stats(); }

}  // namespace gridledger
