#include "core/consensus/committee.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "core/common/check.h"

namespace gridledger::consensus {

absl::StatusOr<Committee> Committee::Create(SliceId slice, std::vector<PublicKey> keys,
                                            const Digest& chain_id) {
  const size_t n = keys.size();
  if (n < 4 || n > kMaxValidators || (n - 1) % 3 != 0) {
    return absl::InvalidArgumentError("committee: size must be 3f+1 in [4, " +
                                      std::to_string(kMaxValidators) + "], got " +
                                      std::to_string(n));
  }
  absl::flat_hash_set<PublicKey> seen;
  for (const PublicKey& k : keys) {
    if (!seen.insert(k).second) {
      return absl::InvalidArgumentError("committee: duplicate key " + k.ShortHex());
    }
  }
  return Committee(slice, std::move(keys), chain_id);
}

const PublicKey& Committee::key(ValidatorIndex v) const {
  GL_CHECK(Contains(v));
  return keys_[v.value()];
}

std::optional<ValidatorIndex> Committee::IndexOf(const PublicKey& key) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return ValidatorIndex(static_cast<uint32_t>(i));
  }
  return std::nullopt;
}

ValidatorIndex Committee::Leader(Round r) const {
  GL_CHECK(IsAnchorRound(r));
  return ValidatorIndex(static_cast<uint32_t>((r.value() / 2) % keys_.size()));
}

}  // namespace gridledger::consensus
