#include "net/node/tx_checker.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/execution/receipt.h"
#include "core/tx/codec.h"

namespace gridledger::node {
namespace {
constexpr absl::string_view kBadSignaturePrefix =
    "signature: does not verify under the sender key for chain ";

// Peer batches share the queue under a key no client connection has.
constexpr char kPeerBatchesKey[] = "\x01peer batches";

}  // namespace

TxChecker::TxChecker(std::unique_ptr<BatchVerifier> verifier, const Digest& chain_id,
                     SliceId slice, net::NodeMetrics* metrics)
    : verifier_(std::move(verifier)), chain_id_(chain_id), slice_(slice), metrics_(metrics),
      queue_([this](absl::Span<const ByteSpan> txs, absl::Span<Digest> ids,
                    absl::Span<uint8_t> valid) {
        const absl::Time start = absl::Now();
        absl::Status status = verifier_->VerifyTransactions(chain_id_, txs, ids, valid);
        if (metrics_ != nullptr) metrics_->ObserveVerifyBatch(txs.size(), absl::Now() - start);
        return status;
      },
      kPeerBatchesKey) {}

bool TxChecker::Verify(const std::string& key, absl::Span<const ByteSpan> txs,
                       std::vector<Digest>* ids, std::vector<uint8_t>* valid) {
  return queue_.Verify(key, txs, ids, valid);
}

std::vector<AdmitCheck> TxChecker::CheckClientTxs(absl::Span<const ByteSpan> txs,
                                                  const std::string& client) {
  std::vector<AdmitCheck> out(txs.size());
  std::vector<ByteSpan> to_verify;
  std::vector<size_t> where;
  to_verify.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    auto tx = Decode(txs[i]);
    if (!tx.ok()) {
      out[i].code = AdmitCode::kMalformed;
      out[i].reason = std::string(tx.status().message());
      continue;
    }
    out[i].id = ComputeTxId(txs[i]);
    if (tx->slice != slice_) {
      out[i].code = AdmitCode::kWrongSlice;
      out[i].reason = absl::StrCat("slice: transaction is for slice ", tx->slice.value(),
                                   ", this node serves slice ", slice_.value());
      continue;
    }
    if (failed_.Contains(*out[i].id)) {
      out[i].code = AdmitCode::kBadSignature;
      out[i].reason = absl::StrCat(kBadSignaturePrefix, chain_id_.ShortHex(),
                                   " (corrupt, or signed for another network; refused "
                                   "again without verifying)");
      continue;
    }
    to_verify.push_back(txs[i]);
    where.push_back(i);
  }
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  if (metrics_ != nullptr) {
    metrics_->AddSignatureVerifications(net::SignatureKind::kTxAdmission, to_verify.size());
  }
  const bool backend_ok = Verify(client, to_verify, &ids, &valid);
  for (size_t k = 0; k < where.size(); ++k) {
    AdmitCheck& check = out[where[k]];
    if (!backend_ok) {
      check.code = AdmitCode::kBadSignature;
      check.reason = "signature: verifier backend failed";
    } else if (!valid[k]) {
      check.code = AdmitCode::kBadSignature;
      // A signature made for another network (chain id) fails exactly here.
      check.reason = absl::StrCat(kBadSignaturePrefix, chain_id_.ShortHex(),
                                  " (corrupt, or signed for another network)");
      failed_.Insert(ids[k]);
    }
  }
  return out;
}

bool TxChecker::VerifyPeerBatches(absl::Span<const consensus::Batch* const> batches) {
  size_t total = 0;
  for (const consensus::Batch* batch : batches) total += batch->transactions.size();
  std::vector<ByteSpan> spans;
  spans.reserve(total);
  for (const consensus::Batch* batch : batches) {
    for (ByteSpan tx : batch->transactions) {
      if (IsReceiptImport(tx)) {
        if (!import_checker_ || !import_checker_(tx)) return false;
        continue;
      }
      if (!Decode(tx).ok()) return false;
      spans.push_back(tx);
      // A Byzantine peer re-sending a known-bad transaction costs a hash,
      // not a batch verification.
      if (failed_.Contains(ComputeTxId(spans.back()))) return false;
    }
  }
  if (spans.empty()) return true;  // imports only
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  if (metrics_ != nullptr) {
    metrics_->AddSignatureVerifications(net::SignatureKind::kTxPeerBatch, spans.size());
  }
  if (!Verify(kPeerBatchesKey, spans, &ids, &valid)) return false;
  bool all_valid = true;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (!valid[i]) {
      failed_.Insert(ids[i]);
      all_valid = false;
    }
  }
  return all_valid;
}

}  // namespace gridledger::node
