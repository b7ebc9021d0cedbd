// A validator process: wires the LMDB store, the consensus core (on its own
// driver thread), the batch verifier, the peer transport, the gRPC client API
// and the metrics server. Start order: store (seeded from genesis) ->
// consensus state restored -> verifier -> transport -> driver -> gRPC ->
// metrics. Stop reverses it: gRPC, transport, driver, verifier, metrics, LMDB.
#ifndef GRIDLEDGER_NET_NODE_NODE_H_
#define GRIDLEDGER_NET_NODE_NODE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/consensus/params.h"
#include "core/consensus/persistence.h"
#include "net/node/checkpoint_signer.h"
#include "net/node/checkpoint_store.h"
#include "net/node/config.h"
#include "net/node/state_sync.h"
#include "net/node/tx_checker.h"
#include "net/transport/transport.h"
#include "storage/lmdb_env.h"

namespace gridledger::node {

struct NodeOptions {
  consensus::Parameters params;
  int verifier_cpu_threads = 0;  // 0: all cores
  // With a CPU backend: peers' batches get a verifier (and pool) of their
  // own, and client admission verifies at this nice increment (0..19,
  // net/node/tx_checker.h); two pools of verifier_cpu_threads each. False:
  // one verifier, shared through the queue.
  bool verify_peer_batches_apart = true;
  int client_verify_nice_increment = kClientVerifyNiceIncrement;
  // Bound on the LMDB map (tests: a tiny one makes the disk "full").
  uint64_t lmdb_max_map_size_bytes = storage::kDefaultMaxMapSizeBytes;
  // Frames queued for one peer, kept while it is unreachable and sent when it
  // comes back (net/transport/transport.h). A validator down for a while
  // catches up from these queues when they hold its whole gap; tests that
  // must exercise commit sync shrink them.
  size_t peer_send_queue_max_frames = net::kDefaultSendQueueMaxFrames;
  // The same queues' bound in payload bytes, what bounds their memory: at
  // least the largest frame (net::kDefaultMaxFrameBytes).
  size_t peer_send_queue_max_bytes = net::kDefaultSendQueueMaxBytes;
};

// Cross-slice receipts at this validator since it started.
struct ReceiptCounts {
  uint64_t credited = 0;          // receipts credited by commits executed here
  uint64_t duplicates = 0;        // receipts in imports that were credited before
  uint64_t imports_refused = 0;   // imports that changed nothing (reason: executor.h)
  uint64_t relayed_accepted = 0;  // imports this validator's relay got taken
};

class Node {
 public:
  // InvalidArgument for a bad genesis/key/config combination, Unavailable when
  // a port cannot be bound, storage errors as they come.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const NodeConfig& config,
                                                     const NodeOptions& options = {});
  ~Node();  // Stop()s.
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Idempotent.
  void Stop();

  uint16_t grpc_port() const;
  uint16_t metrics_port() const;
  uint16_t peer_port() const;
  // Where committee member `peer` listens, overriding the genesis address
  // (tests that bind every node's peer port to 0 tell each node the ports
  // the others got). InvalidArgument for our own key, a key outside the
  // committee or a host that is not an IP literal.
  absl::Status SetPeerAddress(const PublicKey& peer, const HostPort& address);
  // "host:port" of the gRPC server as bound.
  std::string grpc_address() const;
  SliceId slice() const;
  ValidatorIndex index() const;
  std::string verifier_name() const;
  std::string verifier_reason() const;
  // True when peers' batches are verified apart from client admission
  // (NodeOptions::verify_peer_batches_apart with a CPU backend).
  bool peers_verified_apart() const;

  uint64_t last_committed_sequence() const;
  // The state summary after the last commit (storage CommitMeta.state_summary).
  absl::StatusOr<Digest> state_summary() const;
  // The state summary recorded with commit `sequence` (NotFound if absent).
  absl::StatusOr<Digest> StateSummaryAt(uint64_t sequence) const;
  // The state root (storage/state_root.h) now, recorded with commit
  // `sequence` (NotFound if absent), and hashed from scratch (O(state)).
  absl::StatusOr<Digest> state_root() const;
  absl::StatusOr<Digest> StateRootAt(uint64_t sequence) const;
  absl::StatusOr<Digest> RecomputeStateRoot() const;
  // The final checkpoint of commit `sequence` (NotFound until stored).
  absl::StatusOr<SignedCheckpoint> FinalCheckpoint(uint64_t sequence) const;
  CheckpointSignerStats checkpoint_stats() const;
  ReceiptCounts receipt_counts() const;
  // State sync (net/node/state_sync.h): what it served, restored, fetched;
  // the sequence this store was restored at (nullopt: never).
  StateSyncStats state_sync_stats() const;
  absl::StatusOr<std::optional<uint64_t>> StateSyncedFrom() const;
  // What Core::Start was given (tests: restart recovery).
  const consensus::PersistedState& restored_state() const;
  uint64_t votes_sent() const;
  uint64_t commits_executed() const;
  uint64_t commits_already_executed() const;
  uint64_t round() const;
  // Commit sync: catching up from peers now; commits executed from it; syncs started.
  bool syncing() const;
  uint64_t commits_synced() const;
  uint64_t syncs_started() const;
  // OK while the consensus thread runs; its fatal error (storage) otherwise.
  absl::Status health() const;
  // A full disk pauses the node (admission answers UNAVAILABLE "disk full")
  // until space returns; tests return it by raising the LMDB map bound.
  bool disk_full() const;
  void SetStorageMaxMapSize(uint64_t max_map_size_bytes);

  struct Parts;

 private:
  explicit Node(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_NODE_H_
