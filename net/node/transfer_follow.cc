#include "net/node/transfer_follow.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/execution/receipt_lookup.h"

namespace gridledger::node {
namespace {

std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

absl::Status FillOutgoingReceipt(storage::NodeStore& store, uint64_t sequence, const TxId& tx,
                                 v1::GetTransactionResponse* response) {
  GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::StoreStateView> view, store.Snapshot());
  GL_ASSIGN_OR_RETURN(std::optional<Receipt> receipt, FindReceiptOfTx(*view, sequence, tx));
  if (!receipt.has_value()) return absl::OkStatus();
  v1::OutgoingReceipt* out = response->mutable_receipt();
  out->set_destination_slice(receipt->destination.value());
  out->set_number(receipt->number);
  out->set_amount(receipt->amount.value());
  out->set_to(std::string(receipt->to.span().begin(), receipt->to.span().end()));
  return absl::OkStatus();
}

absl::StatusOr<CreditAnswer> AskCredited(const std::shared_ptr<grpc::Channel>& destination,
                                         uint32_t source_slice,
                                         const v1::OutgoingReceipt& receipt,
                                         std::chrono::milliseconds timeout) {
  v1::NodeInfo info;
  grpc::Status s = v1::Ledger::NewStub(destination)
                       ->GetNodeInfo(Context(timeout).get(), v1::GetNodeInfoRequest(), &info);
  if (!s.ok()) return FromGrpc(s);
  if (info.slice() != receipt.destination_slice()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the destination node serves slice ", info.slice(),
                     ", the receipt goes to slice ", receipt.destination_slice()));
  }
  v1::SubmitReceiptsRequest request;
  request.set_source_slice(source_slice);
  v1::SubmitReceiptsResponse response;
  s = v1::Receipts::NewStub(destination)->SubmitReceipts(Context(timeout).get(), request, &response);
  if (!s.ok()) return FromGrpc(s);
  return CreditAnswer{receipt.number() < response.next_expected(), response.next_expected(),
                      response.as_of_commit_sequence()};
}

}  // namespace gridledger::node
