// FallbackBatchVerifier: when the primary (the GPU) fails a call, the CPU
// answers it with the reference results, the hook hears of it and it is
// counted. The failing primary stands in for a CUDA error, which this
// machine (no GPU) cannot produce.
#include "gpu/fallback_verifier.h"

#include <memory>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

// Fails every call once `failing` is set, else delegates to a CPU pool.
class DeviceThatFails final : public BatchVerifier {
 public:
  bool failing = true;
  absl::string_view name() const override { return "cuda"; }
  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override {
    if (failing) return absl::InternalError("cudaErrorIllegalAddress: an illegal memory access");
    return cpu_.Verify(items, results);
  }
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override {
    if (failing) return absl::InternalError("cudaErrorLaunchFailure");
    return cpu_.VerifyTransactions(chain_id, txs, ids, valid);
  }

 private:
  CpuBatchVerifier cpu_{1};
};

std::vector<VerifyItem> Items(size_t n) {
  std::vector<VerifyItem> items(n);
  const KeyPair kp = KeyPair::FromSeed(77);
  for (size_t i = 0; i < n; ++i) {
    Bytes m{static_cast<uint8_t>(i)};
    items[i].key = kp.public_key();
    items[i].message = Sha256(m);
    items[i].signature = kp.Sign(items[i].message);
  }
  items[1].signature.data()[5] ^= 1;  // one invalid
  return items;
}

TEST(FallbackVerifierTest, AFailedDeviceCallIsAnsweredByTheCpu) {
  auto device = std::make_unique<DeviceThatFails>();
  DeviceThatFails* raw = device.get();
  std::vector<absl::Status> heard;
  FallbackBatchVerifier v(std::move(device), std::make_unique<CpuBatchVerifier>(1),
                          [&](const absl::Status& s) { heard.push_back(s); });
  EXPECT_EQ(v.name(), "cuda");
  const std::vector<VerifyItem> items = Items(8);
  std::vector<uint8_t> want(items.size()), got(items.size(), 7);
  ASSERT_TRUE(CpuBatchVerifier(1).Verify(items, absl::MakeSpan(want)).ok());
  ASSERT_TRUE(v.Verify(items, absl::MakeSpan(got)).ok());
  EXPECT_EQ(got, want);
  EXPECT_EQ(want[1], 0);

  Bytes tx(150, 0x42);
  std::vector<ByteSpan> txs{ByteSpan(tx.data(), tx.size())};
  std::vector<Digest> ids(1), want_ids(1);
  std::vector<uint8_t> valid(1, 7), want_valid(1);
  ASSERT_TRUE(v.VerifyTransactions(Digest(), txs, absl::MakeSpan(ids), absl::MakeSpan(valid)).ok());
  ASSERT_TRUE(CpuBatchVerifier(1)
                  .VerifyTransactions(Digest(), txs, absl::MakeSpan(want_ids),
                                      absl::MakeSpan(want_valid))
                  .ok());
  EXPECT_EQ(ids, want_ids);
  EXPECT_EQ(valid, want_valid);

  EXPECT_EQ(v.fallbacks(), 2u);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_NE(heard[0].message().find("cudaErrorIllegalAddress"), absl::string_view::npos);

  // The device is tried again on the next call; once it works, no fallback.
  raw->failing = false;
  std::fill(got.begin(), got.end(), 7);
  ASSERT_TRUE(v.Verify(items, absl::MakeSpan(got)).ok());
  EXPECT_EQ(got, want);
  EXPECT_EQ(v.fallbacks(), 2u);
}

}  // namespace
}  // namespace gridledger
