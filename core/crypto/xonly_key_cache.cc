#include "core/crypto/xonly_key_cache.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "core/crypto/schnorr.h"

namespace gridledger {
namespace {

struct Table {
  // nullopt: the key does not parse.
  absl::flat_hash_map<PublicKey, std::optional<secp256k1_xonly_pubkey>> keys;
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
