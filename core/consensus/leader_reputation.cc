#include "core/consensus/leader_reputation.h"

#include "core/common/check.h"

namespace gridledger::consensus {

LeaderReputation::LeaderReputation(uint32_t committee_size, uint32_t max_suspects,
                                   uint32_t misses_to_suspect)
    : max_suspects_(max_suspects),
      misses_to_suspect_(misses_to_suspect),
      misses_(committee_size, 0),
      suspected_(committee_size, false) {
  GL_CHECK(committee_size > 0);
}

uint64_t LeaderReputation::WaitMs(ValidatorIndex leader, uint64_t full_ms) const {
  GL_CHECK(leader.value() < suspected_.size());
  return suspected_[leader.value()] ? 0 : full_ms;
}

void LeaderReputation::OnTimedOut(ValidatorIndex leader) {
  GL_CHECK(leader.value() < misses_.size());
  const uint32_t i = leader.value();
  ++misses_[i];
  if (misses_to_suspect_ == 0 || suspected_[i] || misses_[i] < misses_to_suspect_) return;
  if (suspects_ >= max_suspects_) return;  // keep at least n - f leaders waited for
  suspected_[i] = true;
  ++suspects_;
}

void LeaderReputation::OnCurrent(ValidatorIndex author) {
  GL_CHECK(author.value() < misses_.size());
  const uint32_t i = author.value();
  misses_[i] = 0;
  if (suspected_[i]) {
    suspected_[i] = false;
    --suspects_;
  }
}

}  // namespace gridledger::consensus
