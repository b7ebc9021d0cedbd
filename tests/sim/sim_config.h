// Everything one simulation run does, drawn from its u64 seed. Printing a
// config shows the drawn parameters of a failing seed; drawing it again from
// the same (seed, validators, faults) gives the same run.
#ifndef GRIDLEDGER_TESTS_SIM_SIM_CONFIG_H_
#define GRIDLEDGER_TESTS_SIM_SIM_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/types.h"
#include "core/consensus/params.h"

namespace gridledger::sim {

struct Partition {
  uint64_t start_ms = 0;
  uint64_t end_ms = 0;
  std::vector<bool> side;  // per validator: which side of the cut
};

struct Crash {
  uint32_t validator = 0;
  uint64_t down_ms = 0;
  uint64_t up_ms = 0;
};

// A crash where the node's outbox (net/node/durable_outbox.h) can leave a
// validator: the first time at or after `after_ms` that honest `validator`
// has made its records durable and holds a commit queued that its execution
// thread has not run. It restarts from its store `down_for_ms` later.
struct QueuedCommitCrash {
  uint32_t validator = 0;
  uint64_t after_ms = 0;
  uint64_t down_for_ms = 0;
};

// A crash inside one call of the core (real_store mode): the first time at
// or after `after_ms` that honest `validator` has sent something that does
// not wait for records (an ack, an own batch push, an own certificate's
// broadcast: persistence.h) while records returned ahead of it are not yet
// durable. The process dies right after that send: those records are lost,
// the send is out, the call's later actions never run. It restarts from its
// store `down_for_ms` later.
struct EarlySendCrash {
  uint32_t validator = 0;
  uint64_t after_ms = 0;
  uint64_t down_for_ms = 0;
  // After which kind of early send (in the header-bug mode: after a header,
  // whatever the kind).
  enum class After { kAck, kOwnBatchPush, kOwnCertificate };
  After after = After::kAck;
};

// Byzantine behaviours, each on or off per Byzantine validator.
struct ByzantineBehaviour {
  bool equivocate = false;         // two signed headers per round, votes for both
  bool bad_signatures = false;     // corrupts signatures on some messages
  bool unknown_votes = false;      // signs votes for headers that never existed
  bool withhold_batches = false;   // batches to 2f peers only, never answers fetches
  bool replay = false;             // re-sends old messages and garbage bytes
  bool forged_transactions = false;  // seals batches with invalid transactions
  bool oversize_headers = false;   // pads own headers past header_batches_max
  bool flood_batches = false;      // pushes valid batches no header will carry
  bool withhold_acks = false;      // never acknowledges a batch: authors that need
                                   // its ack need a spare peer's (deferral ends)
};

struct SimConfig {
  uint64_t seed = 0;
  uint32_t validators = 4;
  consensus::Parameters params;
  // Network while faults last; afterwards loss and duplication stop.
  uint64_t delay_min_ms = 1;
  uint64_t delay_max_ms = 10;
  uint64_t loss_per_million = 0;
  uint64_t duplicate_per_million = 0;
  uint64_t verify_delay_max_ms = 2;
  // A deferrable verification (VerifyBatchAction::deferrable) answers this
  // late, like the node's VerifyWorker at its deadline: a certificate usually
  // proves the batch first (the answer is then ignored).
  uint64_t verify_deferral_ms = 1000;
  std::vector<Partition> partitions;
  std::vector<Crash> crashes;
  std::vector<uint32_t> byzantine;  // validator indices
  std::vector<ByzantineBehaviour> behaviours;  // parallel to byzantine
  // Clients submit from 0 until clients_stop_ms; faults end by faults_end_ms.
  uint32_t clients = 3;
  uint64_t client_interval_ms = 20;
  uint64_t resubmit_after_ms = 3000;
  uint64_t clients_stop_ms = 3000;
  uint64_t faults_end_ms = 3000;
  // After faults end, every honest transaction must commit within this.
  uint64_t heal_deadline_ms = 30000;

  // Persist each validator's consensus state through the node's ConsensusStore
  // (LMDB, one env per validator in a temp dir the run creates and removes) and
  // restore a restarted validator with ConsensusStore::Load, as the node does
  // (real_store.h). Off: the in-memory store (the fast sweeps).
  bool real_store = false;
  // real_store: the GC depth a restart loads with; 0 means params.gc_depth (the
  // node's). A larger one restores from an older horizon (more certificates).
  uint64_t restore_gc_depth = 0;
  // TEST ONLY, a deliberate restart bug to show the checkers catch its class:
  // after loading, a restarted validator forgets its commit state (last
  // committed round, next commit index, committed certificates) ...
  bool restart_bug_forget_commits = false;
  // ... or its last-voted records and own header (so it may vote or propose
  // twice for one round).
  bool restart_bug_forget_votes = false;

  // real_store: honest validators run their actions as the node's outbox
  // does: records durable first (one write per call), then sends and commits
  // in order; each commit executes (ConsensusStore::RecordCommit and the
  // checkers) after a drawn delay of 0..commit_delay_max_ms, one at a time,
  // as on the node's execution thread, and a send that follows a commit waits
  // until it executed. Off: commits execute inline.
  bool outbox = false;
  uint64_t commit_delay_max_ms = 0;
  std::vector<QueuedCommitCrash> queued_commit_crashes;
  // TEST ONLY, a deliberate bug of the class this mode exists for: the commit
  // state is recorded when a commit is queued (as if the consensus group write
  // carried it), not when it executes, so a crash loses the queued commits.
  bool outbox_bug_record_at_queue = false;
  // real_store: crashes between an early send and its call's records.
  std::vector<EarlySendCrash> early_send_crashes;
  // real_store: records with no send that waits (or commit) after them are
  // written only when one comes, or this many virtual ms after the first of
  // them, as the node's outbox does (net/node/durable_outbox.h,
  // kLazyRecordsDelay); a crash meanwhile loses them. 0: every call's
  // records are written at its end.
  uint64_t lazy_records_ms = 20;
  // TEST ONLY, a deliberate bug of the class early-send crashes exist for:
  // an own header goes out without waiting for its OwnHeaderRecord, so a
  // crash there lets the restarted validator propose twice for one round.
  // Early-send crashes then land only after a header send.
  bool early_send_bug_header = false;

  std::string Describe() const;
};

// The simulated network's chain id (the committee's genesis digest).
Digest SimChainId();

// How a run's batch and header delays are drawn: kWide over 10-60 / 40-100 ms
// (the sweeps' historic ranges, which their seeds' expectations assume), kNode
// over 5-15 / 20-30 ms, around the node's defaults (params.h: 10 / 25 ms).
enum class SimPacing { kWide, kNode };

// Draws a run. With faults=false: no loss, partitions, crashes or Byzantine
// validators (the fault-free case whose commit latency is reported).
SimConfig DrawConfig(uint64_t seed, uint32_t validators, bool faults,
                     SimPacing pacing = SimPacing::kWide);

// Turns on real_store and the outbox mode on a drawn config, with a commit
// delay and 1-2 queued-commit crashes of honest validators drawn from its
// seed (a separate stream: the config's other draws stay as they were).
void DrawOutboxCrashes(SimConfig* config);

// Turns on real_store on a drawn config, with 1-2 early-send crashes of
// honest validators drawn from its seed (a separate stream), under the same
// outage bounds as the queued-commit crashes.
void DrawEarlySendCrashes(SimConfig* config);

// The longest partition or crash drawn: shorter than gc_depth rounds at the
// fastest pace, so a lagging validator can still fetch what it missed.
uint64_t MaxOutageMs(const SimConfig& config);

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_SIM_CONFIG_H_
