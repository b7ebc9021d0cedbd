// Seeded BIP-340 verification cases with planted faults, shared by the host
// math test (against libsecp256k1) and the CUDA test (against the CPU
// backend). Expected results always come from libsecp256k1, never from here.
#ifndef GRIDLEDGER_TESTS_GPU_VERIFY_CASES_H_
#define GRIDLEDGER_TESTS_GPU_VERIFY_CASES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "core/verify/batch_verifier.h"

namespace gridledger::gpu::testing {

// The network the envelope tests sign for (the fused pass hashes with its
// signing tag, core/tx/codec.h TxSignTag).
inline const Digest kTestChain = ::gridledger::Sha256(Bytes{'g', 'p', 'u', '-', 't', 'e', 's', 't'});

enum class CaseKind : uint8_t {
  kValid,           // signed by libsecp256k1 over a runs-favouring message
  kFlipKey,         // one bit of the key flipped
  kFlipMessage,     // one bit of the message flipped
  kFlipR,           // one bit of r flipped
  kFlipS,           // one bit of s flipped
  kSAtLeastN,       // s replaced by a value in [n, 2^256)
  kRAtLeastP,       // r replaced by a value in [p, 2^256)
  kXAtLeastP,       // key replaced by a value in [p, 2^256)
  kAllZero,         // key, message, signature or all of them zero
  kAllOnes,         // ... all 0xff
  kRandomRuns,      // key, message and signature from the runs RNG
  kManualNonce,     // hand-made: R = kG with either parity of R.y
  kRAtInfinity,     // hand-made: s = e * a, so s*G - e*P is infinity
  kNegatedS,        // s replaced by n - s
  kCount,
};
const char* CaseKindName(CaseKind kind);

struct VerifyCase {
  VerifyItem item;
  CaseKind kind;
};

// Case i has kind i % kCount; the same (seed, first, count) always gives the
// same cases, so ranges can be generated in parallel.
std::vector<VerifyCase> MakeVerifyCases(uint64_t seed, size_t first, size_t count);

// Generates [first, first + count) over `threads` threads (0: all cores).
std::vector<VerifyCase> MakeVerifyCasesParallel(uint64_t seed, size_t first, size_t count,
                                                int threads = 0);

}  // namespace gridledger::gpu::testing

#endif  // GRIDLEDGER_TESTS_GPU_VERIFY_CASES_H_
