#include "net/node/tx_checker.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/tx/codec.h"

namespace gridledger::node {

bool TxChecker::VerifyLocked(absl::Span<const ByteSpan> txs, std::vector<Digest>* ids,
                             std::vector<uint8_t>* valid) {
  ids->assign(txs.size(), Digest());
  valid->assign(txs.size(), 0);
  if (txs.empty()) return true;
  const absl::Time start = absl::Now();
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = verifier_->VerifyTransactions(chain_id_, txs, absl::MakeSpan(*ids),
                                           absl::MakeSpan(*valid));
  }
  if (metrics_ != nullptr) metrics_->ObserveVerifyBatch(txs.size(), absl::Now() - start);
  return status.ok();
}

std::vector<AdmitCheck> TxChecker::CheckClientTxs(absl::Span<const ByteSpan> txs) {
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
    to_verify.push_back(txs[i]);
    where.push_back(i);
  }
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  const bool backend_ok = VerifyLocked(to_verify, &ids, &valid);
  for (size_t k = 0; k < where.size(); ++k) {
    AdmitCheck& check = out[where[k]];
    if (!backend_ok) {
      check.code = AdmitCode::kBadSignature;
      check.reason = "signature: verifier backend failed";
    } else if (!valid[k]) {
      check.code = AdmitCode::kBadSignature;
      // A signature made for another network (chain id) fails exactly here.
      check.reason = absl::StrCat("signature: does not verify under the sender key for chain ",
                                  chain_id_.ShortHex(),
                                  " (corrupt, or signed for another network)");
    }
  }
  return out;
}

bool TxChecker::VerifyPeerBatch(const consensus::Batch& batch) {
  std::vector<ByteSpan> spans;
  spans.reserve(batch.transactions.size());
  for (const Bytes& tx : batch.transactions) {
    if (!Decode(tx).ok()) return false;
    spans.push_back(ByteSpan(tx.data(), tx.size()));
  }
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  if (!VerifyLocked(spans, &ids, &valid)) return false;
  for (uint8_t v : valid) {
    if (!v) return false;
  }
  return true;
}

}  // namespace gridledger::node
