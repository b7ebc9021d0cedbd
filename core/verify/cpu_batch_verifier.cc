#include "core/verify/cpu_batch_verifier.h"

#include <optional>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/crypto/xonly_key_cache.h"
#include "core/tx/codec.h"
#include "core/tx/transaction.h"

namespace gridledger {
namespace {
// Below this many items per chunk, handing work to another thread costs more
// than it saves (one verify is ~30-60 us).
constexpr size_t kMinItemsPerChunk = 16;

// The envelope's sender key; nullopt when it is too short to hold a header
// and a signature (it does not verify).
std::optional<PublicKey> EnvelopeSender(ByteSpan tx) {
  if (tx.size() < kTxHeaderBytes + kTxSignatureBytes) return std::nullopt;
  return PublicKey::FromSpan(tx.subspan(kTxSenderOffset, PublicKey::kSize));
}

// The next envelope's sender key, prefetched in the key cache (see
// XOnlyKeyCache::Prefetch); a malformed envelope is left to its verification.
void PrefetchSender(ByteSpan tx) {
  if (const std::optional<PublicKey> sender = EnvelopeSender(tx)) PrefetchXOnlyKeyCached(*sender);
}

}  // namespace

CpuBatchVerifier::CpuBatchVerifier(int threads, int nice_increment, const char* pool_name)
    : pool_(threads, pool_name, nice_increment),
      nice_increment_(nice_increment),
      pool_name_(pool_name) {}

absl::Status CpuBatchVerifier::Verify(absl::Span<const VerifyItem> items,
                                      absl::Span<uint8_t> results) {
  GL_CHECK(items.size() == results.size());
  pool_.ParallelFor(items.size(), kMinItemsPerChunk, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      if (i + 1 < end) PrefetchXOnlyKeyCached(items[i + 1].key);
      results[i] = SchnorrVerify(items[i].key, items[i].message, items[i].signature) ? 1 : 0;
    }
  });
  return absl::OkStatus();
}

bool VerifyTransactionEnvelope(const Digest& chain_id, ByteSpan tx, Digest* id) {
  *id = TaggedHashCached(kTagTxId, tx);
  const std::optional<PublicKey> sender = EnvelopeSender(tx);
  if (!sender.has_value()) return false;
  const size_t signed_size = tx.size() - kTxSignatureBytes;
  Digest message = SigningHash(chain_id, tx.subspan(0, signed_size));
  Signature sig = Signature::FromSpan(tx.subspan(signed_size, kTxSignatureBytes));
  return SchnorrVerify(*sender, message, sig);
}

absl::Status CpuBatchVerifier::VerifyTransactions(const Digest& chain_id,
                                                  absl::Span<const ByteSpan> txs,
                                                  absl::Span<Digest> ids,
                                                  absl::Span<uint8_t> valid) {
  GL_CHECK(txs.size() == ids.size() && txs.size() == valid.size());
  pool_.ParallelFor(txs.size(), kMinItemsPerChunk, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      if (i + 1 < end) PrefetchSender(txs[i + 1]);
      valid[i] = VerifyTransactionEnvelope(chain_id, txs[i], &ids[i]) ? 1 : 0;
    }
  });
  return absl::OkStatus();
}

}  // namespace gridledger
