// A SignatureChecker that remembers valid (key, message, signature) triples:
// in a simulation every certificate signature is checked by every validator,
// and this makes all but the first check a hash lookup. Invalid triples are
// never cached, so a corrupted signature is always really verified (and fails).
#ifndef GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_
#define GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_

#include <array>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "core/consensus/signature_checker.h"

namespace gridledger::sim {

class CachingChecker final : public consensus::SignatureChecker {
 public:
  static constexpr size_t kMaxEntries = 1 << 20;

  bool Verify(const PublicKey& key, const Digest& message, const Signature& sig) override {
    const std::array<uint8_t, 128> triple = Triple(key, message, sig);
    if (valid_.contains(triple)) return true;
    ++verifications_;
    if (!SchnorrVerify(key, message, sig)) return false;
    Remember(triple);
    return true;
  }
  void NoteSigned(const PublicKey& key, const Digest& message, const Signature& sig) override {
    Remember(Triple(key, message, sig));
  }
  uint64_t verifications() const { return verifications_; }

 private:
  static std::array<uint8_t, 128> Triple(const PublicKey& key, const Digest& message,
                                         const Signature& sig) {
    std::array<uint8_t, 128> triple;
    std::memcpy(triple.data(), key.data(), 32);
    std::memcpy(triple.data() + 32, message.data(), 32);
    std::memcpy(triple.data() + 64, sig.data(), 64);
    return triple;
  }
  void Remember(const std::array<uint8_t, 128>& triple) {
    if (valid_.size() >= kMaxEntries) valid_.clear();
    valid_.insert(triple);
  }
  absl::flat_hash_set<std::array<uint8_t, 128>> valid_;
  uint64_t verifications_ = 0;
};

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_CACHING_CHECKER_H_
