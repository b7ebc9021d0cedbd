// TEST ONLY: a validator process that misbehaves on purpose, so that
// `gridledger cluster --byzantine=1` runs one real Byzantine process against
// honest ones. It runs the real core underneath (so it keeps proposing and
// its DAG keeps growing) and rewrites what the core sends, at the transport
// boundary (ConsensusDriver::SetSendRewriter):
//   equivocate        a second, different header for the same round: half the
//                     peers see it first, the other half the real one first
//   oversize_headers  every other own header padded past header_batches_max
//                     with unknown batch digests and re-signed
//   garbage_frames    frames of random bytes to random peers on each own header
//   withhold_batches  own batches sent only to 2f peers; batch fetches unanswered
//   flood_batches     on each own header, many valid batches no header carries
// Honest validators must refuse or absorb each of these (the bounds in
// docs/architecture.md) and keep committing. Enabled only by the node config
// (`byzantine`, with `test_only_byzantine = yes`); the simulator's adversary
// (tests/sim/adversary.h) covers more behaviours deterministically.
#ifndef GRIDLEDGER_NET_NODE_BYZANTINE_BEHAVIOUR_H_
#define GRIDLEDGER_NET_NODE_BYZANTINE_BEHAVIOUR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "core/common/log.h"
#include "core/consensus/committee.h"
#include "core/consensus/core.h"
#include "core/crypto/schnorr.h"
#include "net/node/byzantine_switch.h"
#include "net/node/consensus_driver.h"

namespace gridledger::node {

// Extra batches per own header (flood_batches), one transaction each: about
// 40 a second to each peer, 10x an honest author's rate. Each costs every honest
// validator one signature check (nothing bounds that rate until the author's
// store share is full); at 32 a header the 2-core demo lost 6% of throughput.
inline constexpr size_t kFloodBatchesPerHeader = 8;
// Pre-signed junk transactions the flood and equivocation batches draw from.
inline constexpr size_t kJunkTransactions = 64;
// Random frames per own header (garbage_frames), each 1..kGarbageFrameBytesMax.
inline constexpr size_t kGarbageFramesPerHeader = 4;
inline constexpr size_t kGarbageFrameBytesMax = 512;
// Equivocating twins remembered (by round) so a resent header keeps its twin.
inline constexpr size_t kMaxEquivocations = 8;
// Flood batch sequences start here, far from the core's own.
inline constexpr uint64_t kFloodSequenceBase = uint64_t{1} << 40;

struct ByzantineStats {
  uint64_t equivocations = 0;       // second headers made
  uint64_t oversized_headers = 0;
  uint64_t garbage_frames = 0;
  uint64_t withheld_sends = 0;      // batch frames not sent to a peer, fetches unanswered
  uint64_t flood_batches = 0;
};

class ByzantineBehaviour {
 public:
  ByzantineBehaviour(ByzantineBehaviours behaviours, const consensus::Committee& committee,
                     ValidatorIndex me, const KeyPair& key, size_t header_batches_max,
                     uint64_t seed);

  // What this validator sends instead of `send`, in order: (peer, encoded message).
  std::vector<RewrittenSend> Rewrite(const consensus::SendAction& send);
  const ByzantineStats& stats() const { return stats_; }

 private:
  // Peers in the order they are sent to.
  std::vector<ValidatorIndex> Targets(const consensus::SendAction& send) const;
  Digest RandomDigest();
  consensus::Header Oversized(consensus::Header header);
  // A valid one-transaction batch of ours that no header of the core carries.
  consensus::Batch JunkBatch();
  // Sends `batch` to every peer (or, withholding, to 2f of them) into `out`.
  void SendOwnBatch(const consensus::Batch& batch, std::vector<RewrittenSend>* out);
  // The same to `targets`; withholding drops a send to a single peer (a retransmit).
  void SendOwnBatchTo(const consensus::Batch& batch, std::vector<ValidatorIndex> targets,
                      std::vector<RewrittenSend>* out);
  // The twin of own header `h` for its round (made once per round).
  const consensus::Header& Twin(const consensus::Header& h, std::vector<RewrittenSend>* out);
  void AfterOwnHeader(std::vector<RewrittenSend>* out);

  ByzantineBehaviours behaviours_;
  const consensus::Committee& committee_;
  ValidatorIndex me_;
  KeyPair key_;
  size_t header_batches_max_;
  std::mt19937_64 rng_;
  std::vector<Bytes> junk_txs_;
  uint64_t junk_next_ = 0;
  uint64_t flood_sequence_ = kFloodSequenceBase;
  uint64_t own_headers_ = 0;
  uint64_t withhold_rotation_ = 0;
  std::map<uint64_t, consensus::Header> twins_;  // by round
  ByzantineStats stats_;
};

// The driver hook for `behaviours` (one thread: the outbox writer; the object lives
// in the returned function). Logs once to `logger` that the node misbehaves.
SendRewriter MakeByzantineRewriter(ByzantineBehaviours behaviours,
                                   const consensus::Committee& committee, ValidatorIndex me,
                                   const KeyPair& key, size_t header_batches_max,
                                   const Logger& logger = Logger());

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_BYZANTINE_BEHAVIOUR_H_
