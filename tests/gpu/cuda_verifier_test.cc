// The CUDA kernel against the CPU backend (libsecp256k1). Runs wherever a
// device is present and skips otherwise; GL_CUDA_TEST_CASES sets the number
// of seeded cases (default 1M; CI-size runs can pass fewer).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/transaction.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "tests/gpu/test_rng.h"
#include "tests/gpu/verify_cases.h"
#ifdef GRIDLEDGER_HAVE_CUDA
#include "gpu/cuda/cuda_batch_verifier.h"
#include "gpu/cuda/verify_kernels.h"
#endif

namespace gridledger::gpu {
namespace {

#ifdef GRIDLEDGER_HAVE_CUDA
constexpr size_t kDefaultCases = 1000000;
constexpr uint64_t kSeed = 0x67707531;

size_t CaseCount() {
  const char* env = std::getenv("GL_CUDA_TEST_CASES");
  if (env == nullptr) return kDefaultCases;
  return std::max<size_t>(1, std::strtoull(env, nullptr, 10));
}

std::unique_ptr<CudaBatchVerifier> MakeOrSkip(CudaVerifierOptions options = {}) {
  absl::Status device = CudaDeviceStatus(options.device);
  if (!device.ok()) return nullptr;
  auto v = CudaBatchVerifier::Create(options);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : nullptr;
}
#endif

TEST(CudaVerifierTest, KernelMatchesCpuBackendOnSeededCases) {
#ifndef GRIDLEDGER_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA";
#else
  if (!CudaDeviceStatus(0).ok()) GTEST_SKIP() << CudaDeviceStatus(0).message();
  // A small chunk forces many double-buffered chunks; min_gpu_batch 1 keeps
  // every batch on the device.
  CudaVerifierOptions options;
  options.chunk_items = 1 << 15;
  options.min_gpu_batch = 1;
  auto gpu = MakeOrSkip(options);
  ASSERT_NE(gpu, nullptr);
  CpuBatchVerifier cpu(0);
  const size_t total = CaseCount();
  constexpr size_t kRound = 1 << 18;  // bounds memory for the case vectors
  size_t mismatches = 0;
  for (size_t first = 0; first < total; first += kRound) {
    const size_t n = std::min(kRound, total - first);
    std::vector<testing::VerifyCase> cases = testing::MakeVerifyCasesParallel(kSeed, first, n);
    std::vector<VerifyItem> items(n);
    for (size_t i = 0; i < n; ++i) items[i] = cases[i].item;
    std::vector<uint8_t> want(n), got(n, 7);
    ASSERT_TRUE(cpu.Verify(items, absl::MakeSpan(want)).ok());
    absl::Status st = gpu->Verify(items, absl::MakeSpan(got));
    ASSERT_TRUE(st.ok()) << st;
    for (size_t i = 0; i < n; ++i) {
      if (got[i] != want[i] && ++mismatches <= 10) {
        ADD_FAILURE() << "case " << first + i << " (" << testing::CaseKindName(cases[i].kind)
                      << "): gpu " << int{got[i]} << " cpu " << int{want[i]} << " key "
                      << items[i].key.Hex() << " msg " << items[i].message.Hex() << " sig "
                      << items[i].signature.Hex();
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
#endif
}

// Every launch-bounds variant of the kernel (the benchmark compares their
// speed) gives the CPU backend's answers; fewer cases than the main test.
TEST(CudaVerifierTest, EveryKernelVariantMatchesCpuBackend) {
#ifndef GRIDLEDGER_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA";
#else
  if (!CudaDeviceStatus(0).ok()) GTEST_SKIP() << CudaDeviceStatus(0).message();
  const size_t n = std::min<size_t>(CaseCount(), 1 << 16);
  std::vector<testing::VerifyCase> cases = testing::MakeVerifyCasesParallel(kSeed + 1, 0, n);
  std::vector<VerifyItem> items(n);
  for (size_t i = 0; i < n; ++i) items[i] = cases[i].item;
  CpuBatchVerifier cpu(0);
  std::vector<uint8_t> want(n);
  ASSERT_TRUE(cpu.Verify(items, absl::MakeSpan(want)).ok());
  for (int min_blocks : cuda::kVerifyKernelMinBlocks) {
    CudaVerifierOptions options;
    options.min_gpu_batch = 1;
    options.kernel_min_blocks = min_blocks;
    auto gpu = MakeOrSkip(options);
    ASSERT_NE(gpu, nullptr);
    std::vector<uint8_t> got(n, 7);
    ASSERT_TRUE(gpu->Verify(items, absl::MakeSpan(got)).ok());
    EXPECT_EQ(got, want) << "kernel variant min_blocks=" << min_blocks;
  }
#endif
}

// Checked before the device is touched, so it runs on any CUDA build.
TEST(CudaVerifierTest, CreateRefusesAKernelVariantNotCompiled) {
#ifndef GRIDLEDGER_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA";
#else
  CudaVerifierOptions options;
  options.kernel_min_blocks = 3;
  auto v = CudaBatchVerifier::Create(options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("kernel_min_blocks"), absl::string_view::npos);
#endif
}

TEST(CudaVerifierTest, FusedTransactionPassMatchesCpuBackend) {
#ifndef GRIDLEDGER_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA";
#else
  if (!CudaDeviceStatus(0).ok()) GTEST_SKIP() << CudaDeviceStatus(0).message();
  CudaVerifierOptions options;
  options.chunk_items = 4096;
  options.min_gpu_batch = 1;
  auto gpu = MakeOrSkip(options);
  ASSERT_NE(gpu, nullptr);
  CpuBatchVerifier cpu(0);
  using testing::kTestChain;
  testing::TestRng rng(50);
  std::vector<KeyPair> keys;
  for (int i = 0; i < 16; ++i) keys.push_back(KeyPair::FromSeed(500 + i));
  constexpr size_t kTxs = 20000;
  std::vector<Bytes> txs(kTxs);
  for (size_t i = 0; i < kTxs; ++i) {
    const size_t size = i % 7 == 0 ? rng.Below(kTxMaxBytes + 64) : 110 + rng.Below(146);
    txs[i].resize(size);
    rng.FillMixed(txs[i].data(), size);
    if (size >= kTxHeaderBytes + kTxSignatureBytes && i % 3 != 0) {
      const KeyPair& kp = keys[i % keys.size()];
      std::copy(kp.public_key().bytes.begin(), kp.public_key().bytes.end(),
                txs[i].begin() + kTxSenderOffset);
      const size_t signed_size = size - kTxSignatureBytes;
      Signature sig = kp.Sign(SigningHash(kTestChain, ByteSpan(txs[i].data(), signed_size)));
      std::copy(sig.bytes.begin(), sig.bytes.end(), txs[i].begin() + signed_size);
      if (i % 5 == 0) txs[i][rng.Below(size)] ^= 0x80;
    }
  }
  std::vector<ByteSpan> spans(txs.begin(), txs.end());
  std::vector<Digest> want_ids(kTxs), got_ids(kTxs);
  std::vector<uint8_t> want(kTxs), got(kTxs, 7);
  ASSERT_TRUE(
      cpu.VerifyTransactions(kTestChain, spans, absl::MakeSpan(want_ids), absl::MakeSpan(want))
          .ok());
  absl::Status st = gpu->VerifyTransactions(kTestChain, spans, absl::MakeSpan(got_ids),
                                           absl::MakeSpan(got));
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(got, want);
  EXPECT_EQ(got_ids, want_ids);
#endif
}

}  // namespace
}  // namespace gridledger::gpu
