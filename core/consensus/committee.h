// A slice's committee: n = 3f+1 validators, one unit of stake each. Quorum
// (2f+1) certifies, validity (f+1) guarantees one honest member. The chain id
// (the genesis digest) names the network: it enters every header digest, so
// every signature of a header, vote or certificate, and a message signed for
// another network is refused.
#ifndef GRIDLEDGER_CORE_CONSENSUS_COMMITTEE_H_
#define GRIDLEDGER_CORE_CONSENSUS_COMMITTEE_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/types.h"

namespace gridledger::consensus {

class Committee {
 public:
  // InvalidArgument unless 4 <= keys.size() <= kMaxValidators, keys distinct
  // and n = 3f+1 for some f.
  static absl::StatusOr<Committee> Create(SliceId slice, std::vector<PublicKey> keys,
                                          const Digest& chain_id);

  static constexpr size_t kMaxValidators = 256;

  SliceId slice() const { return slice_; }
  const Digest& chain_id() const { return chain_id_; }
  size_t size() const { return keys_.size(); }
  size_t max_faulty() const { return (keys_.size() - 1) / 3; }
  // 2f+1: certificates, parents, batch availability.
  size_t quorum() const { return 2 * max_faulty() + 1; }
  // f+1: anchor support in Bullshark's commit rule.
  size_t validity() const { return max_faulty() + 1; }
  bool Contains(ValidatorIndex v) const { return v.value() < keys_.size(); }
  const PublicKey& key(ValidatorIndex v) const;
  std::optional<ValidatorIndex> IndexOf(const PublicKey& key) const;
  // Anchors live in even rounds >= 2; round-robin over the committee.
  static bool IsAnchorRound(Round r) { return r.value() >= 2 && r.value() % 2 == 0; }
  ValidatorIndex Leader(Round r) const;

 private:
  Committee(SliceId slice, std::vector<PublicKey> keys, const Digest& chain_id)
      : slice_(slice), keys_(std::move(keys)), chain_id_(chain_id) {}
  SliceId slice_;
  std::vector<PublicKey> keys_;
  Digest chain_id_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_COMMITTEE_H_
