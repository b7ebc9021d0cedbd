// Parsed BIP-340 x-only public keys, cached. Parsing a key is a field square
// root (lift_x, ~5 us): the issue-12 profile had it at 14% of validator CPU,
// paid again for every signature and every recipient check although a ledger
// sees the same few thousand keys over and over.
//
// One table per process, in shards that each take a short lock: with a table
// per thread (before), each of a validator's ~8 threads that parse keys
// (admission, verifier pool, batch decode, execution) parsed every key once
// more and kept its own copy, so the working set was 8 times too large for
// the caches and a lookup was two cache misses (issue 12: 1.7 % of validator
// CPU in lookups, 7.5 % of them misses at 8000 tx/s). A full shard is cleared
// and refilled: the bound holds, the other shards keep their keys, and the
// working set returns within one pass. Shards are chosen by a seeded hash of
// the whole key, so chosen keys cannot all land in one shard.
#ifndef GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_
#define GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_

#include <secp256k1_extrakeys.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/common/types.h"

namespace gridledger {

// Entries per process (~100 bytes each): the cluster's workload alone has up
// to 20'000 accounts per slice.
inline constexpr size_t kXOnlyKeyCacheEntriesMax = 65536;

struct XOnlyKeyCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t clears = 0;  // shards cleared because full
  size_t entries = 0;
};

class XOnlyKeyCache {
 public:
  static constexpr size_t kShards = 64;
  // At most `entries_max` entries (rounded down to whole shards, at least one
  // per shard).
  explicit XOnlyKeyCache(size_t entries_max = kXOnlyKeyCacheEntriesMax);
  ~XOnlyKeyCache();
  XOnlyKeyCache(const XOnlyKeyCache&) = delete;
  XOnlyKeyCache& operator=(const XOnlyKeyCache&) = delete;

  // Sets *out to the parsed key and returns true, or returns false when `key`
  // is not a valid x-only key (x >= p or no curve point). Same answers as
  // secp256k1_xonly_pubkey_parse; invalid keys are cached too. Thread-safe.
  bool Parse(const PublicKey& key, secp256k1_xonly_pubkey* out);
  // Starts loading the lines a Parse of `key` will read, without waiting:
  // a verifier calls it for the next key while it verifies the current one,
  // so the lookup's cache misses (most of its cost in a table far larger
  // than the caches) overlap a verification instead of preceding one.
  void Prefetch(const PublicKey& key) const;
  XOnlyKeyCacheStats Stats() const;
  size_t shard_entries_max() const { return shard_entries_max_; }
  // The shard `key` lives in (tests).
  size_t ShardOf(const PublicKey& key) const;

 private:
  struct Shard;
  uint64_t HashOf(const PublicKey& key) const;

  const uint64_t seed_;
  const size_t shard_entries_max_;
  std::unique_ptr<Shard[]> shards_;
};

// XOnlyKeyCache::Parse on the process's table.
bool ParseXOnlyKeyCached(const PublicKey& key, secp256k1_xonly_pubkey* out);
// XOnlyKeyCache::Prefetch on the process's table.
void PrefetchXOnlyKeyCached(const PublicKey& key);
// The process table's counts (tests, benchmarks).
XOnlyKeyCacheStats ProcessXOnlyKeyCacheStats();

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_
