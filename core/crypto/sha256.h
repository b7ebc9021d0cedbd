// SHA-256 (OpenSSL) and BIP-340 style tagged hashes:
// TaggedHash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m).
#ifndef GRIDLEDGER_CORE_CRYPTO_SHA256_H_
#define GRIDLEDGER_CORE_CRYPTO_SHA256_H_

#include <memory>
#include "absl/strings/string_view.h"

#include "core/common/bytes.h"
#include "core/common/types.h"

namespace gridledger {

Digest Sha256(ByteSpan data);

// Incremental SHA-256. A tagged hasher starts from the precomputed midstate of
// the 64-byte tag prefix, so each message pays only for its own bytes.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher& other);
  Sha256Hasher& operator=(const Sha256Hasher& other);
  // A hasher already fed SHA256(tag) || SHA256(tag).
  static Sha256Hasher Tagged(absl::string_view tag);
  Sha256Hasher& Update(ByteSpan data);
  Digest Finish();

 private:
  friend Digest TaggedHashCached(absl::string_view tag, ByteSpan data);
  struct State;
  std::unique_ptr<State> state_;
};

Digest TaggedHash(absl::string_view tag, ByteSpan data);

// Domain tags used across the ledger. A tag never changes once released.
inline constexpr absl::string_view kTagTxSign = "gridledger/tx/sign";
inline constexpr absl::string_view kTagTxId = "gridledger/tx/id";
inline constexpr absl::string_view kTagBatch = "gridledger/batch";
inline constexpr absl::string_view kTagHeader = "gridledger/header";
inline constexpr absl::string_view kTagVote = "gridledger/vote";
// A vote that vouches for storage only, not for the batches' signatures.
inline constexpr absl::string_view kTagAvailabilityVote = "gridledger/vote/available";
// Retired: the 108-byte checkpoints before the commit digest; kept so it is
// never reused (their signatures must not verify as anything now).
inline constexpr absl::string_view kTagCheckpoint = "gridledger/checkpoint";
// Checkpoints with the commit digest (core/consensus/checkpoint.h).
inline constexpr absl::string_view kTagCheckpointV2 = "gridledger/checkpoint/v2";
// The consensus position a commit leaves (CommitPositionDigest).
inline constexpr absl::string_view kTagCommitPosition = "gridledger/checkpoint/commit";

// Cached tagged hasher (midstate computed once per process per tag).
Digest TaggedHashCached(absl::string_view tag, ByteSpan data);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_SHA256_H_
