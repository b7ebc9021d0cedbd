// A deterministic simulation of one slice's committee (TigerBeetle's VOPR in
// spirit): n real consensus cores, a simulated network (delays, loss,
// duplication, reordering, partitions that heal), crash-restart from each
// validator's persisted state, f Byzantine validators (adversary.h) and honest
// clients. One u64 seed decides everything: virtual time, ordered containers
// only, no wall clock, no global RNG.
//
// Checkers, run as the simulation goes:
//   safety     every honest validator's commit sequence is a prefix of the
//              canonical one (the first honest commit at each index);
//   certified  every committed certificate verifies (2f+1 valid votes), its
//              batches match their digests; no two certificates for one
//              (author, round) ever enter an honest DAG;
//   (in outbox mode a validator's commits execute after its records are
//   durable and its sends after them, as in the node, and a crash can land
//   between the two: the restarted validator must re-derive the commits it
//   lost from its store, and the checks above show it did, exactly once.)
//   liveness   after faults end, every honest client transaction is committed
//              by every honest validator — at least once, and at most as often
//              as the client submitted it (clients resubmit after a timeout;
//              execution de-duplicates by transaction id, DESIGN.md §2.5).
#ifndef GRIDLEDGER_TESTS_SIM_SIMULATOR_H_
#define GRIDLEDGER_TESTS_SIM_SIMULATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/sim_config.h"

namespace gridledger::sim {

struct SimResult {
  bool ok = true;
  std::string failure;  // the first checker failure
  uint64_t end_ms = 0;
  uint64_t commits = 0;             // sub-DAGs committed (the canonical sequence)
  uint64_t transactions = 0;        // distinct client transactions submitted
  uint64_t highest_round = 0;
  uint64_t messages_delivered = 0;
  uint64_t signature_verifications = 0;
  uint64_t second_certificates = 0;  // equivocating twins an adversary certified
  uint64_t rejected_messages = 0;    // across honest validators
  uint64_t headers_refused_oversized = 0;   // across honest validators
  uint64_t batches_refused_store_full = 0;  // across honest validators
  uint64_t weak_links_proposed = 0;         // across honest validators
  uint64_t verifications_deferred = 0;      // across honest validators (params.h)
  uint64_t batches_proven_by_certificate = 0;  // across honest validators
  uint64_t leader_timeouts = 0;             // across honest validators
  uint64_t suspected_leader_skips = 0;      // across honest validators (leader_reputation.h)
  // Canonical commits per anchor author, and when (virtual ms) its last one
  // was first committed by an honest validator.
  std::vector<uint64_t> anchors_committed_by_author;
  std::vector<uint64_t> last_anchor_commit_ms_by_author;
  // Restarts: certificates the restarted validators' stores gave back (the
  // in-memory map, or ConsensusStore::Load in real_store mode).
  uint64_t restored_certificates = 0;
  std::string store_dir;  // real_store mode: the run's LMDB dirs (removed at the end)
  // outbox mode: crashes that landed with commits queued and not executed,
  // the commits they dropped, and the commits a restarted validator executed
  // again from its store below the highest one it had dropped (re-derived).
  uint64_t queued_commit_crashes = 0;
  uint64_t queued_commits_dropped = 0;
  uint64_t commits_rederived = 0;
  // Early-send crashes that landed (a send out, records of its call not
  // durable, the call's later actions never run), those whose send was an
  // own batch push or an own certificate, the records they lost, and among
  // those the crashed validator's own BatchRecords (pushed batches it
  // restarts without).
  uint64_t early_send_crashes = 0;
  uint64_t early_send_crashes_after_push = 0;
  uint64_t early_send_crashes_after_certificate = 0;
  uint64_t early_send_records_lost = 0;
  uint64_t early_send_own_batches_lost = 0;
  // Own CertificateRecords lost: certificates peers hold that the restarted
  // author never stored.
  uint64_t early_send_own_certificates_lost = 0;
  // real_store with lazy_records_ms: records a crash lost while they waited
  // for a write (no send or commit after them yet).
  uint64_t lazy_records_lost = 0;
  // Over honest validators' commits: DAG height at commit - anchor round + 1
  // (Bullshark: 2 for an anchor committed by its own round's successors).
  double mean_commit_latency_rounds = 0;
  double mean_tx_latency_ms = 0;  // first submission to first honest commit
};

SimResult RunSimulation(const SimConfig& config);

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_SIMULATOR_H_
