// The GPU backend's host path without a GPU: chunked packing into
// struct-of-arrays staging, the kernels' per-thread bodies (VerifyBatchEntry,
// VerifyTxBatchEntry) run on the host over the staged buffers, and the
// scatter back, against the CPU backend.
#include "gpu/staging.h"

#include <algorithm>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/transaction.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gpu/math/batch.h"
#include "gpu/math/host_context.h"
#include "gtest/gtest.h"
#include "tests/gpu/test_rng.h"
#include "tests/gpu/verify_cases.h"

namespace gridledger::gpu {
namespace {

constexpr size_t kCases = 14 * 1000;
constexpr size_t kChunk = 777;  // not a divisor of the batch: a short last chunk

TEST(StagingTest, ChunkedVerifyThroughKernelBodyMatchesCpuBackend) {
  std::vector<testing::VerifyCase> cases = testing::MakeVerifyCasesParallel(0x5747, 0, kCases);
  std::vector<VerifyItem> items(kCases);
  for (size_t i = 0; i < kCases; ++i) items[i] = cases[i].item;
  std::vector<uint8_t> want(kCases), got(kCases, 7);
  CpuBatchVerifier cpu(0);
  ASSERT_TRUE(cpu.Verify(items, absl::MakeSpan(want)).ok());

  std::vector<uint8_t> keys(kChunk * 32), messages(kChunk * 32), signatures(kChunk * 64),
      results(kChunk);
  std::vector<uint32_t> index(kChunk);
  const VerifyStaging staging{keys.data(), messages.data(), signatures.data(), index.data(),
                              kChunk};
  size_t next = 0, staged = 0, refused = 0;
  while (next < kCases) {
    const size_t before = next;
    const size_t n = PackVerifyChunk(items, &next, absl::MakeSpan(got), staging);
    ASSERT_LE(n, kChunk);
    ASSERT_GT(next, before);
    for (size_t i = before; i < next; ++i) {
      refused += !SignatureInputsInRange(items[i].key.data(), items[i].signature.data());
    }
    SoaVerifyBatch batch{keys.data(), messages.data(), signatures.data(), results.data(),
                         static_cast<uint32_t>(n)};
    for (uint32_t i = 0; i < n; ++i) VerifyBatchEntry(HostVerifyContext(), batch, i);
    ScatterChunk(results.data(), nullptr, index.data(), n, got.data(), nullptr);
    staged += n;
  }
  EXPECT_EQ(staged + refused, kCases);
  EXPECT_GT(refused, kCases / 14);  // the s >= n, r >= p and x >= p kinds at least
  EXPECT_EQ(got, want);
}

TEST(StagingTest, ChunkedTransactionsThroughKernelBodyMatchCpuBackend) {
  using testing::kTestChain;
  const VerifyContext chain_context = HostVerifyContextForChain(kTestChain);
  testing::TestRng rng(60);
  KeyPair kp = KeyPair::FromSeed(61);
  constexpr size_t kTxs = 3000;
  std::vector<Bytes> txs(kTxs);
  for (size_t i = 0; i < kTxs; ++i) {
    const size_t size = rng.Below(kTxMaxBytes + 100);  // some oversize ones too
    txs[i].resize(size);
    rng.FillMixed(txs[i].data(), size);
    if (size >= kTxHeaderBytes + kTxSignatureBytes && i % 2 == 0) {
      std::copy(kp.public_key().bytes.begin(), kp.public_key().bytes.end(),
                txs[i].begin() + kTxSenderOffset);
      const size_t signed_size = size - kTxSignatureBytes;
      Signature sig = kp.Sign(SigningHash(kTestChain, ByteSpan(txs[i].data(), signed_size)));
      std::copy(sig.bytes.begin(), sig.bytes.end(), txs[i].begin() + signed_size);
    }
  }
  std::vector<ByteSpan> spans(txs.begin(), txs.end());
  std::vector<Digest> want_ids(kTxs), got_ids(kTxs);
  std::vector<uint8_t> want(kTxs), got(kTxs, 7);
  CpuBatchVerifier cpu(0);
  ASSERT_TRUE(
      cpu.VerifyTransactions(kTestChain, spans, absl::MakeSpan(want_ids), absl::MakeSpan(want))
          .ok());

  constexpr size_t kTxChunk = 97;
  std::vector<uint8_t> bytes(kTxChunk * kTxMaxBytes), ids(kTxChunk * 32), valid(kTxChunk);
  std::vector<uint32_t> offsets(kTxChunk + 1), index(kTxChunk);
  const TxStaging staging{bytes.data(), offsets.data(), index.data(), kTxChunk};
  size_t next = 0;
  while (next < kTxs) {
    const size_t n =
        PackTxChunk(kTestChain, spans, &next, absl::MakeSpan(got_ids), absl::MakeSpan(got),
                    staging);
    ASSERT_LE(offsets[n], kTxChunk * kTxMaxBytes);
    PackedTxBatch batch{bytes.data(), offsets.data(), ids.data(), valid.data(),
                        static_cast<uint32_t>(n)};
    for (uint32_t i = 0; i < n; ++i) VerifyTxBatchEntry(chain_context, batch, i);
    ScatterChunk(valid.data(), ids.data(), index.data(), n, got.data(), got_ids.data());
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(got_ids, want_ids);
  EXPECT_GT(std::count(want.begin(), want.end(), 1), 500);
}

}  // namespace
}  // namespace gridledger::gpu
