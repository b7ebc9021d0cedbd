// The destination side of cross-slice receipts (DESIGN.md §3): the gRPC
// service gridledger.v1.Receipts. A relaying validator of another slice
// (receipt_relay.h) hands it imports (core/execution/receipt.h); each is
// admitted here only after a strict decode within byte bounds and the full
// check of VerifyReceiptImport (2f+1 distinct valid signatures of the SOURCE
// committee from genesis over the checkpoint digest, chain id, receipts
// hashing to the root, this slice the destination), and only if it still
// has a receipt this slice has not credited. It then enters consensus as one
// batch entry like a transaction; execution verifies it again and credits
// each receipt exactly once (executor.h). Nothing is made durable here: a
// relayer resends until next_expected shows the receipts credited.
#ifndef GRIDLEDGER_NET_NODE_RECEIPT_SERVICE_H_
#define GRIDLEDGER_NET_NODE_RECEIPT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/execution/receipt.h"
#include "net/node/consensus_driver.h"
#include "net/node/pending_txs.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/node_store.h"

namespace gridledger::node {

inline constexpr size_t kMaxImportsPerRequest = 64;

struct ReceiptServiceStats {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};         // did not decode or verify
  std::atomic<uint64_t> already_credited{0};
  std::atomic<uint64_t> pending{0};         // the same import is already in consensus
  std::atomic<uint64_t> overloaded{0};      // the core did not take it
};

// Checks one import's bytes against the genesis (no state): the admission
// check of this service and of peers' batches (TxChecker). OK, or the reason.
absl::StatusOr<ReceiptImport> CheckReceiptImport(ByteSpan bytes, const CrossSliceConfig& config,
                                                 SliceId self);

class ReceiptService final : public v1::Receipts::Service {
 public:
  // Everything must outlive the service.
  ReceiptService(SliceId slice, const CrossSliceConfig* config, storage::NodeStore* store,
                 PendingTxs* pending, ConsensusDriver* driver)
      : slice_(slice), config_(*config), store_(store), pending_(pending), driver_(driver) {}

  grpc::Status SubmitReceipts(grpc::ServerContext* context,
                              const v1::SubmitReceiptsRequest* request,
                              v1::SubmitReceiptsResponse* response) override;

  const ReceiptServiceStats& stats() const { return stats_; }

 private:
  const SliceId slice_;
  const CrossSliceConfig& config_;
  storage::NodeStore* store_;
  PendingTxs* pending_;
  ConsensusDriver* driver_;
  ReceiptServiceStats stats_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_RECEIPT_SERVICE_H_
