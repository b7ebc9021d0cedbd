// The sans-IO consensus core of one validator in one slice (DESIGN.md §2):
// Narwhal-style batches, headers, votes and certificates, and Bullshark's
// commit rule. It never touches a socket, a disk or a clock: the runtime (the
// node over TCP + LMDB, or the deterministic simulator) feeds it events and
// executes the actions it returns.
//
// Events:
//   Start(state, now)            once, with the persisted state (empty if fresh).
//   OnMessage(from, msg, now)    a decoded message from validator `from`; the
//                                transport authenticated `from`. Every message is
//                                verified (author in committee, digests,
//                                signatures, bounds) before it changes state.
//   OnTimer(now)                 at least every kTimerPeriodMs; every
//                                kIdleTimerPeriodMs while NothingToOrder().
//   SubmitTransaction(tx, now)   a client transaction the runtime already
//                                verified (signature, codec); opaque bytes here.
//   OnBatchVerified(d, ok, now)  the answer to a VerifyBatchAction.
//
// Actions, executed in order:
//   SendAction          send to one validator, or to all others (to = nullopt).
//   PersistAction       make the record durable. MUST complete before any later
//                       SendAction of the same call goes out (persistence.h),
//                       but for one with waits_for_records false (acks,
//                       own batch pushes, an own certificate's broadcast).
//   VerifyBatchAction   verify every transaction of a peer's batch (e.g. with a
//                       BatchVerifier) and call OnBatchVerified with the result.
//                       A deferrable one may wait (see the struct); the same
//                       digest again, not deferrable, asks for it now.
//   CancelVerifyAction  a verification asked for is no longer needed: a
//                       certificate proved the batch. Its answer is ignored.
//   CommitAction        the next committed sub-DAG, in commit order, batches
//                       included. Durable like a PersistAction; then execute it.
//
// Every buffer is bounded (constants below); what does not fit is dropped and
// recovered later by retransmission or catch-up. Every bound on what a peer
// sends is checked when it arrives and refused with a reason (counted in
// CoreStats, the latest in last_rejection()); nothing a peer sends aborts.
// The batch store is shared out per author: a batch that does not fit is not
// stored and not acknowledged (the author retransmits), own batch making
// waits for room, and a batch a verified certificate needs always fits.
#ifndef GRIDLEDGER_CORE_CONSENSUS_CORE_H_
#define GRIDLEDGER_CORE_CONSENSUS_CORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/crypto/schnorr.h"
#include "core/consensus/batch_maker.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/committee.h"
#include "core/consensus/dag.h"
#include "core/consensus/leader_reputation.h"
#include "core/consensus/messages.h"
#include "core/consensus/params.h"
#include "core/consensus/persistence.h"
#include "core/consensus/signature_checker.h"

namespace gridledger::consensus {

struct SendAction {
  std::optional<ValidatorIndex> to;  // nullopt: every other validator
  Message message;
  // False only for a BatchAck, the push of an own batch and the broadcast of
  // an own certificate when it forms: they may go out before the records
  // returned ahead of them are durable (persistence.h says why that is safe).
  bool waits_for_records = true;
};
struct PersistAction {
  PersistRecord record;
};
struct VerifyBatchAction {
  Digest digest;
  std::shared_ptr<const Batch> batch;
  // This validator is one of the f peers whose ack the author does not need
  // (Parameters::defer_peer_verification): the runtime may hold the work
  // back, bounded in time, because a certificate for the batch usually comes
  // first and makes it unnecessary (CancelVerifyAction). Not a promise to
  // answer late: a runtime may verify at once.
  bool deferrable = false;
};
struct CancelVerifyAction {
  Digest digest;
};
struct CommitAction {
  CommittedSubDag sub_dag;
};
using Action = std::variant<SendAction, PersistAction, VerifyBatchAction, CancelVerifyAction,
                            CommitAction>;

// Bounds. Sized for committees up to Committee::kMaxValidators and gc_depth
// in the hundreds; a runtime that needs more changes them here, in one place.
inline constexpr uint64_t kTimerPeriodMs = 10;
// An idle core only waits for idle_header_delay_ms (1 s) rounds, and
// NextDeadlineMs names when that proposal is due: the idle tick is left
// with retransmissions (sync_retry_ms) and sync checks, so it can be slow.
// Each wake-up of an idle validator costs a context switch (issue 12).
inline constexpr uint64_t kIdleTimerPeriodMs = 250;
inline constexpr size_t kMaxPendingCertificates = 4096;
inline constexpr size_t kMaxMissingCertificates = 1024;
inline constexpr size_t kMaxMissingBatches = 1024;
inline constexpr size_t kMaxBatchesInVerification = 256;
// A spare peer verifies a deferred batch once its author still pushes it
// this many retransmission periods after it arrived, and twice as long as
// its own batches wait for acks (Core::OnRepush).
inline constexpr uint64_t kRepushesBeforeVerifying = 2;
// A spare peer does not defer for an author that needs a validator which
// left this many of the spare's own batches in a row without its ack.
inline constexpr uint32_t kMissedAcksBeforeVerifying = 4;
// After this many of an author's deferred batches in a row needed our ack
// (late pushes), a spare stops deferring that author's batches for
// kDeferralBackoffMinRounds rounds, doubling up to the max while it recurs;
// a deferral that a certificate ends resets it.
inline constexpr uint32_t kLatePushesBeforeBackoff = 2;
inline constexpr uint64_t kDeferralBackoffMinRounds = 50;
inline constexpr uint64_t kDeferralBackoffMaxRounds = 3200;
// Own batches enter headers before their acks only while acks take at most
// this long (Core::ProposableOwnBatches): well inside sync_retry_ms, after
// which a header short of votes is sent again.
inline constexpr TimeMs kUnackedProposalMaxAckWaitMs = 100;
inline constexpr size_t kMaxStoredBatches = 65536;
inline constexpr size_t kMaxUnackedOwnBatches = 64;
inline constexpr size_t kMaxReadyDigests = 4096;
// Back-pressure: transactions are refused while own batches awaiting a
// header add up to this many headers' worth (header_batches_max each), so a
// transaction accepted is proposed within a few rounds instead of queueing
// behind an ever longer backlog (which client retries would only lengthen).
inline constexpr size_t kMaxBacklogHeaders = 8;
inline constexpr size_t kMaxBatchesServedPerRequest = 64;
// Responses to one catch-up request add up to at most this many bytes (each
// message also fits params.message_bytes_max).
inline constexpr size_t kMaxResponseBytesPerRequest = size_t{16} << 20;
// One CommitAction carries at most this many transactions (execution's block
// bound, kMaxBlockTxs; the node static_asserts they agree) and payload bytes;
// a larger committed history is carried over in pieces (bullshark.h).
inline constexpr size_t kMaxCommitTransactions = size_t{1} << 20;
inline constexpr size_t kMaxCommitBytes = size_t{64} << 20;

// InvalidArgument unless the parameters are in range and one certificate of
// the most a peer may send (header_batches_max full batches) fits a commit,
// and a full batch and a certificate of the largest committee fit a message.
absl::Status ValidateParameters(const Parameters& params);
// Headers and certificates further than this ahead of our DAG are ignored
// (a validator that far behind catches up from certificates it fetches).
inline constexpr uint64_t kMaxRoundsAhead = 1000;

// Counters for tests, metrics and the simulator's checkers.
struct CoreStats {
  uint64_t messages_rejected = 0;       // failed verification or bounds
  uint64_t headers_refused_oversized = 0;  // more than header_batches_max batches
  uint64_t batches_refused_store_full = 0;  // not stored, so not acknowledged
  uint64_t stale_messages = 0;          // valid but late (e.g. votes after the quorum)
  uint64_t votes_sent = 0;
  uint64_t votes_refused_equivocation = 0;
  uint64_t certificates_formed = 0;
  uint64_t certificates_inserted = 0;
  uint64_t certificate_conflicts = 0;   // two certificates for one (author, round)
  uint64_t batches_sealed = 0;
  uint64_t batches_rejected = 0;        // failed the runtime's verification
  uint64_t commits = 0;
  uint64_t dropped_for_bounds = 0;
  uint64_t leader_timeouts = 0;
  // Anchor rounds left at once because their leader is suspected (leader_reputation.h).
  uint64_t suspected_leader_skips = 0;
  // Own anchor headers proposed a round late instead of skipped (TryPropose).
  uint64_t late_own_anchors = 0;
  uint64_t orphaned_own_batches_requeued = 0;  // see RequeueOrphanedOwnBatches
  uint64_t rejoin_own_txs_requeued = 0;        // see Rejoin
  uint64_t weak_links_proposed = 0;            // in own headers (dag.h Unreached)
  // Peer batches stored on a certificate's proof instead of our own
  // verification (Core::StoreProvenBatch), and deferrable verifications asked for.
  uint64_t batches_proven_by_certificate = 0;
  uint64_t verifications_deferred = 0;
  // Parameters::availability_votes: votes that vouched for availability only,
  // verified votes sent again for the same header once its batches were
  // checked (UpgradeVote), and checks of stored batches that failed (each
  // suspends the author's deferral). A subset of votes_sent / batches_rejected.
  uint64_t availability_votes_sent = 0;
  uint64_t votes_upgraded = 0;
  uint64_t stored_batch_checks_failed = 0;
};

class Core {
 public:
  // `checker` must outlive the core; `params` must pass ValidateParameters.
  Core(Committee committee, Parameters params, ValidatorIndex me, KeyPair key,
       SignatureChecker* checker);

  // Before Start: client transactions this validator acknowledged before a
  // crash that have not committed (the runtime's own durable record). They
  // are sealed into new own batches ahead of any new transaction, as
  // back-pressure allows; one that a restored certificate also carries is
  // executed once (execution skips a repeated id).
  void RestoreOwnTransactions(std::vector<Bytes> txs);
  std::vector<Action> Start(const PersistedState& state, TimeMs now);
  // After commit sync (net/node/commit_syncer.h) executed commits this core
  // did not make: restarts the DAG and the commit state at `state` (read back
  // from the store, whose commits now run ahead of this core's) and rejoins
  // near the tip. Keeps votes, the own header and batches; certificates in
  // memory above the new GC horizon are kept; batches in verification are
  // forgotten (the runtime may have dropped their results while syncing).
  // Own batches in certificates left below the horizon are not requeued
  // (which of them the synced commits hold is not known here).
  std::vector<Action> Rejoin(const PersistedState& state, TimeMs now);
  std::vector<Action> OnMessage(ValidatorIndex from, const Message& message, TimeMs now);
  std::vector<Action> OnTimer(TimeMs now);
  // ResourceExhausted while too many own batches wait for a header
  // (kMaxBacklogHeaders) or for acks (kMaxUnackedOwnBatches): back-pressure;
  // InvalidArgument for an empty or oversized transaction.
  // The bytes are copied into the open batch.
  absl::StatusOr<std::vector<Action>> SubmitTransaction(ByteSpan tx, TimeMs now);
  std::vector<Action> OnBatchVerified(const Digest& digest, bool ok, TimeMs now);

  ValidatorIndex me() const { return me_; }
  const Committee& committee() const { return committee_; }
  const Parameters& params() const { return params_; }
  Round round() const { return round_; }
  const Dag& dag() const { return dag_; }
  Round last_committed_round() const { return bullshark_.last_committed_round(); }
  const CoreStats& stats() const { return stats_; }
  // Why the latest refused peer message was refused (empty if none was).
  const std::string& last_rejection() const { return last_rejection_; }
  size_t pending_certificates() const { return pending_certs_.size(); }
  size_t stored_batches() const { return batches_.size(); }
  // True when no payload anywhere waits for rounds (Parameters::idle_header_delay_ms).
  // Then OnTimer may come every kIdleTimerPeriodMs instead of kTimerPeriodMs.
  bool NothingToOrder() const;
  // The earliest time after `now` at which OnTimer would seal the open batch
  // or propose a header, so the runtime can wake then instead of at its next
  // kTimerPeriodMs tick (each tick of lateness is latency, issue 12); nullopt
  // when no such time lies ahead. A hint: OnTimer stays correct at any time.
  std::optional<TimeMs> NextDeadlineMs(TimeMs now) const;
  // How long the oldest own batch not yet in a header has waited since it
  // was sealed (0 when none waits): the queue admission adds to. The node
  // refuses new transactions while it is long and deep
  // (ConsensusDriver::overload_backlog_wait) instead of queueing them behind
  // seconds of batches.
  TimeMs OwnBacklogWaitMs(TimeMs now) const;
  // Own batches sealed and not yet in a header.
  size_t own_backlog_batches() const { return ready_digests_.size(); }
  // The transactions of those batches and of the own header still short of
  // votes (one look-up per batch).
  size_t OwnBacklogTxs() const;

 private:
  struct Output;  // the action list under construction
  struct OwnHeader {
    Header header;
    Digest digest;
    std::map<ValidatorIndex, VoteSignature> votes;
    bool certified = false;
  };
  // Our latest vote for an author's header was an availability vote: the
  // header's batches, so a verified vote can follow once they are verified.
  struct AvailabilityVote {
    Round round;
    Digest digest;
    std::vector<Digest> batches;
    TimeMs first_sent_ms = 0;  // our first availability vote for this header
  };
  struct PendingCertificate {
    Certificate certificate;
    Digest digest;
    ValidatorIndex from;
  };
  struct PendingHeader {
    Header header;
    Digest digest;
  };
  struct MissingItem {
    ValidatorIndex first_peer;  // who told us about it
    uint32_t attempts = 0;
    TimeMs requested_ms = 0;
    // A verified certificate needs it (a batch: stored beyond its author's quota).
    bool certified = false;
  };
  struct StoredBatch {
    std::shared_ptr<const Batch> batch;
    Round received_round;
    // Own batches sealed by this process: when (OwnBacklogWaitMs).
    std::optional<TimeMs> sealed_ms;
    // Own, verified by us, or proven by a certificate. False for a peer
    // batch stored for availability only (Parameters::availability_votes).
    // No default of true: a path that forgets it fails closed.
    bool verified = false;
  };
  struct OwnBatchAcks {
    absl::flat_hash_set<ValidatorIndex> acks;
    absl::flat_hash_set<ValidatorIndex> verified_acks;  // a subset of acks
  };
  struct InVerification {
    std::shared_ptr<const Batch> batch;
    bool ack_owed = false;
    bool deferred = false;  // asked for as deferrable, not yet asked for now
    TimeMs received_ms = 0;
    // Already stored for availability: the answer only marks it verified.
    bool stored = false;
  };

  void HandleBatch(Output& out, ValidatorIndex from, const Batch& batch, bool solicited,
                   TimeMs now);
  void HandleBatchAck(Output& out, ValidatorIndex from, const BatchAck& ack, TimeMs now);
  void HandleHeader(Output& out, ValidatorIndex from, const Header& header, TimeMs now);
  void HandleVote(Output& out, ValidatorIndex from, const Vote& vote, TimeMs now);
  void HandleCertificate(Output& out, ValidatorIndex from, const Certificate& cert,
                         TimeMs now);
  void HandleCertificateRequest(Output& out, ValidatorIndex from,
                                const CertificateRequest& req);
  void HandleBatchRequest(Output& out, ValidatorIndex from, const BatchRequest& req);

  // Start and Rejoin: restored batches and certificates (parents first).
  void RestoreBatches(const std::vector<Batch>& batches);
  void RestoreCertificates(Output& out, const std::vector<Certificate>& certificates,
                           const absl::flat_hash_set<Digest>& committed, TimeMs now);
  void Reject(const absl::Status& reason);
  void Reject(std::string reason);
  void SealBatch(Output& out, TxList txs, TimeMs now);
  // Seals restored transactions while there is room (RestoreOwnTransactions).
  void SealRestored(Output& out, TimeMs now);
  // The backlog bound SubmitTransaction applies: too many own batches await
  // acks (peers not keeping up) or a header.
  bool OwnBacklogFull() const;
  // How many of ready_digests_ (a prefix: seal order) the next header may
  // carry. While peers acknowledge promptly, all of them (up to
  // header_batches_max) at once: the certificate's 2f+1 votes prove the
  // batches available (a vote needs them stored, TryVote), so waiting for
  // 2f+1 acks first only added their round trip and then the next
  // proposal's wait (docs/benchmarks.md, "Batches enter headers before
  // their acks"). While peers are slow (PeersAckSlowly), only acknowledged
  // ones: a header whose batches the others still queue to verify would
  // wait as long for votes, be sent again short of them, and so make the
  // spare peers verify what they defer (verification_deferral_test).
  size_t ProposableOwnBatches(TimeMs now) const;
  // Own batches wait for their acks (2f+1 stored, f+1 of them verified, ours
  // included) longer than kUnackedProposalMaxAckWaitMs
  // (on average, or the oldest one short of them now).
  bool PeersAckSlowly(TimeMs now) const;
  // When this process sealed the stored own batch `digest` (else nullopt).
  std::optional<TimeMs> SealedMs(const Digest& digest) const;
  // The batches of the own header while it is short of votes (else null).
  const std::vector<Digest>* OwnUncertifiedBatches() const;
  // False when the store has no room for it (nothing stored, nothing to ack).
  // `verified`: own, checked by us, or proven; a stored batch is only ever
  // raised to verified, never lowered.
  bool StoreBatch(Output& out, const Digest& digest, std::shared_ptr<const Batch> batch,
                  bool verified);
  // A verified certificate's batch, stored without our own verification:
  // every voter had it stored before voting (verified, or proven the same
  // way), so at least f+1 of the 2f+1 are honest and verified it. False
  // when the store has no room.
  bool StoreProvenBatch(Output& out, const Digest& digest, std::shared_ptr<const Batch> batch);
  // Whether this validator may defer verifying `author`'s pushed batches
  // (Parameters::defer_peer_verification).
  bool DefersVerificationOf(ValidatorIndex author) const;
  // Whether `peer` is one of the spare peers of `author`'s batches: the f
  // after it in index order, or 2f with Parameters::availability_votes.
  bool IsSpareFor(ValidatorIndex author, ValidatorIndex peer) const;
  // A pushed batch we defer: stored now, acknowledged as stored, verified
  // only when asked (Parameters::availability_votes).
  void StoreForAvailability(Output& out, const Digest& digest,
                            std::shared_ptr<const Batch> batch, TimeMs now);
  // The author pushes a batch we hold deferred again: after enough
  // patience our verification is needed (HandleBatch).
  void OnRepush(Output& out, const Digest& digest, ValidatorIndex author, TimeMs now);
  // Every batch in `batches` is stored and verified (or proven).
  bool AllVerified(const std::vector<Digest>& batches) const;
  // After a batch of `author`'s became verified: our availability vote for
  // its header, if every batch of it is verified now, is followed by a
  // verified vote.
  void UpgradeVote(Output& out, ValidatorIndex author, TimeMs now);
  // A late push of `author`'s deferred batch made us verify it: after
  // kLatePushesBeforeBackoff in a row, no deferral for that author a while.
  void NoteLatePush(ValidatorIndex author);
  // No deferral of `author`'s batches for the next backoff period (doubling
  // while it recurs without a deferral paying off).
  void SuspendDeferral(ValidatorIndex author);
  // A deferred verification of `digest` is asked for again, not deferrable;
  // a batch stored for availability with none pending is verified now.
  // True when it asked for a verification.
  bool VerifyNow(Output& out, const Digest& digest);
  // Store quotas: own batches and each peer's pushed batches get one share
  // each; peers together never take the own share.
  size_t AuthorQuota() const { return kMaxStoredBatches / (committee_.size() + 1); }
  bool RoomForOwnBatch() const;
  bool RoomForPeerBatch(ValidatorIndex author, const Digest& digest, size_t reserved) const;
  size_t VerifyingFrom(ValidatorIndex author) const;
  CommitCost CertificateCost(const Certificate& cert) const;
  void SendResponses(Output& out, ValidatorIndex to, std::vector<Certificate> certs);
  void TryVote(Output& out, ValidatorIndex author, TimeMs now);
  // Signs and sends our vote for `author`'s header `digest` (its LastVotedRecord
  // already returned): verified when every batch in `batches` is, else an
  // availability vote, remembered for UpgradeVote. `batches` is read before
  // that record changes, so it may be the remembered vote's own.
  void SendVote(Output& out, ValidatorIndex author, Round round, Digest digest,
                const std::vector<Digest>& batches, TimeMs now);
  void AddOwnVote(Output& out, const VoteSignature& vote, TimeMs now);
  void ProcessPendingCertificates(Output& out, TimeMs now);
  void InsertCertificate(Output& out, const Certificate& cert, const Digest& digest,
                         bool persist, bool committed, TimeMs now);
  void GarbageCollect(Output& out);
  // Before pruning: own certificates leaving the DAG uncommitted give their
  // batches back to the proposer.
  void RequeueOrphanedOwnBatches();
  void TryPropose(Output& out, TimeMs now);
  void RequestMissing(Output& out, TimeMs now, bool retry);
  void NoteMissingCertificate(const Digest& d, ValidatorIndex peer);
  void NoteMissingBatch(const Digest& d, ValidatorIndex peer, bool certified);
  ValidatorIndex PeerFor(const MissingItem& item) const;
  void Retransmit(Output& out, TimeMs now);

  Committee committee_;
  Parameters params_;
  ValidatorIndex me_;
  KeyPair key_;
  SignatureChecker* checker_;
  Dag dag_;
  Bullshark bullshark_;
  LeaderReputation reputation_;
  BatchMaker batch_maker_;
  CoreStats stats_;
  std::string last_rejection_;

  // Proposer.
  Round round_{0};  // the round of our latest header (0: none yet)
  TimeMs round_entered_ms_ = 0;
  TimeMs last_proposal_ms_ = 0;
  Round quorum_round_{0};
  TimeMs quorum_since_ms_ = 0;
  std::optional<OwnHeader> own_header_;
  std::deque<Digest> ready_digests_;  // own batches not yet in a header, in seal order
  uint64_t next_batch_sequence_ = 0;
  // Own batches short of acks (2f+1 stored, f+1 verified, ours included):
  // pushed again (Retransmit), bounded
  // (kMaxUnackedOwnBatches), and the measure of how slow peers are. They no
  // longer hold a batch out of a header.
  std::map<Digest, OwnBatchAcks> unacked_own_batches_;
  // How long own batches wait for those acks (moving average): how slow peers
  // are now, for everyone (HandleBatch's patience with a deferred batch).
  TimeMs own_ack_wait_ms_ = 0;
  // Per validator: own batches in a row that reached their acks without its
  // ack (our spare peers aside, which defer). Reset by any ack of it.
  std::vector<uint32_t> own_acks_missed_by_;
  // Per author: deferral suspended after late pushes (NoteLatePush).
  struct DeferralBackoff {
    uint32_t late_pushes_in_a_row = 0;
    uint64_t rounds = kDeferralBackoffMinRounds;  // the next suspension
    uint64_t until_round = 0;                     // no deferral below it
  };
  std::vector<DeferralBackoff> deferral_backoff_;

  // Voter: the highest (round, header digest) voted per author.
  std::vector<std::optional<std::pair<Round, Digest>>> last_voted_;
  // Per author: that vote, while it is an availability vote.
  std::vector<std::optional<AvailabilityVote>> availability_votes_;
  std::vector<std::optional<PendingHeader>> pending_headers_;  // one per author

  // Batches and certificates.
  absl::flat_hash_map<Digest, StoredBatch> batches_;
  std::vector<size_t> stored_per_author_;  // batches_ by author
  absl::flat_hash_map<Digest, InVerification> verifying_;
  std::map<std::pair<uint64_t, Digest>, PendingCertificate> pending_certs_;
  absl::flat_hash_set<Digest> pending_cert_digests_;
  std::map<Digest, MissingItem> missing_certs_;
  std::map<Digest, MissingItem> missing_batches_;
  TimeMs last_retransmit_ms_ = 0;
  TimeMs last_range_request_ms_ = 0;
  bool started_ = false;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_CORE_H_
