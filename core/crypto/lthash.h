// LtHash16 (Bellare-Micciancio's additive multiset hash, in the 1024 x u16
// lane shape of Lewi et al., "Securing Update Propagation with Homomorphic
// Hashing", 2019): a set of byte strings hashes to the lane-wise sum mod 2^16
// of each element's expansion. Adding or removing one element costs one
// expansion whatever the set's size, and the sum does not depend on order, so
// a store can keep the hash of its whole contents up to date per write and a
// snapshot can be hashed from scratch to the same value.
//
// Expansion: seed = TaggedHash(kTagLtHashElement, element); the lanes are the
// first 2048 bytes of the ChaCha20 keystream (RFC 8439) keyed by the seed,
// block counter and nonce 0, read as little-endian u16 (about 2 us per
// element, a third of SHA-256 in counter mode). The expansion is part of
// every state root: changing it is a format change for every store.
#ifndef GRIDLEDGER_CORE_CRYPTO_LTHASH_H_
#define GRIDLEDGER_CORE_CRYPTO_LTHASH_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/common/types.h"

namespace gridledger {

inline constexpr absl::string_view kTagLtHashElement = "gridledger/lthash16/element";
inline constexpr absl::string_view kTagLtHashDigest = "gridledger/lthash16/digest";

class LtHash16 {
 public:
  static constexpr size_t kLanes = 1024;
  static constexpr size_t kBytes = kLanes * 2;

  // The hash of the empty set (all lanes zero).
  LtHash16() { lanes_.fill(0); }
  // From Serialize()'s bytes; InvalidArgument unless exactly kBytes.
  static absl::StatusOr<LtHash16> Parse(ByteSpan bytes);

  void Add(ByteSpan element);
  // Removing an element that was never added leaves a hash no set has.
  void Remove(ByteSpan element);
  // The same for an element given as the concatenation of `parts`, which
  // are hashed in place (the element is never assembled).
  void AddParts(absl::Span<const ByteSpan> parts);
  void RemoveParts(absl::Span<const ByteSpan> parts);
  // RemoveParts(old_parts) then AddParts(new_parts), in one pass over the
  // lanes: an entry overwritten.
  void ReplaceParts(absl::Span<const ByteSpan> old_parts, absl::Span<const ByteSpan> new_parts);
  void Add(const LtHash16& other);
  void Remove(const LtHash16& other);

  // Lanes as little-endian u16, kBytes.
  Bytes Serialize() const;
  // TaggedHash(kTagLtHashDigest, Serialize()): the 32-byte commitment.
  Digest Root() const;
  bool operator==(const LtHash16&) const = default;

 private:
  std::array<uint16_t, kLanes> lanes_;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_LTHASH_H_
