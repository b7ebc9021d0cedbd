// The one place the consensus core checks a BIP-340 signature. The node runtime
// uses SchnorrChecker; the simulator wraps it with a cache of verified triples so
// thousands of seeds stay fast (each certificate signature is checked by every
// validator, but only once per process).
#ifndef GRIDLEDGER_CORE_CONSENSUS_SIGNATURE_CHECKER_H_
#define GRIDLEDGER_CORE_CONSENSUS_SIGNATURE_CHECKER_H_

#include <array>
#include <cstdint>
#include <cstring>

#include "core/common/types.h"
#include "core/crypto/schnorr.h"

namespace gridledger::consensus {

class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;
  // libsecp256k1's secp256k1_schnorrsig_verify semantics.
  virtual bool Verify(const PublicKey& key, const Digest& message,
                      const Signature& signature) = 0;
  // A signature this validator just made (its vote): a checker that
  // remembers valid triples may skip verifying it when a certificate
  // carries it back. Default: nothing.
  virtual void NoteSigned(const PublicKey& /*key*/, const Digest& /*message*/,
                          const Signature& /*signature*/) {}
};

// key | message | signature: one check's identity, for checkers that
// remember the valid ones (the node's, the simulator's).
using SignatureTriple = std::array<uint8_t, 128>;
inline SignatureTriple MakeSignatureTriple(const PublicKey& key, const Digest& message,
                                           const Signature& signature) {
  SignatureTriple triple;
  std::memcpy(triple.data(), key.data(), 32);
  std::memcpy(triple.data() + 32, message.data(), 32);
  std::memcpy(triple.data() + 64, signature.data(), 64);
  return triple;
}

class SchnorrChecker final : public SignatureChecker {
 public:
  bool Verify(const PublicKey& key, const Digest& message,
              const Signature& signature) override {
    return SchnorrVerify(key, message, signature);
  }
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_SIGNATURE_CHECKER_H_
