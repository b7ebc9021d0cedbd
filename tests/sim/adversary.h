// The behaviour of one Byzantine validator in the simulator. It runs the real
// core underneath (so it keeps the DAG growing) and rewrites what goes in and
// out: equivocating headers (and collecting votes for both), corrupted
// signatures, votes for headers that never existed, withheld batches, forged
// transactions, replays of old messages and garbage bytes, headers over
// header_batches_max, and floods of batches no header carries.
#ifndef GRIDLEDGER_TESTS_SIM_ADVERSARY_H_
#define GRIDLEDGER_TESTS_SIM_ADVERSARY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "core/consensus/core.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/sim_rng.h"

namespace gridledger::sim {

struct Outgoing {
  uint32_t to;
  Bytes bytes;
};

class Adversary {
 public:
  static constexpr size_t kMaxRemembered = 128;
  static constexpr size_t kMaxEquivocations = 8;

  // Enough to fill an honest validator's per-author share of the batch store
  // (kMaxStoredBatches / (n + 1)) within a few seconds of virtual time.
  static constexpr size_t kFloodBatchesPerTick = 64;

  Adversary(ByzantineBehaviour behaviour, uint32_t me, const KeyPair* key,
            const consensus::Committee* committee, size_t header_batches_max, SimRng rng)
      : behaviour_(behaviour),
        me_(me),
        key_(key),
        committee_(committee),
        header_batches_max_(header_batches_max),
        rng_(rng) {}

  // What the core asked to send, as this validator actually sends it.
  std::vector<Outgoing> RewriteSend(const consensus::SendAction& send);
  // Extra messages provoked by an incoming one (votes for anything, a second
  // certificate once the equivocating header gathered a quorum).
  std::vector<Outgoing> OnIncoming(uint32_t from, const consensus::Message& message,
                                   ByteSpan raw);
  // Unsolicited junk, called on every timer tick.
  std::vector<Outgoing> OnTick(Round round);

  uint64_t second_certificates() const { return second_certificates_; }

 private:
  struct Equivocation {
    consensus::Header header;
    Digest digest;
    std::map<ValidatorIndex, Signature> votes;
    bool certified = false;
  };
  void Remember(const Bytes& bytes);
  Digest RandomDigest();
  // The header padded with fake batch digests past header_batches_max, re-signed.
  consensus::Header Oversized(consensus::Header header);
  std::vector<uint32_t> Targets(const consensus::SendAction& send) const;

  ByzantineBehaviour behaviour_;
  uint32_t me_;
  const KeyPair* key_;
  const consensus::Committee* committee_;
  size_t header_batches_max_;
  SimRng rng_;
  uint64_t flood_sequence_ = uint64_t{1} << 40;  // far from the core's own sequences
  std::map<uint64_t, Equivocation> equivocations_;  // by round
  std::deque<Bytes> remembered_;
  uint64_t second_certificates_ = 0;
};

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_ADVERSARY_H_
