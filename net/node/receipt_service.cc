#include "net/node/receipt_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "core/consensus/messages.h"
#include "core/execution/receipt_records.h"
#include "core/tx/codec.h"
#include "net/node/client_service.h"

namespace gridledger::node {
namespace {

static_assert(kMaxReceiptImportBytes <= consensus::kMaxTransactionBytes,
              "an import must fit one batch entry");

}  // namespace

absl::StatusOr<ReceiptImport> CheckReceiptImport(ByteSpan bytes, const CrossSliceConfig& config,
                                                 SliceId self) {
  GL_ASSIGN_OR_RETURN(ReceiptImport import, DecodeReceiptImport(bytes));
  GL_RETURN_IF_ERROR(VerifyReceiptImport(import, config, self));
  return import;
}

grpc::Status ReceiptService::SubmitReceipts(grpc::ServerContext*,
                                            const v1::SubmitReceiptsRequest* request,
                                            v1::SubmitReceiptsResponse* response) {
  if (static_cast<size_t>(request->imports_size()) > kMaxImportsPerRequest) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("imports: ", request->imports_size(), " exceeds ",
                                     kMaxImportsPerRequest));
  }
  const SliceId source(request->source_slice());
  if (!config_.HasSlice(source) || source == slice_) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("source_slice: ", source.value(), " is not another slice"));
  }
  uint64_t next = 1;
  {
    absl::StatusOr<std::unique_ptr<storage::StoreStateView>> view = store_->Snapshot();
    if (!view.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "store snapshot failed");
    absl::StatusOr<uint64_t> n = NextIncoming(**view, source);
    absl::StatusOr<uint64_t> out = NextOutgoing(**view, source);
    absl::StatusOr<uint64_t> as_of = (*view)->LastCommittedSequence();
    if (!n.ok() || !out.ok() || !as_of.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "store read failed");
    }
    next = *n;
    response->set_next_outgoing(*out);
    response->set_as_of_commit_sequence(*as_of);
  }
  response->set_next_expected(next);
  if (request->imports_size() == 0) return grpc::Status::OK;
  if (driver_->syncing()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "catching up");

  auto to_core = std::make_shared<consensus::TxList>();
  std::vector<int> to_core_index;
  std::vector<TxId> ids;
  for (int i = 0; i < request->imports_size(); ++i) {
    v1::ReceiptImportResult* r = response->add_results();
    const ByteSpan bytes = SpanOf(request->imports(i));
    absl::StatusOr<ReceiptImport> import = CheckReceiptImport(bytes, config_, slice_);
    if (!import.ok()) {
      ++stats_.refused;
      r->set_reason(std::string(import.status().message()));
      continue;
    }
    if (import->checkpoint.slice != source) {
      ++stats_.refused;
      r->set_reason("import from another source than source_slice");
      continue;
    }
    if (import->receipts.back().number < next) {
      ++stats_.already_credited;
      r->set_reason("already credited");
      continue;
    }
    const TxId id = ComputeTxId(bytes);
    if (!pending_->Insert(id)) {
      ++stats_.pending;
      r->set_reason("already pending");
      continue;
    }
    to_core->push_back(bytes);
    to_core_index.push_back(i);
    ids.push_back(id);
  }
  if (to_core->empty()) return grpc::Status::OK;
  const std::vector<absl::Status> results = driver_->Submit(std::move(to_core), kSubmitTimeout);
  for (size_t k = 0; k < results.size(); ++k) {
    v1::ReceiptImportResult* r = response->mutable_results(to_core_index[k]);
    if (results[k].ok()) {
      ++stats_.accepted;
      r->set_accepted(true);
      continue;
    }
    ++stats_.overloaded;
    pending_->Erase(ids[k]);
    r->set_reason(absl::StrCat("overloaded: ", results[k].message()));
  }
  return grpc::Status::OK;
}

}  // namespace gridledger::node
