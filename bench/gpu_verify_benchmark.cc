// GPU batch verification, end to end (host VerifyItems in, host results out),
// at 1k, 16k, 256k and 1M (and 4M when GL_VERIFY_TABLE_MAX_BATCH >= 4194304,
// as the device check sets it), next to the CPU pool at the same sizes and
// libsecp256k1 on one core up to 256k (one core is linear in the batch size;
// 1M on one core takes most of a minute); plus the per-signature cost of the portable
// (__host__ __device__) math when compiled for the host. items/s =
// verifications/s. GPU benchmarks register only when the build has CUDA and
// a device is present at run time.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gpu/math/host_context.h"
#ifdef GRIDLEDGER_HAVE_CUDA
#include "gpu/cuda/cuda_batch_verifier.h"
#include "gpu/cuda/verify_kernels.h"
#endif

namespace gridledger {
namespace {

constexpr size_t kDistinctKeys = 256;
constexpr int64_t kBatchSizes[] = {1 << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 22};
constexpr int64_t kDefaultMaxBatch = 1 << 20;
constexpr int64_t kSingleCoreMaxBatch = 1 << 18;

int64_t MaxBatch() {
  const char* env = std::getenv("GL_VERIFY_TABLE_MAX_BATCH");
  return env == nullptr ? kDefaultMaxBatch : std::strtoll(env, nullptr, 10);
}

// The table's sizes up to `max` (and the run's GL_VERIFY_TABLE_MAX_BATCH).
void TableSizes(benchmark::internal::Benchmark* b, int64_t max) {
  for (int64_t n : kBatchSizes) {
    if (n <= max && n <= MaxBatch()) b->Arg(n);
  }
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

// Valid signatures over distinct messages, signed in parallel; cached and
// grown on demand (the 1M set takes a while to sign).
const std::vector<VerifyItem>& SignedItems(size_t n) {
  static std::vector<VerifyItem> cache;
  if (cache.size() >= n) return cache;
  std::vector<KeyPair> keys;
  for (size_t i = 0; i < kDistinctKeys; ++i) keys.push_back(KeyPair::FromSeed(7000 + i));
  std::vector<VerifyItem> items(n);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t; i < n; i += threads) {
        Bytes m;
        ByteWriter(&m).U64(i);
        const KeyPair& kp = keys[i % keys.size()];
        items[i].key = kp.public_key();
        items[i].message = Sha256(m);
        items[i].signature = kp.Sign(items[i].message);
      }
    });
  }
  for (auto& w : workers) w.join();
  cache = std::move(items);
  return cache;
}

void CheckAllValid(benchmark::State& state, const std::vector<uint8_t>& results) {
  for (uint8_t r : results) {
    if (r != 1) {
      state.SkipWithError("valid signature rejected");
      return;
    }
  }
}

// The portable math on one host core: what each GPU thread computes.
void BM_GpuMathHostVerify(benchmark::State& state) {
  const auto& items = SignedItems(1024);
  const gpu::VerifyContext& ctx = gpu::HostVerifyContext();
  size_t i = 0;
  for (auto _ : state) {
    const VerifyItem& it = items[i++ % 1024];
    if (!gpu::SchnorrVerify(ctx, it.key.data(), it.message.data(), it.signature.data())) {
      state.SkipWithError("valid signature rejected");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GpuMathHostVerify);
BENCHMARK(BM_GpuMathHostVerify)->Name("BM_GpuMathHostVerify_smoke")->Iterations(8);

// libsecp256k1 on one core over the same batch sizes as the GPU table.
void BM_VerifyTableSingleCore(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& items = SignedItems(n);
  std::vector<uint8_t> results(n);
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) {
      results[i] = SchnorrVerify(items[i].key, items[i].message, items[i].signature);
    }
  }
  CheckAllValid(state, results);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_VerifyTableSingleCore)->Apply([](benchmark::internal::Benchmark* b) {
  TableSizes(b, kSingleCoreMaxBatch);
});

void BM_VerifyTableCpuPool(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& all = SignedItems(n);
  static CpuBatchVerifier verifier(0);
  std::vector<uint8_t> results(n);
  for (auto _ : state) {
    absl::Status st = verifier.Verify(absl::MakeConstSpan(all.data(), n), absl::MakeSpan(results));
    if (!st.ok()) state.SkipWithError(std::string(st.message()).c_str());
  }
  CheckAllValid(state, results);
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["threads"] = verifier.threads();
}
BENCHMARK(BM_VerifyTableCpuPool)->Apply([](benchmark::internal::Benchmark* b) {
  TableSizes(b, kBatchSizes[std::size(kBatchSizes) - 1]);
});

#ifdef GRIDLEDGER_HAVE_CUDA
// One verifier per kernel variant (launch bounds' blocks per SM).
gpu::CudaBatchVerifier* Gpu(int min_blocks) {
  static auto* verifiers = new absl::flat_hash_map<int, gpu::CudaBatchVerifier*>();
  auto it = verifiers->find(min_blocks);
  if (it != verifiers->end()) return it->second;
  gpu::CudaVerifierOptions options;
  options.min_gpu_batch = 1;  // measure the device path at every size
  options.kernel_min_blocks = min_blocks;
  auto v = gpu::CudaBatchVerifier::Create(options);
  gpu::CudaBatchVerifier* verifier = v.ok() ? v->release() : nullptr;
  (*verifiers)[min_blocks] = verifier;
  return verifier;
}

void RunGpu(benchmark::State& state, int min_blocks, size_t n) {
  const auto& all = SignedItems(n);
  gpu::CudaBatchVerifier* verifier = Gpu(min_blocks);
  if (verifier == nullptr) {
    state.SkipWithError("CUDA backend failed to start");
    return;
  }
  std::vector<uint8_t> results(n);
  for (auto _ : state) {
    absl::Status st = verifier->Verify(absl::MakeConstSpan(all.data(), n), absl::MakeSpan(results));
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
  }
  CheckAllValid(state, results);
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(verifier->device_description());
}

void BM_VerifyTableGpu(benchmark::State& state) {
  RunGpu(state, gpu::CudaVerifierOptions().kernel_min_blocks,
         static_cast<size_t>(state.range(0)));
}

// Each launch-bounds variant of the kernel at one size: range(0) = blocks/SM.
void BM_VerifyGpuKernelVariant(benchmark::State& state) {
  RunGpu(state, static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1)));
}

// A kernel variant with another chunk size (items per launch and per
// staging buffer: 64 Ki by default, about half a wave of the default kernel
// on an H200): range(0) = blocks/SM, range(1) = chunk items, at 4 Mi. The
// verifier is made per run (its pinned buffers grow with the chunk).
void BM_VerifyGpuChunk(benchmark::State& state) {
  const size_t n = kBatchSizes[std::size(kBatchSizes) - 1];
  const auto& all = SignedItems(n);
  gpu::CudaVerifierOptions options;
  options.min_gpu_batch = 1;
  options.kernel_min_blocks = static_cast<int>(state.range(0));
  options.chunk_items = static_cast<size_t>(state.range(1));
  auto verifier = gpu::CudaBatchVerifier::Create(options);
  if (!verifier.ok()) {
    state.SkipWithError(std::string(verifier.status().message()).c_str());
    return;
  }
  std::vector<uint8_t> results(n);
  for (auto _ : state) {
    absl::Status st =
        (*verifier)->Verify(absl::MakeConstSpan(all.data(), n), absl::MakeSpan(results));
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
  }
  CheckAllValid(state, results);
  state.SetItemsProcessed(state.iterations() * n);
}

// Registered at start-up only when a device is usable.
const bool kGpuRegistered = [] {
  absl::Status device = gpu::CudaDeviceStatus(0);
  if (!device.ok()) {
    std::fprintf(stderr, "gpu_verify_benchmark: GPU benchmarks skipped: %s\n",
                 std::string(device.message()).c_str());
    return false;
  }
  TableSizes(benchmark::RegisterBenchmark("BM_VerifyTableGpu", BM_VerifyTableGpu),
             kBatchSizes[std::size(kBatchSizes) - 1]);
  benchmark::RegisterBenchmark("BM_VerifyTableGpu_smoke", BM_VerifyTableGpu)
      ->Arg(1024)->Iterations(2);
  auto* variants = benchmark::RegisterBenchmark("BM_VerifyGpuKernelVariant",
                                                BM_VerifyGpuKernelVariant);
  for (int min_blocks : gpu::cuda::kVerifyKernelMinBlocks) {
    variants->Args({min_blocks, kBatchSizes[3]});
  }
  variants->UseRealTime()->Unit(benchmark::kMillisecond);
  auto* chunks = benchmark::RegisterBenchmark("BM_VerifyGpuChunk", BM_VerifyGpuChunk);
  for (int min_blocks : gpu::cuda::kVerifyKernelMinBlocks) {
    if (min_blocks == 2) continue;  // far behind at every size measured
    for (int64_t chunk : {int64_t{1} << 16, int64_t{1} << 18, int64_t{1} << 20}) {
      chunks->Args({min_blocks, chunk});
    }
  }
  chunks->UseRealTime()->Unit(benchmark::kMillisecond);
  return true;
}();
#else
const bool kGpuRegistered = [] {
  std::fprintf(stderr, "gpu_verify_benchmark: GPU benchmarks skipped: built without CUDA\n");
  return false;
}();
#endif

}  // namespace
}  // namespace gridledger
