#include "net/node/tx_checker.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/check.h"
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
                     SliceId slice, net::NodeMetrics* metrics, TxCheckerOptions options)
    : verifier_(std::move(verifier)), peer_verifier_(std::move(options.peer_verifier)),
      chain_id_(chain_id), slice_(slice), metrics_(metrics),
      queue_([this](absl::Span<const ByteSpan> txs, absl::Span<Digest> ids,
                    absl::Span<uint8_t> valid) { return VerifyOn(*verifier_, txs, ids, valid); },
             kPeerBatchesKey, options.client_nice_increment) {
  GL_CHECK(peer_verifier_ != nullptr || options.client_nice_increment == 0);
}

absl::Status TxChecker::VerifyOn(BatchVerifier& backend, absl::Span<const ByteSpan> txs,
                                 absl::Span<Digest> ids, absl::Span<uint8_t> valid) {
  const absl::Time start = absl::Now();
  absl::Status status = backend.VerifyTransactions(chain_id_, txs, ids, valid);
  if (metrics_ != nullptr) metrics_->ObserveVerifyBatch(txs.size(), absl::Now() - start);
  return status;
}

bool TxChecker::Verify(const std::string& key, absl::Span<const ByteSpan> txs,
                       std::vector<Digest>* ids, std::vector<uint8_t>* valid) {
  return queue_.Verify(key, txs, ids, valid);
}

std::unique_ptr<TxChecker::ClientCheck> TxChecker::DecodeClientTxs(
    absl::Span<const ByteSpan> txs, DuplicateCheck duplicates) {
  auto check = std::make_unique<ClientCheck>();
  std::vector<AdmitCheck>& out = check->out;
  out.resize(txs.size());
  check->to_verify.reserve(txs.size());
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
    check->to_verify.push_back(txs[i]);
    check->where.push_back(i);
  }
  if (!check->where.empty()) {
    std::vector<TxId> ids;
    ids.reserve(check->where.size());
    for (size_t i : check->where) ids.push_back(*out[i].id);
    std::vector<std::string> reasons(ids.size());
    duplicates(ids, &reasons);
    // Known ones are answered now; the rest keep their order.
    size_t kept = 0;
    for (size_t k = 0; k < ids.size(); ++k) {
      const size_t i = check->where[k];
      if (!reasons[k].empty()) {
        out[i].code = AdmitCode::kDuplicate;
        out[i].reason = std::move(reasons[k]);
        continue;
      }
      check->to_verify[kept] = check->to_verify[k];
      check->where[kept] = i;
      ++kept;
    }
    check->to_verify.resize(kept);
    check->where.resize(kept);
  }
  if (metrics_ != nullptr) {
    metrics_->AddSignatureVerifications(net::SignatureKind::kTxAdmission,
                                        check->to_verify.size());
  }
  return check;
}

std::vector<AdmitCheck> TxChecker::FinishClientCheck(ClientCheck& check, bool backend_ok) {
  for (size_t k = 0; k < check.where.size(); ++k) {
    AdmitCheck& c = check.out[check.where[k]];
    if (!backend_ok) {
      c.code = AdmitCode::kBadSignature;
      c.reason = "signature: verifier backend failed";
    } else if (!check.valid[k]) {
      c.code = AdmitCode::kBadSignature;
      // A signature made for another network (chain id) fails exactly here.
      c.reason = absl::StrCat(kBadSignaturePrefix, chain_id_.ShortHex(),
                              " (corrupt, or signed for another network)");
      failed_.Insert(check.ids[k]);
    }
  }
  return std::move(check.out);
}

std::vector<AdmitCheck> TxChecker::CheckClientTxs(absl::Span<const ByteSpan> txs,
                                                  const std::string& client,
                                                  DuplicateCheck duplicates) {
  std::unique_ptr<ClientCheck> check = DecodeClientTxs(txs, duplicates);
  const bool backend_ok = Verify(client, check->to_verify, &check->ids, &check->valid);
  return FinishClientCheck(*check, backend_ok);
}

void TxChecker::CheckClientTxsAsync(absl::Span<const ByteSpan> txs, const std::string& client,
                                    ChecksDone done, DuplicateCheck duplicates) {
  std::unique_ptr<ClientCheck> check = DecodeClientTxs(txs, duplicates);
  ClientCheck* c = check.get();
  queue_.VerifyAsync(client, c->to_verify, &c->ids, &c->valid,
                     [this, check = std::move(check), done = std::move(done)](bool ok) mutable {
                       std::move(done)(FinishClientCheck(*check, ok));
                     });
}

bool TxChecker::VerifyPeerBatches(absl::Span<const consensus::Batch* const> batches) {
  size_t total = 0;
  for (const consensus::Batch* batch : batches) total += batch->transactions.size();
  std::vector<ByteSpan> spans;
  spans.reserve(total);
  // The verifier hashes every id anyway: hash before it only when a failed
  // id could match (one SHA-256 per transaction per peer batch otherwise).
  const bool any_failed = failed_.size() > 0;
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
      if (any_failed && failed_.Contains(ComputeTxId(spans.back()))) return false;
    }
  }
  if (spans.empty()) return true;  // imports only
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  if (metrics_ != nullptr) {
    metrics_->AddSignatureVerifications(net::SignatureKind::kTxPeerBatch, spans.size());
  }
  if (peer_verifier_ != nullptr) {
    ids.resize(spans.size());
    valid.resize(spans.size());
    absl::MutexLock lock(&peer_mu_);
    if (!VerifyOn(*peer_verifier_, spans, absl::MakeSpan(ids), absl::MakeSpan(valid)).ok()) {
      return false;
    }
  } else if (!Verify(kPeerBatchesKey, spans, &ids, &valid)) {
    return false;
  }
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
