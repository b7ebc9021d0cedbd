#include "net/node/counting_signature_checker.h"

#include "core/crypto/schnorr.h"

namespace gridledger::node {

bool CountingSignatureChecker::Verify(const PublicKey& key, const Digest& message,
                                      const Signature& signature) {
  const consensus::SignatureTriple triple = consensus::MakeSignatureTriple(key, message, signature);
  {
    absl::MutexLock lock(&mu_);
    if (valid_.contains(triple)) return true;
    ++verifications_;
  }
  if (metrics_ != nullptr) metrics_->AddSignatureVerifications(net::SignatureKind::kConsensus, 1);
  // Outside the lock: other threads' lookups do not wait for a verification.
  if (!SchnorrVerify(key, message, signature)) return false;
  absl::MutexLock lock(&mu_);
  Remember(triple);
  return true;
}

void CountingSignatureChecker::NoteSigned(const PublicKey& key, const Digest& message,
                                          const Signature& signature) {
  absl::MutexLock lock(&mu_);
  Remember(consensus::MakeSignatureTriple(key, message, signature));
}

uint64_t CountingSignatureChecker::verifications() const {
  absl::MutexLock lock(&mu_);
  return verifications_;
}

void CountingSignatureChecker::Remember(const consensus::SignatureTriple& triple) {
  if (!valid_.insert(triple).second) return;
  order_.push_back(triple);
  while (order_.size() > remembered_max_) {
    valid_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace gridledger::node
