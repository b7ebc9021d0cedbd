// How long this validator waits for each anchor (Shoal's leader reputation,
// applied to the wait rather than to the schedule).
//
// Bullshark waits up to leader_timeout_ms in an anchor round for the round's
// leader before advancing without it. A crashed or chronically slow leader
// thus stalls every one of its anchor rounds by the full timeout. Here each
// validator remembers, locally, which leaders it recently had to time out on:
// after `misses_to_suspect` consecutive timeouts a leader is suspected and
// its rounds advance as soon as 2f+1 certificates are there. A certificate of
// the suspect that arrives while it is still current (its round is at most
// one behind ours) clears the suspicion, so a restarted or recovered leader
// is waited for again from its next anchor round.
//
// Why this is safe: the commit rule and the leader schedule are untouched;
// only how long a correct validator waits changes, which Bullshark's safety
// never depends on. Why it stays live: at most f leaders are suspected at
// once (a further miss does not suspect another), so at least f+1 anchors
// per n anchor rounds are always waited for, and after GST a correct leader's
// certificates arrive current and clear any suspicion. Each validator decides
// alone and keeps nothing across restarts: the worst case is
// `misses_to_suspect` timeouts per slow leader after a restart.
#ifndef GRIDLEDGER_CORE_CONSENSUS_LEADER_REPUTATION_H_
#define GRIDLEDGER_CORE_CONSENSUS_LEADER_REPUTATION_H_

#include <cstdint>
#include <vector>

#include "core/common/types.h"

namespace gridledger::consensus {

class LeaderReputation {
 public:
  // `misses_to_suspect` 0 turns suspicion off (always wait the full timeout).
  LeaderReputation(uint32_t committee_size, uint32_t max_suspects, uint32_t misses_to_suspect);

  // The timeout to apply to `leader`'s anchor: `full_ms`, or 0 when suspected.
  uint64_t WaitMs(ValidatorIndex leader, uint64_t full_ms) const;
  bool Suspected(ValidatorIndex v) const { return suspected_[v.value()]; }
  uint32_t suspects() const { return suspects_; }

  // This validator advanced past `leader`'s anchor round without its
  // certificate after waiting the full timeout.
  void OnTimedOut(ValidatorIndex leader);
  // A certificate of `author` entered the DAG while current (see above), or
  // the leader's anchor was there when this validator advanced.
  void OnCurrent(ValidatorIndex author);

 private:
  const uint32_t max_suspects_;
  const uint32_t misses_to_suspect_;
  std::vector<uint32_t> misses_;  // consecutive timeouts, per validator
  std::vector<bool> suspected_;
  uint32_t suspects_ = 0;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_LEADER_REPUTATION_H_
