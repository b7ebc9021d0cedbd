#include "net/node/counting_signature_checker.h"

#include <cstring>

#include "core/crypto/schnorr.h"

namespace gridledger::node {

CountingSignatureChecker::Triple CountingSignatureChecker::MakeTriple(
    const PublicKey& key, const Digest& message, const Signature& signature) {
  Triple triple;
  std::memcpy(triple.data(), key.data(), 32);
  std::memcpy(triple.data() + 32, message.data(), 32);
  std::memcpy(triple.data() + 64, signature.data(), 64);
  return triple;
}

bool CountingSignatureChecker::Verify(const PublicKey& key, const Digest& message,
                                      const Signature& signature) {
  const Triple triple = MakeTriple(key, message, signature);
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
  Remember(MakeTriple(key, message, signature));
}

uint64_t CountingSignatureChecker::verifications() const {
  absl::MutexLock lock(&mu_);
  return verifications_;
}

void CountingSignatureChecker::Remember(const Triple& triple) {
  if (!valid_.insert(triple).second) return;
  order_.push_back(triple);
  while (order_.size() > remembered_max_) {
    valid_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace gridledger::node
