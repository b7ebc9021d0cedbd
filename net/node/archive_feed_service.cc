#include "net/node/archive_feed_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/consensus/messages.h"

namespace gridledger::node {

grpc::Status ArchiveFeedService::FetchCommits(
    grpc::ServerContext* context, const gridledger::v1::FetchCommitsRequest* request,
    grpc::ServerWriter<gridledger::v1::FetchCommitsChunk>* writer) {
  if (request->from_sequence() == 0 || request->max_commits() == 0 ||
      request->max_commits() > consensus::kMaxSyncCommitsPerRequest) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("from_sequence >= 1 and max_commits in 1..",
                                     consensus::kMaxSyncCommitsPerRequest));
  }
  const consensus::CommitSyncRequest sync{request->from_sequence(), request->max_commits()};
  std::vector<consensus::CommitSyncResponse> answer;
  {
    absl::MutexLock lock(&mu_);
    answer = sync_server_.Serve(ValidatorIndex(0), sync, absl::ToUnixMillis(absl::Now()));
  }
  if (answer.empty()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "archive feed over its byte rate; retry later");
  }
  for (const consensus::CommitSyncResponse& part : answer) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    gridledger::v1::FetchCommitsChunk chunk;
    const Bytes bytes = consensus::EncodeMessage(part);
    chunk.set_message(bytes.data(), bytes.size());
    if (!writer->Write(chunk)) return grpc::Status::CANCELLED;
  }
  return grpc::Status::OK;
}

grpc::Status ArchiveFeedService::FetchCheckpoint(
    grpc::ServerContext* /*context*/, const gridledger::v1::FetchCheckpointRequest* request,
    gridledger::v1::FetchCheckpointResponse* response) {
  response->set_last_committed_sequence(store_->last_committed_sequence());
  std::optional<SignedCheckpoint> found;
  if (request->sequence() == 0) {
    auto last = checkpoints_->Last();
    if (!last.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(last.status().message()));
    found = *last;
  } else {
    auto one = checkpoints_->Get(request->sequence());
    if (one.ok()) {
      found = *one;
    } else if (!absl::IsNotFound(one.status())) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(one.status().message()));
    }
  }
  if (!found.has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no final checkpoint stored");
  }
  const Bytes bytes = EncodeSignedCheckpoint(*found);
  response->set_signed_checkpoint(bytes.data(), bytes.size());
  return grpc::Status::OK;
}

}  // namespace gridledger::node
