// Test helper: a 4-validator committee with known keys that signs checkpoint
// votes (core/consensus/checkpoint.h). Shared by the codec and pool tests.
#ifndef GRIDLEDGER_TESTS_CORE_CONSENSUS_CHECKPOINT_FIXTURE_H_
#define GRIDLEDGER_TESTS_CORE_CONSENSUS_CHECKPOINT_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/common/check.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"

namespace gridledger::consensus::testing {

inline Digest D(uint8_t seed) { return Sha256(ByteSpan(&seed, 1)); }

class CheckpointSigners {
 public:
  // Keys from seeds key_seed..key_seed+3; chain id D(1).
  CheckpointSigners(SliceId slice, uint64_t key_seed) : slice_(slice) {
    std::vector<PublicKey> keys;
    for (uint64_t i = 0; i < 4; ++i) {
      keys_.push_back(KeyPair::FromSeed(key_seed + i));
      keys.push_back(keys_.back().public_key());
    }
    auto committee = Committee::Create(slice, keys, D(1));
    GL_CHECK(committee.ok());
    committee_ = std::make_unique<Committee>(std::move(*committee));
  }

  CheckpointVote Vote(uint32_t signer, uint64_t sequence, const Digest& root,
                      const Digest& chain_id = D(1)) const {
    CheckpointVote v;
    v.checkpoint = Checkpoint{chain_id, slice_, sequence, root, Digest(), D(2)};
    v.signer = ValidatorIndex(signer);
    v.signature = keys_[signer].Sign(CheckpointDigest(v.checkpoint));
    return v;
  }
  const KeyPair& key(uint32_t i) const { return keys_[i]; }
  const Committee& committee() const { return *committee_; }

 private:
  SliceId slice_;
  std::vector<KeyPair> keys_;
  std::unique_ptr<Committee> committee_;
};

}  // namespace gridledger::consensus::testing

#endif  // GRIDLEDGER_TESTS_CORE_CONSENSUS_CHECKPOINT_FIXTURE_H_
