// A SignatureChecker that remembers valid (key, message, signature) triples:
// in a simulation every certificate signature is checked by every validator,
// and this makes all but the first check a hash lookup. Invalid triples are
// never cached, so a corrupted signature is always really verified (and fails).
#ifndef GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_
#define GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_

#include "absl/container/flat_hash_set.h"
#include "core/consensus/signature_checker.h"

namespace gridledger::sim {

class CachingChecker final : public consensus::SignatureChecker {
 public:
  static constexpr size_t kMaxEntries = 1 << 20;

  bool Verify(const PublicKey& key, const Digest& message, const Signature& sig) override {
    const consensus::SignatureTriple triple = consensus::MakeSignatureTriple(key, message, sig);
    if (valid_.contains(triple)) return true;
    ++verifications_;
    if (!SchnorrVerify(key, message, sig)) return false;
    Remember(triple);
    return true;
  }
  void NoteSigned(const PublicKey& key, const Digest& message, const Signature& sig) override {
    Remember(consensus::MakeSignatureTriple(key, message, sig));
  }
  uint64_t verifications() const { return verifications_; }

 private:
  void Remember(const consensus::SignatureTriple& triple) {
    if (valid_.size() >= kMaxEntries) valid_.clear();
    valid_.insert(triple);
  }
  absl::flat_hash_set<consensus::SignatureTriple> valid_;
  uint64_t verifications_ = 0;
};

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_
