// Backend selection on whatever machine runs the test: without CUDA built or
// without a device it must fall back to the CPU with the reason, and every
// choice must give libsecp256k1's results.
#include "gpu/backend_select.h"

#include <vector>

#include "core/crypto/schnorr.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "tests/testdata/bip340_vectors.h"
#ifdef GRIDLEDGER_HAVE_CUDA
#include "gpu/cuda/cuda_batch_verifier.h"
#endif

namespace gridledger {
namespace {

bool DevicePresent() {
#ifdef GRIDLEDGER_HAVE_CUDA
  return gpu::CudaDeviceStatus(0).ok();
#else
  return false;
#endif
}

TEST(BackendSelectTest, ParsesTheThreeNames) {
  EXPECT_EQ(*ParseVerifierBackend("auto"), VerifierBackend::kAuto);
  EXPECT_EQ(*ParseVerifierBackend("cpu"), VerifierBackend::kCpu);
  EXPECT_EQ(*ParseVerifierBackend("gpu"), VerifierBackend::kGpu);
  for (const char* bad : {"", "GPU", "cuda", "cpu "}) {
    auto parsed = ParseVerifierBackend(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("--backend"), absl::string_view::npos);
  }
}

TEST(BackendSelectTest, CpuRequestedGivesCpu) {
  VerifierChoice choice = MakeBatchVerifier(VerifierBackend::kCpu, {.threads = 1});
  EXPECT_EQ(choice.verifier->name(), "cpu");
  EXPECT_FALSE(choice.on_gpu);
  EXPECT_EQ(choice.reason, "requested --backend=cpu");
}

// The CPU recipe is what a CPU choice is built from: thread count, nice and
// pool name (the pool's own tests check that a pool applies them).
TEST(BackendSelectTest, ACpuChoiceIsBuiltFromTheCpuOptions) {
  for (int threads : {1, 3}) {
    VerifierChoice choice = MakeBatchVerifier(
        VerifierBackend::kCpu,
        {.threads = threads, .nice_increment = 3 + threads, .pool_name = "gl-test-pool"});
    auto* cpu = dynamic_cast<CpuBatchVerifier*>(choice.verifier.get());
    ASSERT_NE(cpu, nullptr);
    EXPECT_EQ(cpu->threads(), threads);
    EXPECT_EQ(cpu->nice_increment(), 3 + threads);
    EXPECT_STREQ(cpu->pool_name(), "gl-test-pool");
  }
  // Defaults: all cores, normal priority, the client pool's name.
  VerifierChoice choice = MakeBatchVerifier(VerifierBackend::kCpu);
  auto* cpu = dynamic_cast<CpuBatchVerifier*>(choice.verifier.get());
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->nice_increment(), 0);
  EXPECT_STREQ(cpu->pool_name(), "gl-verify-pool");
}

TEST(BackendSelectTest, AutoAndGpuFollowDeviceAvailability) {
  for (VerifierBackend backend : {VerifierBackend::kAuto, VerifierBackend::kGpu}) {
    SCOPED_TRACE(std::string(VerifierBackendName(backend)));
    VerifierChoice choice = MakeBatchVerifier(backend, {.threads = 1});
    ASSERT_NE(choice.verifier, nullptr);
    const std::string prefix =
        backend == VerifierBackend::kGpu ? "gpu requested, falling back to cpu: " : "";
    if (!BuiltWithCuda()) {
      EXPECT_EQ(choice.verifier->name(), "cpu");
      EXPECT_EQ(choice.reason, prefix + "built without CUDA");
    } else if (!DevicePresent()) {
      EXPECT_EQ(choice.verifier->name(), "cpu");
      EXPECT_EQ(choice.reason.rfind(prefix + "no usable CUDA device: ", 0), 0u) << choice.reason;
    } else {
      EXPECT_EQ(choice.verifier->name(), "cuda");
      EXPECT_TRUE(choice.on_gpu);
    }
  }
}

// Whatever was chosen gives the official vectors' results, in a batch large
// enough to reach the GPU path when there is one.
TEST(BackendSelectTest, EveryChoiceGivesReferenceResults) {
  std::vector<VerifyItem> items;
  std::vector<uint8_t> want;
  for (int rep = 0; rep < 80; ++rep) {
    for (const auto& v : testdata::kBip340Vectors) {
      VerifyItem it;
      it.key = PublicKey(*HexDecodeFixed<32>(v.pubkey_hex, "pubkey"));
      it.message = Digest(*HexDecodeFixed<32>(v.msg_hex, "msg"));
      it.signature = Signature(*HexDecodeFixed<64>(v.sig_hex, "sig"));
      items.push_back(it);
      want.push_back(v.expected_valid ? 1 : 0);
    }
  }
  for (VerifierBackend backend :
       {VerifierBackend::kAuto, VerifierBackend::kCpu, VerifierBackend::kGpu}) {
    VerifierChoice choice = MakeBatchVerifier(backend, {.threads = 2});
    std::vector<uint8_t> got(items.size(), 7);
    ASSERT_TRUE(choice.verifier->Verify(items, absl::MakeSpan(got)).ok());
    EXPECT_EQ(got, want) << VerifierBackendName(backend);
  }
}

}  // namespace
}  // namespace gridledger
