// The authenticated handshake that opens every peer connection.
//
// Both sides send, as ordinary frames and without waiting for each other:
//   1. Hello: version u8 | nonce 32 | claimed validator key 32   (65 bytes)
//   2. Auth, once the other side's Hello is read: a BIP-340 signature (64 bytes)
//      over HandshakeDigest(their nonce, own nonce, own key, their key).
// The receiver refuses a key outside its committee before any signature work,
// and a signature that does not verify. Binding both fresh nonces and both keys
// (signer first) means a signature cannot be replayed on another connection or
// reflected back to its signer.
#ifndef GRIDLEDGER_NET_TRANSPORT_HANDSHAKE_H_
#define GRIDLEDGER_NET_TRANSPORT_HANDSHAKE_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"

namespace gridledger::net {

inline constexpr uint8_t kHandshakeVersion = 1;
inline constexpr size_t kHandshakeNonceBytes = 32;
inline constexpr size_t kHelloBytes = 1 + kHandshakeNonceBytes + PublicKey::kSize;
inline constexpr size_t kAuthBytes = Signature::kSize;
// No handshake frame is longer; a longer length prefix ends the handshake.
inline constexpr size_t kMaxHandshakeFrameBytes = kHelloBytes;

using HandshakeNonce = std::array<uint8_t, kHandshakeNonceBytes>;

struct Hello {
  HandshakeNonce nonce{};
  PublicKey key;
};

// A fresh nonce from the OS CSPRNG.
HandshakeNonce RandomHandshakeNonce();

Bytes EncodeHello(const Hello& hello);
// Strict: exactly kHelloBytes, known version. InvalidArgument names the field.
absl::StatusOr<Hello> DecodeHello(ByteSpan bytes);

Bytes EncodeAuth(const Signature& signature);
// Strict: exactly kAuthBytes.
absl::StatusOr<Signature> DecodeAuth(ByteSpan bytes);

// TaggedHash(kTagHandshake, challenge_nonce || signer_nonce || signer || verifier).
Digest HandshakeDigest(const HandshakeNonce& challenge_nonce,
                       const HandshakeNonce& signer_nonce, const PublicKey& signer,
                       const PublicKey& verifier);

// Our Auth signature answering their Hello. `own.key` must be `me`'s key.
Signature SignHandshake(const KeyPair& me, const Hello& own, const Hello& theirs);

// True when `signature` is their valid answer to our Hello.
bool VerifyHandshake(const Hello& own, const Hello& theirs, const Signature& signature);

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_TRANSPORT_HANDSHAKE_H_
