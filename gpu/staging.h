// Host side of the GPU batch path, independent of CUDA so CI tests it:
// packing a chunk of a caller's batch into struct-of-arrays staging buffers
// (answering out-of-range entries on the host) and scattering the chunk's
// results back to the caller's positions.
#ifndef GRIDLEDGER_GPU_STAGING_H_
#define GRIDLEDGER_GPU_STAGING_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "core/verify/batch_verifier.h"

namespace gridledger::gpu {

// Caller-owned buffers for one chunk of Verify (pinned memory in the backend).
struct VerifyStaging {
  uint8_t* keys;        // capacity x 32
  uint8_t* messages;    // capacity x 32
  uint8_t* signatures;  // capacity x 64
  uint32_t* index;      // capacity: staging position -> batch position
  size_t capacity;
};

// The range checks libsecp256k1 applies before curve arithmetic: x < p,
// r < p, s < n.
bool SignatureInputsInRange(const uint8_t* key, const uint8_t* sig);

// Packs items from *next on until the staging is full or the batch ends,
// advancing *next. An entry failing the range checks gets results[i] = 0 and
// is not staged. Returns the number staged.
size_t PackVerifyChunk(absl::Span<const VerifyItem> items, size_t* next,
                       absl::Span<uint8_t> results, const VerifyStaging& staging);

// Caller-owned buffers for one chunk of VerifyTransactions.
struct TxStaging {
  uint8_t* bytes;     // capacity x kTxMaxBytes
  uint32_t* offsets;  // capacity + 1
  uint32_t* index;    // capacity
  size_t capacity;
};

// Like PackVerifyChunk for envelopes; one longer than kTxMaxBytes (larger than
// any valid envelope and than a staging row) is answered on the host by the
// CPU reference, VerifyTransactionEnvelope (for `chain_id`). offsets[count] is
// the total size.
size_t PackTxChunk(const Digest& chain_id, absl::Span<const ByteSpan> txs, size_t* next,
                   absl::Span<Digest> ids, absl::Span<uint8_t> valid, const TxStaging& staging);

// out[index[j]] = flags[j] for j < count; ids likewise (32 B each) when given.
void ScatterChunk(const uint8_t* flags, const uint8_t* ids, const uint32_t* index, size_t count,
                  uint8_t* out_flags, Digest* out_ids);

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_STAGING_H_
