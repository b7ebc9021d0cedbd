#include "net/transport/handshake.h"

#include <openssl/rand.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger::net {

HandshakeNonce RandomHandshakeNonce() {
  HandshakeNonce nonce;
  GL_CHECK(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1);
  return nonce;
}

Bytes EncodeHello(const Hello& hello) {
  Bytes out;
  out.reserve(kHelloBytes);
  ByteWriter writer(&out);
  writer.U8(kHandshakeVersion);
  writer.Raw(ByteSpan(hello.nonce.data(), hello.nonce.size()));
  writer.Raw(hello.key.span());
  return out;
}

absl::StatusOr<Hello> DecodeHello(ByteSpan bytes) {
  if (bytes.size() != kHelloBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hello: expected ", kHelloBytes, " bytes, got ", bytes.size()));
  }
  ByteReader reader(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t version, reader.U8("hello.version"));
  if (version != kHandshakeVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello.version: unsupported version ", version));
  }
  Hello hello;
  GL_ASSIGN_OR_RETURN(hello.nonce, reader.Fixed<kHandshakeNonceBytes>("hello.nonce"));
  GL_ASSIGN_OR_RETURN(auto key, reader.Fixed<PublicKey::kSize>("hello.key"));
  hello.key = PublicKey(key);
  GL_RETURN_IF_ERROR(reader.ExpectEnd("hello"));
  return hello;
}

Bytes EncodeAuth(const Signature& signature) {
  return Bytes(signature.bytes.begin(), signature.bytes.end());
}

absl::StatusOr<Signature> DecodeAuth(ByteSpan bytes) {
  if (bytes.size() != kAuthBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "auth: expected ", kAuthBytes, " bytes, got ", bytes.size()));
  }
  return Signature::FromSpan(bytes);
}

Digest HandshakeDigest(const HandshakeNonce& challenge_nonce,
                       const HandshakeNonce& signer_nonce, const PublicKey& signer,
                       const PublicKey& verifier) {
  Bytes message;
  message.reserve(2 * kHandshakeNonceBytes + 2 * PublicKey::kSize);
  ByteWriter writer(&message);
  writer.Raw(ByteSpan(challenge_nonce.data(), challenge_nonce.size()));
  writer.Raw(ByteSpan(signer_nonce.data(), signer_nonce.size()));
  writer.Raw(signer.span());
  writer.Raw(verifier.span());
  return TaggedHashCached(kTagHandshake, message);
}

Signature SignHandshake(const KeyPair& me, const Hello& own, const Hello& theirs) {
  GL_CHECK(me.public_key() == own.key);
  // Fresh auxiliary randomness, as BIP-340 recommends for signing.
  const HandshakeNonce aux = RandomHandshakeNonce();
  return me.Sign(HandshakeDigest(theirs.nonce, own.nonce, own.key, theirs.key), aux);
}

bool VerifyHandshake(const Hello& own, const Hello& theirs, const Signature& signature) {
  return SchnorrVerify(theirs.key,
                       HandshakeDigest(own.nonce, theirs.nonce, theirs.key, own.key),
                       signature);
}

}  // namespace gridledger::net
