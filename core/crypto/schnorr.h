// BIP-340 Schnorr keys, signing and verification through libsecp256k1.
// One immutable context per process (libsecp256k1's own discipline).
#ifndef GRIDLEDGER_CORE_CRYPTO_SCHNORR_H_
#define GRIDLEDGER_CORE_CRYPTO_SCHNORR_H_

#include <array>

#include "absl/status/statusor.h"
#include "core/common/types.h"

struct secp256k1_context_struct;

namespace gridledger {

using SecretKey = FixedBytes<struct SecretKeyTag, 32>;

// The process-wide verify+sign context, randomized once at first use.
const secp256k1_context_struct* SecpContext();

class KeyPair {
 public:
  // InvalidArgument when the secret is zero or not below the group order.
  static absl::StatusOr<KeyPair> FromSecret(const SecretKey& secret);
  // Fresh key from the OS CSPRNG.
  static KeyPair Generate();
  // Deterministic key for tests and load generation: secret = SHA256(tag||seed) retried.
  static KeyPair FromSeed(uint64_t seed);

  const SecretKey& secret() const { return secret_; }
  const PublicKey& public_key() const { return public_key_; }

  // BIP-340 signature over a 32-byte message; aux is the auxiliary randomness.
  Signature Sign(const Digest& message, const std::array<uint8_t, 32>& aux = {}) const;

 private:
  KeyPair() = default;
  SecretKey secret_;
  PublicKey public_key_;
  std::array<uint8_t, 96> keypair_{};  // secp256k1_keypair, opaque.
};

// libsecp256k1's secp256k1_schnorrsig_verify semantics exactly: false for an
// invalid key (x >= p or not on the curve) as for a bad signature.
bool SchnorrVerify(const PublicKey& key, const Digest& message, const Signature& sig);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_SCHNORR_H_
