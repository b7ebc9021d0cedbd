#include "core/crypto/schnorr.h"

#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cstring>

#include "core/common/check.h"
#include "core/crypto/xonly_key_cache.h"
#include "core/crypto/sha256.h"

namespace gridledger {

static_assert(sizeof(secp256k1_keypair) == 96);

const secp256k1_context* SecpContext() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    unsigned char seed[32];
    GL_CHECK(RAND_bytes(seed, sizeof(seed)) == 1);
    GL_CHECK(secp256k1_context_randomize(c, seed) == 1);
    return c;
  }();
  return ctx;
}

absl::StatusOr<KeyPair> KeyPair::FromSecret(const SecretKey& secret) {
  KeyPair kp;
  secp256k1_keypair pair;
  if (secp256k1_keypair_create(SecpContext(), &pair, secret.data()) != 1) {
    return absl::InvalidArgumentError("secret key: zero or not below the group order");
  }
  secp256k1_xonly_pubkey xonly;
  GL_CHECK(secp256k1_keypair_xonly_pub(SecpContext(), &xonly, nullptr, &pair) == 1);
  GL_CHECK(secp256k1_xonly_pubkey_serialize(SecpContext(), kp.public_key_.data(), &xonly) == 1);
  kp.secret_ = secret;
  std::memcpy(kp.keypair_.data(), &pair, sizeof(pair));
  return kp;
}

KeyPair KeyPair::Generate() {
  for (;;) {
    SecretKey secret;
    GL_CHECK(RAND_bytes(secret.data(), 32) == 1);
    auto kp = FromSecret(secret);
    if (kp.ok()) return *kp;
  }
}

KeyPair KeyPair::FromSeed(uint64_t seed) {
  for (uint64_t attempt = 0;; ++attempt) {
    Bytes material;
    ByteWriter w(&material);
    w.U64(seed);
    w.U64(attempt);
    Digest d = TaggedHash("gridledger/test-key", material);
    auto kp = FromSecret(SecretKey(d.bytes));
    if (kp.ok()) return *kp;
  }
}

Signature KeyPair::Sign(const Digest& message, const std::array<uint8_t, 32>& aux) const {
  secp256k1_keypair pair;
  std::memcpy(&pair, keypair_.data(), sizeof(pair));
  Signature sig;
  GL_CHECK(secp256k1_schnorrsig_sign32(SecpContext(), sig.data(), message.data(), &pair,
                                       aux.data()) == 1);
  return sig;
}

bool SchnorrVerify(const PublicKey& key, const Digest& message, const Signature& sig) {
  secp256k1_xonly_pubkey xonly;
  if (!ParseXOnlyKeyCached(key, &xonly)) return false;
  return secp256k1_schnorrsig_verify(SecpContext(), sig.data(), message.data(), 32, &xonly) == 1;
}

}  // namespace gridledger
