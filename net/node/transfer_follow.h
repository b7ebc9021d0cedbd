// Following one cross-slice TRANSFER end to end (issue 11 item 2): the source
// validator's GetTransaction names the receipt the transfer emitted
// (FillOutgoingReceipt), and a destination validator answers whether it has
// credited it: receipt k from slice S is credited exactly when the
// destination's next expected number from S (SubmitReceipts with no imports,
// receipt_service.h) is above k. Between the two the transfer is "debited,
// receipt pending".
#ifndef GRIDLEDGER_NET_NODE_TRANSFER_FOLLOW_H_
#define GRIDLEDGER_NET_NODE_TRANSFER_FOLLOW_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/node_store.h"

namespace gridledger::node {

inline constexpr char kTransferPending[] = "debited, receipt pending";
inline constexpr char kTransferCredited[] = "credited";

// Server side: sets response->receipt when `tx`, committed in `sequence`,
// emitted a cross-slice receipt. Errors: storage faults, corrupt records.
absl::Status FillOutgoingReceipt(storage::NodeStore& store, uint64_t sequence, const TxId& tx,
                                 v1::GetTransactionResponse* response);

// Client side: whether the validator behind `destination` (which must serve
// the receipt's destination slice: FailedPrecondition otherwise) has credited
// receipt `receipt` of `source_slice`. Errors: the RPC's, as a Status.
struct CreditAnswer {
  bool credited = false;
  uint64_t next_expected = 0;  // the destination's, from source_slice
  uint64_t as_of_commit_sequence = 0;
};
absl::StatusOr<CreditAnswer> AskCredited(const std::shared_ptr<grpc::Channel>& destination,
                                         uint32_t source_slice,
                                         const v1::OutgoingReceipt& receipt,
                                         std::chrono::milliseconds timeout);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_TRANSFER_FOLLOW_H_
