// What the consensus core needs durable, and what it gets back after a restart.
//
// The core never writes storage itself: it emits PersistAction records among
// its actions. Contract: the runtime executes a call's actions in order, and a
// PersistAction (or CommitAction) must be durable before any SendAction that
// follows it goes out. That is what makes "never vote twice for one (author,
// round)" and "never propose twice for one round" survive a crash: the
// LastVotedRecord precedes the Vote, the OwnHeaderRecord precedes the Header.
//
// Three exceptions. First, a BatchAck (SendAction::waits_for_records false) may go out
// before the BatchRecord of the batch it acknowledges is durable. The ack
// only lets the author propose the batch and stop retransmitting it; what
// makes a certificate mean "2f+1 validators keep the batch" is their votes,
// and a vote follows the voter's LastVotedRecord, which follows the
// BatchRecord (the batch must be stored to vote). A validator that crashes
// between its ack and its record fetches the batch again when a header or
// certificate needs it. Waiting for the record cost each batch a synced
// write of its peers (about 8 ms of the header stage at 7600 tx/s).
//
// A second: the author's push of its own batch (broadcast when sealed,
// retransmitted until acknowledged) may go out before the batch's own
// BatchRecord is durable. A batch is content, not a promise: what makes the
// author unable to lose it is its header, whose OwnHeaderRecord is written
// after the BatchRecord (the outbox keeps record order), and the header goes
// out only once that is durable. An author that crashes after the push and
// before the record restarts without the batch: its transactions already
// answered ACCEPTED come back from the admitted store into a new batch (the
// same sequence number, so possibly another digest), those not yet answered
// are resubmitted by their clients, and peers drop the orphan at garbage
// collection like any batch no certificate references (as they did for an
// own batch durable but in no header, which a restart never reloaded).
// Waiting cost every own batch a synced write of its author before any peer
// could verify it.
//
// A third: the broadcast of an own certificate, formed from 2f+1 votes, may
// go out before its CertificateRecord is durable. A certificate is a proof
// that any holder can check, not a promise of its author: the promise was
// the header (OwnHeaderRecord, durable before the header went out) and each
// vote (the voter's LastVotedRecord). An author that crashes after the
// broadcast and before the record restarts with its header uncertified and
// broadcasts the header again; a voter answers a header it voted for with a
// vote for it again (Core::TryVote), so it certifies the same header again
// (the same digest, so the same DAG vertex everywhere), and a peer that
// builds on the first certificate meanwhile is fetched from like any peer
// whose parent is missing. Waiting put a synced write of the author on
// every round's critical path: the next round starts when 2f+1
// certificates arrive.
//
// Records with no send that waits (and no commit) after them need not be
// durable until one comes: the node's outbox lets them wait up to 20 ms to
// share that write (net/node/durable_outbox.h). A crash meanwhile loses them
// as if they had never been made, except for the sends that went out
// without waiting, which the three exceptions above cover (the simulator's
// real-store mode loses such records in its crashes: lazy_records_ms).
#ifndef GRIDLEDGER_CORE_CONSENSUS_PERSISTENCE_H_
#define GRIDLEDGER_CORE_CONSENSUS_PERSISTENCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "core/common/types.h"
#include "core/consensus/messages.h"

namespace gridledger::consensus {

// This validator voted for `header` of (author, round). Keep the highest round per author.
struct LastVotedRecord {
  ValidatorIndex author;
  Round round;
  Digest header;
  bool operator==(const LastVotedRecord&) const = default;
};

// This validator proposed `header` (its own). Keep the latest.
struct OwnHeaderRecord {
  Header header;
};

// A certificate that entered this validator's DAG.
struct CertificateRecord {
  Certificate certificate;
};

// A batch stored after verification (or sealed by this validator).
struct BatchRecord {
  std::shared_ptr<const Batch> batch;  // shared with the core's store: no copy
};

using PersistRecord =
    std::variant<LastVotedRecord, OwnHeaderRecord, CertificateRecord, BatchRecord>;

// Everything Core::Start needs after a restart; empty for a fresh validator.
// The runtime may pass more than needed: the core keeps only what lies above
// its garbage-collection horizon.
struct PersistedState {
  std::vector<LastVotedRecord> last_voted;
  std::optional<Header> own_header;  // the latest own proposal
  std::vector<Certificate> certificates;
  std::vector<Batch> batches;
  // From the CommitActions recorded so far.
  Round last_committed_round{0};
  uint64_t next_commit_index = 0;
  std::vector<Digest> committed_certificates;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_PERSISTENCE_H_
