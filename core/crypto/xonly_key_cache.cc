#include "core/crypto/xonly_key_cache.h"

#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "core/crypto/schnorr.h"

namespace gridledger {
namespace {

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

struct Table {
  // nullopt: the key does not parse.
  absl::flat_hash_map<PublicKey, std::optional<secp256k1_xonly_pubkey>, absl::Hash<PublicKey>,
                      KeyEq>
      keys;
  XOnlyKeyCacheStats stats;
};

Table& ThisThreadTable() {
  thread_local Table table;
  return table;
}

}  // namespace

bool ParseXOnlyKeyCached(const PublicKey& key, secp256k1_xonly_pubkey* out) {
  Table& t = ThisThreadTable();
  auto it = t.keys.find(key);
  if (it != t.keys.end()) {
    ++t.stats.hits;
    if (!it->second.has_value()) return false;
    *out = *it->second;
    return true;
  }
  ++t.stats.misses;
  if (t.keys.size() >= kXOnlyKeyCacheEntriesMax) {
    t.keys.clear();
    ++t.stats.clears;
  }
  secp256k1_xonly_pubkey parsed;
  const bool ok = secp256k1_xonly_pubkey_parse(SecpContext(), &parsed, key.data()) == 1;
  t.keys.emplace(key, ok ? std::optional(parsed) : std::nullopt);
  if (ok) *out = parsed;
  return ok;
}

XOnlyKeyCacheStats ThisThreadXOnlyKeyCacheStats() {
  Table& t = ThisThreadTable();
  XOnlyKeyCacheStats s = t.stats;
  s.entries = t.keys.size();
  return s;
}

}  // namespace gridledger
