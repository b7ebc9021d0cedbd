// Parsed BIP-340 x-only public keys, cached. Parsing a key is a field square
// root (lift_x, ~5 us): the issue-12 profile had it at 14% of validator CPU,
// paid again for every signature and every recipient check although a ledger
// sees the same few thousand keys over and over.
//
// Each thread keeps its own bounded table (no lock on the verify hot path; the
// CPU verifier's pool threads each warm their own). A full table is cleared
// and refilled: the bound holds, and the working set returns within one pass.
#ifndef GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_
#define GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_

#include <secp256k1_extrakeys.h>

#include <cstddef>
#include <cstdint>

#include "core/common/types.h"

namespace gridledger {

// Entries per thread before the table is cleared.
inline constexpr size_t kXOnlyKeyCacheEntriesMax = 16384;

// Sets *out to the parsed key and returns true, or returns false when `key` is
// not a valid x-only key (x >= p or no curve point). Same answers as
// secp256k1_xonly_pubkey_parse; invalid keys are cached too.
bool ParseXOnlyKeyCached(const PublicKey& key, secp256k1_xonly_pubkey* out);

struct XOnlyKeyCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t clears = 0;
  size_t entries = 0;
};
// This thread's table (tests and benchmarks).
XOnlyKeyCacheStats ThisThreadXOnlyKeyCacheStats();

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_XONLY_KEY_CACHE_H_
