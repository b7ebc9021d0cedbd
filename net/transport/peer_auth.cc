#include "net/transport/peer_auth.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger::net {

Bytes EncodePeerAuth(const PeerAuth& auth) {
  Bytes out;
  out.reserve(kPeerAuthBytes);
  ByteWriter writer(&out);
  writer.U8(kPeerAuthVersion);
  writer.Raw(auth.chain_id.span());
  writer.Raw(auth.key.span());
  writer.Raw(auth.signature.span());
  return out;
}

absl::StatusOr<PeerAuth> DecodePeerAuth(ByteSpan bytes) {
  if (bytes.size() != kPeerAuthBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "auth: expected ", kPeerAuthBytes, " bytes, got ", bytes.size()));
  }
  ByteReader reader(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t version, reader.U8("auth.version"));
  if (version != kPeerAuthVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth.version: unsupported version ", version));
  }
  PeerAuth auth;
  GL_ASSIGN_OR_RETURN(auto chain_id, reader.Fixed<Digest::kSize>("auth.chain_id"));
  GL_ASSIGN_OR_RETURN(auto key, reader.Fixed<PublicKey::kSize>("auth.key"));
  GL_ASSIGN_OR_RETURN(auto signature, reader.Fixed<Signature::kSize>("auth.signature"));
  GL_RETURN_IF_ERROR(reader.ExpectEnd("auth"));
  auth.chain_id = Digest(chain_id);
  auth.key = PublicKey(key);
  auth.signature = Signature(signature);
  return auth;
}

Digest PeerAuthDigest(const ChannelBinding& binding, const Digest& chain_id,
                      const PublicKey& signer, const PublicKey& verifier,
                      PeerRole signer_role) {
  Bytes message;
  message.reserve(kChannelBindingBytes + Digest::kSize + 2 * PublicKey::kSize + 1);
  ByteWriter writer(&message);
  writer.Raw(ByteSpan(binding.data(), binding.size()));
  writer.Raw(chain_id.span());
  writer.Raw(signer.span());
  writer.Raw(verifier.span());
  writer.U8(static_cast<uint8_t>(signer_role));
  return TaggedHashCached(kTagPeerAuth, message);
}

PeerAuth SignPeerAuth(const KeyPair& me, const ChannelBinding& binding,
                      const Digest& chain_id, const PublicKey& verifier, PeerRole my_role) {
  // Fresh auxiliary randomness, as BIP-340 recommends for signing.
  std::array<uint8_t, 32> aux;
  GL_CHECK(RAND_bytes(aux.data(), static_cast<int>(aux.size())) == 1);
  PeerAuth auth;
  auth.chain_id = chain_id;
  auth.key = me.public_key();
  auth.signature =
      me.Sign(PeerAuthDigest(binding, chain_id, me.public_key(), verifier, my_role), aux);
  return auth;
}

bool VerifyPeerAuth(const PeerAuth& auth, const ChannelBinding& binding,
                    const Digest& chain_id, const PublicKey& verifier,
                    PeerRole signer_role) {
  return SchnorrVerify(auth.key,
                       PeerAuthDigest(binding, chain_id, auth.key, verifier, signer_role),
                       auth.signature);
}

}  // namespace gridledger::net
