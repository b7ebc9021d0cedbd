// gridledger.v1.Ledger on an archive node: the read side across every slice
// it follows. GetTransaction looks in every slice's store (and names the
// receipt a committed cross-slice transfer emitted); GetAccount reads
// the slice asked for; StreamCommits (one message per transaction) and
// StreamCommitBatches (one per commit) merge all slices' commit streams (each
// entry carries its slice; per slice in commit order, slices taken in turns
// of at most kStreamCommitsPerTurn commits); GetNodeInfo reports each
// slice's progress (archive_slices); the market calls read the slice named in
// the request (`slice`, absent: 0). Submissions are UNIMPLEMENTED: an
// archive never orders anything, clients submit to a validator of the slice.
// GetCounters is UNIMPLEMENTED with a reason: NodeCounters describes one
// validator of one slice (index, verifications, stage latencies, refusals),
// none of which an archive has; its per-slice progress is in GetNodeInfo's
// archive_slices.
#ifndef GRIDLEDGER_NET_ARCHIVE_ARCHIVE_SERVICE_H_
#define GRIDLEDGER_NET_ARCHIVE_ARCHIVE_SERVICE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "net/archive/slice_follower.h"
#include "net/node/commit_batches.h"
#include "net/node/subscriber_limit.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::archive {

inline constexpr uint64_t kStreamCommitsPerTurn = 16;

class ArchiveService final : public gridledger::v1::Ledger::Service {
 public:
  // followers[i] follows slice i; they must outlive the service.
  explicit ArchiveService(std::vector<SliceFollower*> followers)
      : followers_(std::move(followers)) {}

  grpc::Status SubmitBatch(grpc::ServerContext* context,
                           const gridledger::v1::SubmitBatchRequest* request,
                           gridledger::v1::SubmitBatchResponse* response) override;
  grpc::Status SubmitStream(grpc::ServerContext* context,
                            grpc::ServerReader<gridledger::v1::SubmitBatchRequest>* reader,
                            gridledger::v1::SubmitStreamSummary* summary) override;
  grpc::Status GetTransaction(grpc::ServerContext* context,
                              const gridledger::v1::GetTransactionRequest* request,
                              gridledger::v1::GetTransactionResponse* response) override;
  grpc::Status GetAccount(grpc::ServerContext* context,
                          const gridledger::v1::GetAccountRequest* request,
                          gridledger::v1::GetAccountResponse* response) override;
  grpc::Status StreamCommits(
      grpc::ServerContext* context, const gridledger::v1::StreamCommitsRequest* request,
      grpc::ServerWriter<gridledger::v1::CommittedTransaction>* writer) override;
  // The same entries, one message per commit (split when large).
  grpc::Status StreamCommitBatches(grpc::ServerContext* context,
                                   const gridledger::v1::StreamCommitsRequest* request,
                                   grpc::ServerWriter<gridledger::v1::CommitBatch>* writer) override;
  grpc::Status GetCounters(grpc::ServerContext* context,
                           const gridledger::v1::GetCountersRequest* request,
                           gridledger::v1::NodeCounters* response) override;
  grpc::Status GetNodeInfo(grpc::ServerContext* context,
                           const gridledger::v1::GetNodeInfoRequest* request,
                           gridledger::v1::NodeInfo* response) override;
  grpc::Status GetMarketInterval(grpc::ServerContext* context,
                                 const gridledger::v1::GetMarketIntervalRequest* request,
                                 gridledger::v1::MarketInterval* response) override;
  grpc::Status GetSettlement(grpc::ServerContext* context,
                             const gridledger::v1::GetSettlementRequest* request,
                             gridledger::v1::SettlementResponse* response) override;
  grpc::Status GetTariff(grpc::ServerContext* context,
                         const gridledger::v1::GetTariffRequest* request,
                         gridledger::v1::TariffResponse* response) override;
  grpc::Status GetMarketAccount(grpc::ServerContext* context,
                                const gridledger::v1::GetMarketAccountRequest* request,
                                gridledger::v1::MarketAccount* response) override;
  grpc::Status StreamMarketEvents(
      grpc::ServerContext* context, const gridledger::v1::StreamMarketEventsRequest* request,
      grpc::ServerWriter<gridledger::v1::MarketEvent>* writer) override;

 private:
  // The follower of `slice`, or INVALID_ARGUMENT naming the slices there are.
  grpc::Status Slice(uint32_t slice, SliceFollower** out) const;
  // Every slice's commits from `from_sequence` on, merged (see above):
  // send(slice, sequence, entries) per commit; false when the client went away.
  using MergedSender =
      std::function<bool(SliceId slice, uint64_t sequence, node::CommitEntries& entries)>;
  grpc::Status FollowMerged(grpc::ServerContext* context, uint64_t from_sequence,
                            const MergedSender& send);

  std::vector<SliceFollower*> followers_;
  node::SubscriberLimit subscribers_;
};

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_ARCHIVE_SERVICE_H_
