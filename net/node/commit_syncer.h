// Commit sync, the syncing side (the serving side is commit_sync_server.h).
// A validator that fell behind further than its peers' memory reaches (their
// DAG keeps gc_depth rounds) catches up from their storage: it asks one peer
// at a time for committed sub-DAGs by sequence, in ranges of
// kSyncCommitsPerRequest, verifies them (core/consensus/commit_verifier.h:
// signatures, anchors, exact histories, the commit rule), executes the
// proven ones through the same CommitAction path as its own commits, and
// when a peer has nothing more, asks the core to rejoin the DAG at the tip
// (Core::Rejoin). A peer whose answer is refused or late is replaced by the
// next one, round-robin.
//
// Being behind: at least f+1 peers (so one honest) sent consensus messages of
// a round more than max(4, gc_depth / 2) above the highest round of our DAG.
// While syncing, the driver keeps peer consensus messages from the core and
// admission refuses client transactions ("catching up").
//
// Runs on the consensus thread (the driver calls it), like the core: its
// actions are the core's (PersistAction, CommitAction, SendAction).
#ifndef GRIDLEDGER_NET_NODE_COMMIT_SYNCER_H_
#define GRIDLEDGER_NET_NODE_COMMIT_SYNCER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/common/log.h"
#include "core/consensus/commit_verifier.h"
#include "core/consensus/core.h"
#include "net/node/commit_answer.h"
#include "storage/consensus_store.h"

namespace gridledger::node {

inline constexpr uint32_t kSyncCommitsPerRequest = 64;
// An answer not complete by then: ask the next peer.
inline constexpr consensus::TimeMs kSyncRequestTimeoutMs = 3'000;
// After a sync ends, the next one starts no sooner (the DAG gets a chance).
inline constexpr consensus::TimeMs kSyncHoldOffMs = 1'000;
// Bytes of one answer buffered before it is verified: the server's answer
// bound plus one commit over it (its payload and certificates).
inline constexpr size_t kSyncAnswerBufferBytesMax =
    (size_t{16} << 20) + consensus::kMaxCommitBytes + (size_t{16} << 20);

struct CommitSyncerStats {
  uint64_t syncs_started = 0;
  uint64_t requests_sent = 0;
  uint64_t answers_refused = 0;  // failed verification or bounds
  uint64_t requests_timed_out = 0;
  uint64_t commits_synced = 0;   // proven and handed to execution
};

class CommitSyncer {
 public:
  // Everything must outlive the syncer.
  CommitSyncer(const consensus::Committee* committee, const consensus::Parameters& params,
               ValidatorIndex me, consensus::SignatureChecker* checker,
               storage::ConsensusStore* store);

  // Every consensus message a peer sent: its round shows how far the committee is.
  void NotePeerMessage(ValidatorIndex from, const consensus::Message& message);
  // Each tick: starts a sync when behind, retries a late request.
  std::vector<consensus::Action> OnTimer(consensus::TimeMs now, Round dag_round);
  // One message of an answer.
  std::vector<consensus::Action> OnResponse(ValidatorIndex from,
                                            const consensus::CommitSyncResponse& response,
                                            consensus::TimeMs now);

  // Before the first call: where its lines go (default: the process logger).
  void set_logger(Logger logger) { logger_ = std::move(logger); }
  // State sync (net/node/state_sync.h): asked, when behind, whether a
  // snapshot restore replaces this sync (it returns true once it started
  // one); `next_commit_unavailable` is true when the last sync found that
  // peers have later commits but no longer serve our next one.
  using SnapshotPolicy = std::function<bool(bool next_commit_unavailable)>;
  void set_snapshot_policy(SnapshotPolicy policy) { snapshot_policy_ = std::move(policy); }
  // The next OnTimer starts a sync however far the peers are (after a
  // restore: the commits after the snapshot come from peers' stores).
  void ForceStart() { force_start_ = true; }

  bool syncing() const { return syncing_; }
  // True when OnTimer(now, dag_round) would start a sync (which reads the
  // store's commit state: the caller completes its pending writes first).
  bool MayStart(consensus::TimeMs now, Round dag_round) const;
  // Commits the latest answer's server had beyond ours (0 when not syncing).
  uint64_t behind_commits() const { return syncing_ ? behind_commits_ : 0; }
  // True once after a sync ended: the core must rejoin from the store.
  bool TakeRejoin();
  const CommitSyncerStats& stats() const { return stats_; }
  // Why the latest refused answer was refused.
  const std::string& last_refusal() const { return last_refusal_; }

 private:
  void Start(consensus::TimeMs now);
  void Finish(consensus::TimeMs now);
  void Request(std::vector<consensus::Action>* out, consensus::TimeMs now);
  void NextPeer();
  void Refuse(std::string why);
  void ClearAnswer();
  // The complete answer: verify, hand proven commits over, ask for more or finish.
  void OnAnswer(std::vector<consensus::Action>* out, uint64_t highest_sequence,
                consensus::TimeMs now);

  const consensus::Committee* committee_;
  consensus::Parameters params_;
  ValidatorIndex me_;
  storage::ConsensusStore* store_;
  Logger logger_;
  consensus::CommitVerifier verifier_;
  std::vector<uint64_t> peer_rounds_;  // the highest round each peer sent
  CommitSyncerStats stats_;
  std::string last_refusal_;

  bool syncing_ = false;
  bool rejoin_ = false;
  SnapshotPolicy snapshot_policy_;
  bool force_start_ = false;
  uint64_t unavailable_answers_ = 0;  // this sync: peers ahead that served nothing
  bool next_commit_unavailable_ = false;
  consensus::TimeMs ended_ms_ = 0;
  consensus::TimeMs started_ms_ = 0;
  uint64_t started_index_ = 0;
  bool ever_ended_ = false;
  uint64_t behind_commits_ = 0;
  consensus::CommitChainState chain_;  // what is executed
  uint32_t peer_ = 0;                  // asked now (or next)
  uint32_t peers_without_progress_ = 0;
  // The outstanding request and its answer so far.
  std::optional<consensus::CommitSyncRequest> request_;
  consensus::TimeMs requested_ms_ = 0;
  std::optional<CommitAnswer> answer_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_SYNCER_H_
