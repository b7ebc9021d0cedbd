// Full BIP-340 verification of gpu/math/schnorr_verify.h, compiled for the
// host: the official vectors, >= 100k seeded cases with planted faults
// against libsecp256k1, and the fused transaction-envelope pass against the
// CPU backend's reference.
#include "gpu/math/schnorr_verify.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/transaction.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gpu/math/host_context.h"
#include "gtest/gtest.h"
#include "tests/gpu/test_rng.h"
#include "tests/gpu/verify_cases.h"
#include "tests/testdata/bip340_vectors.h"

namespace gridledger::gpu {
namespace {

using testing::CaseKind;
using testing::CaseKindName;
using testing::kTestChain;
using testing::TestRng;
using testing::VerifyCase;

constexpr size_t kDefaultRandomCases = 100000;
constexpr uint64_t kCaseSeed = 0x6c656467;

bool HostVerify(const VerifyItem& it) {
  return SchnorrVerify(HostVerifyContext(), it.key.data(), it.message.data(),
                       it.signature.data());
}

size_t RandomCaseCount() {
  const char* env = std::getenv("GL_GPU_MATH_CASES");
  if (env == nullptr) return kDefaultRandomCases;
  return std::max<size_t>(1, std::strtoull(env, nullptr, 10));
}

TEST(SchnorrVerifyTest, OfficialBip340Vectors) {
  for (const auto& v : testdata::kBip340Vectors) {
    VerifyItem it;
    it.key = PublicKey(*HexDecodeFixed<32>(v.pubkey_hex, "pubkey"));
    it.message = Digest(*HexDecodeFixed<32>(v.msg_hex, "msg"));
    it.signature = Signature(*HexDecodeFixed<64>(v.sig_hex, "sig"));
    EXPECT_EQ(HostVerify(it), v.expected_valid) << "vector " << v.index << " " << v.comment;
    EXPECT_EQ(HostVerify(it), SchnorrVerify(it.key, it.message, it.signature))
        << "vector " << v.index;
  }
}

// Each kind of planted fault must come out exactly as libsecp256k1 says, and
// each kind must behave as designed (so a generator bug cannot hide).
TEST(SchnorrVerifyTest, RandomCasesWithPlantedFaultsMatchLibsecp) {
  const size_t count = RandomCaseCount();
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<VerifyCase> cases = testing::MakeVerifyCasesParallel(kCaseSeed, 0, count, threads);
  std::vector<uint8_t> ours(count), want(count);
  std::vector<std::thread> workers;
  const size_t per = (count + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const size_t begin = std::min(count, per * t), end = std::min(count, begin + per);
    workers.emplace_back([&, begin, end] {
      for (size_t i = begin; i < end; ++i) {
        const VerifyItem& it = cases[i].item;
        ours[i] = HostVerify(it);
        want[i] = SchnorrVerify(it.key, it.message, it.signature);
      }
    });
  }
  for (auto& w : workers) w.join();

  constexpr size_t kKinds = static_cast<size_t>(CaseKind::kCount);
  std::array<size_t, kKinds> total{}, accepted{};
  size_t mismatches = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t k = static_cast<size_t>(cases[i].kind);
    ++total[k];
    accepted[k] += want[i];
    if (ours[i] != want[i] && ++mismatches <= 10) {
      const VerifyItem& it = cases[i].item;
      ADD_FAILURE() << "case " << i << " (" << CaseKindName(cases[i].kind) << "): ours "
                    << int{ours[i]} << " libsecp256k1 " << int{want[i]} << "\n key "
                    << it.key.Hex() << "\n msg " << it.message.Hex() << "\n sig "
                    << it.signature.Hex();
    }
  }
  EXPECT_EQ(mismatches, 0u);
  for (size_t k = 0; k < kKinds; ++k) {
    const auto kind = static_cast<CaseKind>(k);
    SCOPED_TRACE(CaseKindName(kind));
    switch (kind) {
      case CaseKind::kValid:
        EXPECT_EQ(accepted[k], total[k]);
        break;
      case CaseKind::kManualNonce:  // R.y parity is a coin flip
      case CaseKind::kAllZero:      // a zero message can still be validly signed
      case CaseKind::kAllOnes:
        if (count >= 1000) {
          EXPECT_GT(accepted[k], 0u);
          EXPECT_LT(accepted[k], total[k]);
        }
        break;
      default:
        EXPECT_EQ(accepted[k], 0u);
    }
  }
}

// Envelopes of every length around the header/signature boundary and up to
// past kTxMaxBytes, half carrying a valid signature by their sender.
TEST(SchnorrVerifyTest, EnvelopeMatchesCpuReference) {
  TestRng rng(40);
  KeyPair kp = KeyPair::FromSeed(99);
  const VerifyContext chain_context = HostVerifyContextForChain(kTestChain);
  int valid = 0;
  for (uint32_t size = 0; size <= kTxMaxBytes + 64; ++size) {
    for (int variant = 0; variant < 3; ++variant) {
      Bytes tx(size);
      rng.FillMixed(tx.data(), tx.size());
      if (size >= kTxHeaderBytes + kTxSignatureBytes && variant != 2) {
        std::copy(kp.public_key().bytes.begin(), kp.public_key().bytes.end(),
                  tx.begin() + kTxSenderOffset);
        const size_t signed_size = size - kTxSignatureBytes;
        Signature sig = kp.Sign(SigningHash(kTestChain, ByteSpan(tx.data(), signed_size)));
        std::copy(sig.bytes.begin(), sig.bytes.end(), tx.begin() + signed_size);
        if (variant == 1) tx[rng.Below(size)] ^= 0x01;
      }
      Digest want_id, got_id;
      const bool want = VerifyTransactionEnvelope(kTestChain, tx, &want_id);
      const bool got = VerifyEnvelope(chain_context, tx.data(), size, got_id.data());
      ASSERT_EQ(got, want) << "size " << size << " variant " << variant;
      ASSERT_EQ(got_id, want_id) << "size " << size;
      valid += got;
    }
  }
  EXPECT_GT(valid, 100);
}

// The fused pass is bound to the chain in its context: an envelope signed for
// kTestChain verifies there and fails under any other chain's midstate.
TEST(SchnorrVerifySecurityTest, EnvelopeForAnotherChainFails) {
  KeyPair kp = KeyPair::FromSeed(98);
  Bytes tx(kTxHeaderBytes + 44 + kTxSignatureBytes, 0x11);
  std::copy(kp.public_key().bytes.begin(), kp.public_key().bytes.end(),
            tx.begin() + kTxSenderOffset);
  const size_t signed_size = tx.size() - kTxSignatureBytes;
  const Signature sig = kp.Sign(SigningHash(kTestChain, ByteSpan(tx.data(), signed_size)));
  std::copy(sig.bytes.begin(), sig.bytes.end(), tx.begin() + signed_size);
  Digest id;
  EXPECT_TRUE(VerifyEnvelope(HostVerifyContextForChain(kTestChain), tx.data(),
                             static_cast<uint32_t>(tx.size()), id.data()));
  EXPECT_FALSE(VerifyEnvelope(HostVerifyContextForChain(Digest()), tx.data(),
                              static_cast<uint32_t>(tx.size()), id.data()));
  EXPECT_FALSE(VerifyEnvelope(HostVerifyContext(), tx.data(),
                              static_cast<uint32_t>(tx.size()), id.data()));
}

}  // namespace
}  // namespace gridledger::gpu
