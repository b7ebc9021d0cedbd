// Validator authentication bound to one TLS 1.3 session (DESIGN.md §7).
//
// The TLS certificates are ephemeral and never verified: TLS only gives
// confidentiality and integrity. Identity comes from one Auth message per
// side, sent through TLS right after its handshake:
//   version u8 | chain_id 32 | signer key 32 | BIP-340 signature 64  (129 bytes)
// The signature is over PeerAuthDigest = TaggedHash("gridledger/peer-auth",
//   binding 32 || chain_id 32 || signer key 32 || verifier key 32 || signer role u8)
// where binding is the session's TLS exporter value (RFC 8446 §7.5). Both TLS
// ends derive the same binding, and no other session does, so an Auth relayed
// or replayed onto another TLS session never verifies there; the role byte
// stops a client Auth being reflected as a server Auth. The client sends
// first; the server answers only after verifying it, so a server never signs
// anything for a peer that has not proved a committee key.
#ifndef GRIDLEDGER_NET_TRANSPORT_PEER_AUTH_H_
#define GRIDLEDGER_NET_TRANSPORT_PEER_AUTH_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"

namespace gridledger::net {

inline constexpr uint8_t kPeerAuthVersion = 1;
inline constexpr size_t kChannelBindingBytes = 32;
inline constexpr size_t kPeerAuthBytes =
    1 + Digest::kSize + PublicKey::kSize + Signature::kSize;
inline constexpr absl::string_view kTagPeerAuth = "gridledger/peer-auth";
// RFC 8446 §7.5 / RFC 5705 exporter label (the "EXPORTER-" prefix marks a
// label outside the IANA registry).
inline constexpr absl::string_view kPeerAuthExporterLabel = "EXPORTER-gridledger-peer-auth";

// The TLS exporter value of one session.
using ChannelBinding = std::array<uint8_t, kChannelBindingBytes>;

// The TLS role of the signer.
enum class PeerRole : uint8_t { kClient = 0, kServer = 1 };

struct PeerAuth {
  Digest chain_id;
  PublicKey key;  // the signer's validator key
  Signature signature;
};

Bytes EncodePeerAuth(const PeerAuth& auth);
// Strict: exactly kPeerAuthBytes, known version. InvalidArgument names the field.
absl::StatusOr<PeerAuth> DecodePeerAuth(ByteSpan bytes);

Digest PeerAuthDigest(const ChannelBinding& binding, const Digest& chain_id,
                      const PublicKey& signer, const PublicKey& verifier,
                      PeerRole signer_role);

// Our Auth for `verifier` on the session with `binding`.
PeerAuth SignPeerAuth(const KeyPair& me, const ChannelBinding& binding,
                      const Digest& chain_id, const PublicKey& verifier, PeerRole my_role);

// True when auth.signature is auth.key's signature for us (`verifier`) on this
// session and chain. The caller checks chain_id and key membership first, to
// give a precise reason.
bool VerifyPeerAuth(const PeerAuth& auth, const ChannelBinding& binding,
                    const Digest& chain_id, const PublicKey& verifier,
                    PeerRole signer_role);

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_TRANSPORT_PEER_AUTH_H_
