#include "gpu/staging.h"

#include <cstring>

#include "core/common/check.h"
#include "core/tx/transaction.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gpu/math/field.h"
#include "gpu/math/scalar.h"

namespace gridledger::gpu {

bool SignatureInputsInRange(const uint8_t* key, const uint8_t* sig) {
  Fe f;
  Sc s;
  return FeSetBytes(&f, key) && FeSetBytes(&f, sig) && !ScSetBytes(&s, sig + 32);
}

size_t PackVerifyChunk(absl::Span<const VerifyItem> items, size_t* next,
                       absl::Span<uint8_t> results, const VerifyStaging& staging) {
  GL_CHECK(items.size() == results.size());
  size_t n = 0;
  while (*next < items.size() && n < staging.capacity) {
    const size_t i = (*next)++;
    const VerifyItem& it = items[i];
    if (!SignatureInputsInRange(it.key.data(), it.signature.data())) {
      results[i] = 0;
      continue;
    }
    std::memcpy(staging.keys + 32 * n, it.key.data(), 32);
    std::memcpy(staging.messages + 32 * n, it.message.data(), 32);
    std::memcpy(staging.signatures + 64 * n, it.signature.data(), 64);
    staging.index[n++] = static_cast<uint32_t>(i);
  }
  return n;
}

size_t PackTxChunk(const Digest& chain_id, absl::Span<const ByteSpan> txs, size_t* next,
                   absl::Span<Digest> ids, absl::Span<uint8_t> valid, const TxStaging& staging) {
  GL_CHECK(txs.size() == ids.size() && txs.size() == valid.size());
  size_t n = 0;
  uint32_t offset = 0;
  while (*next < txs.size() && n < staging.capacity) {
    const size_t i = (*next)++;
    const ByteSpan tx = txs[i];
    if (tx.size() > kTxMaxBytes) {
      valid[i] = VerifyTransactionEnvelope(chain_id, tx, &ids[i]) ? 1 : 0;
      continue;
    }
    staging.offsets[n] = offset;
    if (!tx.empty()) std::memcpy(staging.bytes + offset, tx.data(), tx.size());
    offset += static_cast<uint32_t>(tx.size());
    staging.index[n++] = static_cast<uint32_t>(i);
  }
  staging.offsets[n] = offset;
  return n;
}

void ScatterChunk(const uint8_t* flags, const uint8_t* ids, const uint32_t* index, size_t count,
                  uint8_t* out_flags, Digest* out_ids) {
  for (size_t j = 0; j < count; ++j) {
    out_flags[index[j]] = flags[j];
    if (ids != nullptr) std::memcpy(out_ids[index[j]].data(), ids + 32 * j, 32);
  }
}

}  // namespace gridledger::gpu
