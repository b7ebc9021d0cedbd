// Binary codec of the transaction envelope (layout in core/tx/transaction.h).
//
// Encoding is a pure function of the struct. Decoding is strict: every input
// that Decode accepts re-encodes to exactly the same bytes, and every reject
// is InvalidArgument whose message starts with its class and names the field:
//   "too large: ..."          input longer than kTxMaxBytes
//   "truncated: <field> ..."  input ends inside <field>
//   "trailing bytes: ..."     bytes after the signature
//   "unknown version: ..."    version != kTxVersion
//   "unknown kind: ..."       kind byte not a TxKind
//   "out of range: <field> ..."   value outside its domain (amount 0, ...)
//   "non-canonical: <field> ..."  a value another encoding would say better
//                                 (stray bytes in an unused field, self-transfer)
// Structural errors win: a truncated input reports truncation even when an
// earlier field is also out of range. Decode does not check the signature;
// that is BatchVerifier::VerifyTransactions' job. It does check that every
// non-sender key in a body lies on the curve (one field square root each,
// ~5 us, most of Decode's cost; see bench/codec_benchmark.cc).
#ifndef GRIDLEDGER_CORE_TX_CODEC_H_
#define GRIDLEDGER_CORE_TX_CODEC_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/transaction.h"

namespace gridledger {

// Body size of each kind in bytes (fixed per kind).
size_t TxBodyBytes(TxKind kind);
// Signed envelope size of each kind: header + body + signature.
size_t TxEncodedBytes(TxKind kind);

// "transfer", "TRANSFER", "meter_reading", "meter-reading" ... → kind.
std::optional<TxKind> TxKindFromName(absl::string_view name);

// Everything before the signature: the bytes the signature commits to.
Bytes EncodeUnsigned(const Transaction& tx);
// The signed envelope: EncodeUnsigned(tx) followed by tx.signature.
Bytes Encode(const Transaction& tx);

// Strict decode of a signed envelope (see the top of this file).
absl::StatusOr<Transaction> Decode(ByteSpan bytes);

// Decode for the bytes of a CERTIFIED batch (execution): every rule but the
// curve check of body keys, which costs a parsed-key lookup each. A batch is
// certified only with f+1 verified votes, each from a validator that ran
// Decode on every transaction (or held a certificate proving it); with at
// most f faulty one of them is honest, and the check is a pure function of
// the bytes, so it already held. Every honest node
// decodes certified bytes alike, so execution stays deterministic.
absl::StatusOr<Transaction> DecodeCertified(ByteSpan bytes);

// The same rules for the output of EncodeUnsigned (no signature; the result's
// signature is all-zero). Used by tools that sign a prepared envelope.
absl::StatusOr<Transaction> DecodeUnsigned(ByteSpan bytes);

// The value rules Decode applies after parsing, for a struct built in memory
// (e.g. by the CLI) before it is signed. OK iff Decode(Encode(tx)) == tx.
absl::Status ValidateTransaction(const Transaction& tx);

// The tag of the signing hash: kTagTxSign, "/", the chain id in lowercase hex.
// Binding the chain in the tag (not in the message) keeps the tag prefix one
// SHA-256 block, so every backend still hashes from a cached midstate: the GPU
// context just carries the chain's midstate. Built on the stack (hot path).
class TxSignTag {
 public:
  explicit TxSignTag(const Digest& chain_id);
  absl::string_view view() const { return {chars_.data(), chars_.size()}; }

 private:
  std::array<char, kTagTxSign.size() + 1 + 2 * Digest::kSize> chars_;
};

// The 32-byte message the sender signs:
// TaggedHash(TxSignTag(chain_id), unsigned bytes).
Digest SigningHash(const Digest& chain_id, ByteSpan unsigned_bytes);
// The transaction id: TaggedHash(kTagTxId, signed bytes).
TxId ComputeTxId(ByteSpan signed_bytes);
// ComputeTxId(Encode(tx)).
TxId TransactionId(const Transaction& tx);

// Sets tx->signature to a BIP-340 signature by `key` over
// SigningHash(chain_id, EncodeUnsigned(*tx)). tx->sender must already equal
// key.public_key() (misuse: assertion). The default all-zero aux makes the
// signature, hence the id, deterministic; BIP-340 nonces stay secret because
// they are derived from the secret key and the message.
void SignTransaction(Transaction* tx, const KeyPair& key, const Digest& chain_id,
                     const std::array<uint8_t, 32>& aux = {});

// True when tx.signature verifies under tx.sender for network `chain_id`
// (libsecp256k1 semantics).
bool VerifyTransactionSignature(const Transaction& tx, const Digest& chain_id);

// Human-readable form, one "name: value" line per field (used by
// `gridledger tx decode`). Does not include the id or verification result.
std::string DescribeTransaction(const Transaction& tx);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_TX_CODEC_H_
