#include "gpu/cuda/cuda_batch_verifier.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/tx/transaction.h"
#include "gpu/cuda/verify_kernels.h"
#include "gpu/math/host_context.h"
#include "gpu/staging.h"

namespace gridledger::gpu {
namespace {

absl::Status CudaError(const char* call, cudaError_t err) {
  return absl::InternalError(
      absl::StrCat("CUDA ", call, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")"));
}

#define GL_CUDA_RETURN_IF_ERROR(call)                    \
  do {                                                   \
    cudaError_t gl_cuda_err_ = (call);                   \
    if (gl_cuda_err_ != cudaSuccess) [[unlikely]]        \
      return CudaError(#call, gl_cuda_err_);             \
  } while (0)

}  // namespace

// Pinned host staging and device buffers for one chunk, and its stream.
struct CudaBatchVerifier::Slot {
  enum class Pending { kNone, kVerify, kTransactions };

  cudaStream_t stream = nullptr;
  // Verify: struct-of-arrays.
  uint8_t* host_keys = nullptr;
  uint8_t* host_messages = nullptr;
  uint8_t* host_signatures = nullptr;
  uint8_t* host_results = nullptr;
  uint8_t* dev_keys = nullptr;
  uint8_t* dev_messages = nullptr;
  uint8_t* dev_signatures = nullptr;
  uint8_t* dev_results = nullptr;
  // VerifyTransactions: envelopes back to back plus offsets.
  uint8_t* host_tx_bytes = nullptr;
  uint32_t* host_offsets = nullptr;
  uint8_t* host_ids = nullptr;
  uint8_t* host_valid = nullptr;
  uint8_t* dev_tx_bytes = nullptr;
  uint32_t* dev_offsets = nullptr;
  uint8_t* dev_ids = nullptr;
  uint8_t* dev_valid = nullptr;

  std::vector<uint32_t> index;  // staging position -> batch position
  size_t count = 0;             // entries staged in the pending chunk
  Pending pending = Pending::kNone;
  uint8_t* out_results = nullptr;  // the caller's spans for the pending chunk
  Digest* out_ids = nullptr;

  absl::Status Allocate(size_t chunk) {
    GL_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_keys), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_messages), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_signatures), chunk * 64));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_results), chunk));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_keys), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_messages), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_signatures), chunk * 64));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_results), chunk));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMallocHost(reinterpret_cast<void**>(&host_tx_bytes), chunk * kTxMaxBytes));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMallocHost(reinterpret_cast<void**>(&host_offsets), (chunk + 1) * sizeof(uint32_t)));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_ids), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMallocHost(reinterpret_cast<void**>(&host_valid), chunk));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_tx_bytes), chunk * kTxMaxBytes));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMalloc(reinterpret_cast<void**>(&dev_offsets), (chunk + 1) * sizeof(uint32_t)));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_ids), chunk * 32));
    GL_CUDA_RETURN_IF_ERROR(cudaMalloc(reinterpret_cast<void**>(&dev_valid), chunk));
    index.resize(chunk);
    return absl::OkStatus();
  }

  ~Slot() {
    if (stream != nullptr) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
    for (void* p : {static_cast<void*>(host_keys), static_cast<void*>(host_messages),
                    static_cast<void*>(host_signatures), static_cast<void*>(host_results),
                    static_cast<void*>(host_tx_bytes), static_cast<void*>(host_offsets),
                    static_cast<void*>(host_ids), static_cast<void*>(host_valid)}) {
      if (p != nullptr) cudaFreeHost(p);
    }
    for (void* p : {static_cast<void*>(dev_keys), static_cast<void*>(dev_messages),
                    static_cast<void*>(dev_signatures), static_cast<void*>(dev_results),
                    static_cast<void*>(dev_tx_bytes), static_cast<void*>(dev_offsets),
                    static_cast<void*>(dev_ids), static_cast<void*>(dev_valid)}) {
      if (p != nullptr) cudaFree(p);
    }
  }

  // Waits for the pending chunk and scatters its results to the caller.
  absl::Status Finish() {
    if (pending == Pending::kNone) return absl::OkStatus();
    const Pending was = pending;
    pending = Pending::kNone;
    GL_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
    if (was == Pending::kVerify) {
      ScatterChunk(host_results, nullptr, index.data(), count, out_results, nullptr);
    } else {
      ScatterChunk(host_valid, host_ids, index.data(), count, out_results, out_ids);
    }
    return absl::OkStatus();
  }
};

absl::Status CudaDeviceStatus(int device) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    return absl::UnavailableError(absl::StrCat("cudaGetDeviceCount: ", cudaGetErrorName(err), " (",
                                               cudaGetErrorString(err), ")"));
  }
  if (device < 0 || device >= count) {
    return absl::UnavailableError(
        absl::StrCat("CUDA device ", device, " not present (", count, " devices)"));
  }
  cudaDeviceProp prop;
  err = cudaGetDeviceProperties(&prop, device);
  if (err != cudaSuccess) return CudaError("cudaGetDeviceProperties", err);
  // The build carries sm_90 machine code only (no PTX to JIT).
  if (prop.major != 9) {
    return absl::UnavailableError(absl::StrCat("CUDA device ", device, " (", prop.name,
                                               ") has compute capability ", prop.major, ".",
                                               prop.minor, "; this build targets sm_90"));
  }
  return absl::OkStatus();
}

CudaBatchVerifier::CudaBatchVerifier(const CudaVerifierOptions& options)
    : options_(options), cpu_(options.cpu_threads) {}

CudaBatchVerifier::~CudaBatchVerifier() {
  for (auto& slot : slots_) slot.reset();
  if (device_tables_ != nullptr) cudaFree(device_tables_);
}

static_assert(CudaVerifierOptions().kernel_min_blocks == cuda::kDefaultVerifyKernelMinBlocks);

absl::StatusOr<std::unique_ptr<CudaBatchVerifier>> CudaBatchVerifier::Create(
    const CudaVerifierOptions& options) {
  GL_CHECK(options.chunk_items > 0 && options.chunk_items <= (size_t{1} << 24));
  if (!cuda::IsVerifyKernelVariant(options.kernel_min_blocks)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel_min_blocks: no compiled kernel variant for ", options.kernel_min_blocks));
  }
  GL_RETURN_IF_ERROR(CudaDeviceStatus(options.device));
  std::unique_ptr<CudaBatchVerifier> v(new CudaBatchVerifier(options));
  GL_RETURN_IF_ERROR(v->Init());
  return v;
}

absl::Status CudaBatchVerifier::Init() {
  GL_CUDA_RETURN_IF_ERROR(cudaSetDevice(options_.device));
  cudaDeviceProp prop;
  GL_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, options_.device));
  description_ = absl::StrCat(prop.name, ", ", prop.multiProcessorCount, " SMs, compute ",
                              prop.major, ".", prop.minor);
  const HostVerifyTables& host = GetHostVerifyTables();
  constexpr size_t kTableBytes = sizeof(GeStorage) * kGTableSize;
  GL_CUDA_RETURN_IF_ERROR(cudaMalloc(&device_tables_, 2 * kTableBytes));
  GL_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(device_tables_, host.g_table, kTableBytes, cudaMemcpyHostToDevice));
  GL_CUDA_RETURN_IF_ERROR(cudaMemcpy(static_cast<uint8_t*>(device_tables_) + kTableBytes,
                                     host.g_lambda_table, kTableBytes, cudaMemcpyHostToDevice));
  for (auto& slot : slots_) {
    slot = std::make_unique<Slot>();
    GL_RETURN_IF_ERROR(slot->Allocate(options_.chunk_items));
  }
  return absl::OkStatus();
}

namespace {
VerifyContext DeviceContext(const void* device_tables, const Digest& chain_id = Digest()) {
  VerifyContext ctx = HostVerifyContextForChain(chain_id);
  ctx.g_table = static_cast<const GeStorage*>(device_tables);
  ctx.g_lambda_table = ctx.g_table + kGTableSize;
  return ctx;
}
}  // namespace

absl::Status CudaBatchVerifier::DrainAll() {
  absl::Status first;
  for (auto& slot : slots_) {
    absl::Status s = slot->Finish();
    if (first.ok() && !s.ok()) first = s;
    // After an error a chunk can be in flight without being marked pending;
    // wait for it so the next batch never reuses buffers still being copied.
    const cudaError_t err = cudaStreamSynchronize(slot->stream);
    if (first.ok() && err != cudaSuccess) first = CudaError("cudaStreamSynchronize", err);
  }
  return first;
}

absl::Status CudaBatchVerifier::Verify(absl::Span<const VerifyItem> items,
                                       absl::Span<uint8_t> results) {
  GL_CHECK(items.size() == results.size());
  if (items.size() < options_.min_gpu_batch) return cpu_.Verify(items, results);
  absl::MutexLock lock(&mu_);
  absl::Status status = VerifyOnDevice(items, results);
  absl::Status drained = DrainAll();  // never leave a chunk pointing at the caller's spans
  return status.ok() ? drained : status;
}

absl::Status CudaBatchVerifier::VerifyOnDevice(absl::Span<const VerifyItem> items,
                                               absl::Span<uint8_t> results) {
  GL_CUDA_RETURN_IF_ERROR(cudaSetDevice(options_.device));
  const VerifyContext ctx = DeviceContext(device_tables_);
  size_t next = 0;
  int turn = 0;
  while (next < items.size()) {
    Slot& s = *slots_[turn];
    turn ^= 1;
    GL_RETURN_IF_ERROR(s.Finish());  // the chunk before last used this slot
    const VerifyStaging staging{s.host_keys, s.host_messages, s.host_signatures, s.index.data(),
                                options_.chunk_items};
    const size_t n = PackVerifyChunk(items, &next, results, staging);
    s.count = n;
    if (n == 0) continue;
    GL_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(s.dev_keys, s.host_keys, n * 32, cudaMemcpyHostToDevice, s.stream));
    GL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.dev_messages, s.host_messages, n * 32,
                                            cudaMemcpyHostToDevice, s.stream));
    GL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.dev_signatures, s.host_signatures, n * 64,
                                            cudaMemcpyHostToDevice, s.stream));
    SoaVerifyBatch batch{s.dev_keys, s.dev_messages, s.dev_signatures, s.dev_results,
                         static_cast<uint32_t>(n)};
    GL_CUDA_RETURN_IF_ERROR(cuda::LaunchVerify(ctx, batch, s.stream, options_.kernel_min_blocks));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(s.host_results, s.dev_results, n, cudaMemcpyDeviceToHost, s.stream));
    s.pending = Slot::Pending::kVerify;
    s.out_results = results.data();
  }
  return absl::OkStatus();
}

absl::Status CudaBatchVerifier::VerifyTransactions(const Digest& chain_id,
                                                   absl::Span<const ByteSpan> txs,
                                                   absl::Span<Digest> ids,
                                                   absl::Span<uint8_t> valid) {
  GL_CHECK(txs.size() == ids.size() && txs.size() == valid.size());
  if (txs.size() < options_.min_gpu_batch) {
    return cpu_.VerifyTransactions(chain_id, txs, ids, valid);
  }
  absl::MutexLock lock(&mu_);
  absl::Status status = VerifyTxOnDevice(chain_id, txs, ids, valid);
  absl::Status drained = DrainAll();
  return status.ok() ? drained : status;
}

absl::Status CudaBatchVerifier::VerifyTxOnDevice(const Digest& chain_id,
                                                 absl::Span<const ByteSpan> txs,
                                                 absl::Span<Digest> ids,
                                                 absl::Span<uint8_t> valid) {
  GL_CUDA_RETURN_IF_ERROR(cudaSetDevice(options_.device));
  const VerifyContext ctx = DeviceContext(device_tables_, chain_id);
  size_t next = 0;
  int turn = 0;
  while (next < txs.size()) {
    Slot& s = *slots_[turn];
    turn ^= 1;
    GL_RETURN_IF_ERROR(s.Finish());
    const TxStaging staging{s.host_tx_bytes, s.host_offsets, s.index.data(), options_.chunk_items};
    const size_t n = PackTxChunk(chain_id, txs, &next, ids, valid, staging);
    s.count = n;
    if (n == 0) continue;
    const uint32_t offset = s.host_offsets[n];
    GL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.dev_tx_bytes, s.host_tx_bytes, offset,
                                            cudaMemcpyHostToDevice, s.stream));
    GL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.dev_offsets, s.host_offsets,
                                            (n + 1) * sizeof(uint32_t), cudaMemcpyHostToDevice,
                                            s.stream));
    PackedTxBatch batch{s.dev_tx_bytes, s.dev_offsets, s.dev_ids, s.dev_valid,
                              static_cast<uint32_t>(n)};
    GL_CUDA_RETURN_IF_ERROR(cuda::LaunchVerifyTransactions(ctx, batch, s.stream));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(s.host_ids, s.dev_ids, n * 32, cudaMemcpyDeviceToHost, s.stream));
    GL_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(s.host_valid, s.dev_valid, n, cudaMemcpyDeviceToHost, s.stream));
    s.pending = Slot::Pending::kTransactions;
    s.out_results = valid.data();
    s.out_ids = ids.data();
  }
  return absl::OkStatus();
}

}  // namespace gridledger::gpu
