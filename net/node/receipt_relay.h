// The source side of cross-slice receipts (DESIGN.md §3): every validator
// runs one relay. For each other slice it relays to, it reads from its own
// store the receipts for that slice from the next number the destination
// still needs, wraps each commit's receipts with the commit's FINAL
// checkpoint and its 2f+1 signatures (CheckpointStore) into imports
// (core/execution/receipt.h), and submits them, in order, to one of the
// destination's validators over gridledger.v1.Receipts (receipt_service.h).
// The answer says the destination's next expected number; the relay repeats
// until it passes every receipt it has. No progress moves it to the next
// validator of the destination and backs off (kRelayBackoffMin doubling up
// to kRelayBackoffMax). Any validator relays every receipt, so a relayer
// that withholds or forges delays nothing while one honest validator of the
// source reaches one honest validator of the destination; duplicates from
// several relayers are credited once (execution keys them by number).
#ifndef GRIDLEDGER_NET_NODE_RECEIPT_RELAY_H_
#define GRIDLEDGER_NET_NODE_RECEIPT_RELAY_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/log.h"
#include "core/execution/receipt.h"
#include "net/node/checkpoint_store.h"
#include "net/node/config.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/node_store.h"

namespace gridledger::node {

inline constexpr absl::Duration kRelayBackoffMin = absl::Milliseconds(50);
inline constexpr absl::Duration kRelayBackoffMax = absl::Seconds(2);
// After imports were taken: about one commit's time before asking again.
inline constexpr absl::Duration kRelayAfterAccepted = absl::Milliseconds(250);
inline constexpr absl::Duration kRelayRpcDeadline = absl::Seconds(5);
inline constexpr size_t kRelayImportsPerCall = 32;

struct RelayStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> rpc_errors{0};
  std::atomic<uint64_t> imports_sent{0};
  std::atomic<uint64_t> imports_accepted{0};
  std::atomic<uint64_t> build_errors{0};
};

struct RelayDestination {
  SliceId slice;
  std::vector<std::string> grpc_addresses;  // its validators' client API
};

// How the relay dials the destinations' client APIs: TLS trusting the
// config's relay_tls_ca (PEM) when set, else plaintext. InvalidArgument names
// a file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> RelayCredentials(
    const NodeConfig& config);

// The node config's [[relay]] targets grouped by slice (ascending).
std::vector<RelayDestination> RelayDestinationsOf(const NodeConfig& config);

// The imports that carry the receipts for `destination` numbered `first`
// on, commit by commit, as far as final checkpoints in `finals` reach and at
// most `max_imports`; empty when receipt `first` does not exist here yet.
absl::StatusOr<std::vector<Bytes>> BuildRelayImports(storage::NodeStore& store,
                                                     const CheckpointStore& finals,
                                                     size_t quorum, SliceId destination,
                                                     uint64_t first, size_t max_imports);

class ReceiptRelay {
 public:
  // Everything must outlive the relay. `quorum`: 2f+1 of this slice.
  ReceiptRelay(SliceId slice, size_t quorum, storage::NodeStore* store,
               const CheckpointStore* finals, std::vector<RelayDestination> destinations,
               Logger logger,
               std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  ~ReceiptRelay() { Stop(); }

  void Start();
  void Stop();  // joins
  const RelayStats& stats() const { return stats_; }
  // Each destination's next expected number from this slice as last
  // reported to this relay, by destination ascending (metrics: receipts in
  // flight); a destination not answered yet is absent.
  std::vector<std::pair<SliceId, uint64_t>> ReportedNextExpected() const;

 private:
  struct Target {
    RelayDestination destination;
    size_t address = 0;       // the validator asked now
    std::unique_ptr<v1::Receipts::Stub> stub;
    uint64_t next_expected = 1;  // as last reported
    absl::Duration backoff = kRelayBackoffMin;
    absl::Time next_attempt = absl::InfinitePast();
  };
  void Loop();
  void Round(Target& t, absl::Time now);
  void Rotate(Target& t);

  const SliceId slice_;
  const size_t quorum_;
  storage::NodeStore* store_;
  const CheckpointStore& finals_;
  Logger logger_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::vector<Target> targets_;  // relay thread only
  absl::Time last_error_log_ = absl::InfinitePast();
  RelayStats stats_;
  mutable absl::Mutex reported_mu_;
  absl::flat_hash_map<uint32_t, uint64_t> reported_ ABSL_GUARDED_BY(reported_mu_);
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_RECEIPT_RELAY_H_
