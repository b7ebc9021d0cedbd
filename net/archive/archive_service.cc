#include "net/archive/archive_service.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/string_bytes.h"
#include "net/node/commit_batches.h"
#include "net/node/ledger_reads.h"
#include "net/node/transfer_follow.h"

namespace gridledger::archive {
namespace {

namespace v1 = gridledger::v1;

grpc::Status Internal(const absl::Status& s) {
  return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
}

constexpr absl::string_view kNoSubmit =
    "an archive node does not accept transactions; submit to a validator of the slice";

}  // namespace

grpc::Status ArchiveService::Slice(uint32_t slice, SliceFollower** out) const {
  if (slice >= followers_.size()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("slice: ", slice, " is not followed here (slices 0..",
                                     followers_.size() - 1, ")"));
  }
  *out = followers_[slice];
  return grpc::Status::OK;
}

grpc::Status ArchiveService::SubmitBatch(grpc::ServerContext*, const v1::SubmitBatchRequest*,
                                         v1::SubmitBatchResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(kNoSubmit));
}

grpc::Status ArchiveService::SubmitStream(grpc::ServerContext*,
                                          grpc::ServerReader<v1::SubmitBatchRequest>*,
                                          v1::SubmitStreamSummary*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(kNoSubmit));
}

grpc::Status ArchiveService::GetTransaction(grpc::ServerContext*,
                                            const v1::GetTransactionRequest* request,
                                            v1::GetTransactionResponse* response) {
  if (std::string bad = node::Bytes32Problem("tx_id", request->tx_id()); !bad.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, bad);
  }
  const TxId id = TxId::FromSpan(SpanOf(request->tx_id()));
  response->set_tx_id(request->tx_id());
  response->set_status(v1::TRANSACTION_STATUS_UNKNOWN);
  for (SliceFollower* f : followers_) {  // ids are unique across slices
    absl::Status stored = node::FillStoredTransaction(*f->store(), id, response);
    if (absl::IsNotFound(stored)) continue;
    if (!stored.ok()) return Internal(stored);
    response->set_slice(f->slice().value());
    if (response->status() == v1::TRANSACTION_STATUS_COMMITTED) {
      // A cross-slice transfer: the receipt it emitted, as a validator says.
      absl::Status found =
          node::FillOutgoingReceipt(*f->store(), response->commit_sequence(), id, response);
      if (!found.ok()) return Internal(found);
    }
    return grpc::Status::OK;
  }
  return grpc::Status::OK;
}

grpc::Status ArchiveService::GetAccount(grpc::ServerContext*, const v1::GetAccountRequest* request,
                                        v1::GetAccountResponse* response) {
  if (std::string bad = node::Bytes32Problem("key", request->key()); !bad.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, bad);
  }
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  absl::Status read = node::FillAccount(*f->store(), f->slice(), request->key(), response);
  if (!read.ok()) return Internal(read);
  return grpc::Status::OK;
}

grpc::Status ArchiveService::FollowMerged(grpc::ServerContext* context, uint64_t from_sequence,
                                          const MergedSender& send) {
  std::optional<node::SubscriberLimit::Slot> slot = subscribers_.TryAcquire();
  if (!slot.has_value()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("commit stream: ", subscribers_.max(),
                                     " subscribers already; retry later"));
  }
  // Per slice: the next sequence to send, and whether it caught up once
  // (from then on a lag over kMaxSubscriberLagCommits ends the stream).
  const uint64_t from = std::max<uint64_t>(from_sequence, 1);
  std::vector<uint64_t> next(followers_.size(), from);
  std::vector<bool> caught_up(followers_.size(), false);
  node::CommitEntries entries;  // one arena for the stream, reset per commit
  for (;;) {
    bool sent = false;
    for (size_t s = 0; s < followers_.size(); ++s) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      SliceFollower& f = *followers_[s];
      if (f.feed()->closed()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "archive is stopping");
      }
      const uint64_t recorded = f.feed()->recorded();
      if (next[s] > recorded) {
        caught_up[s] = true;
        continue;
      }
      if (caught_up[s] && recorded - next[s] >= node::kMaxSubscriberLagCommits) {
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat("subscriber fell ", recorded - next[s] + 1,
                                         " commits behind on slice ", s, " (bound ",
                                         node::kMaxSubscriberLagCommits,
                                         "); resubscribe from sequence ", next[s]));
      }
      const node::CommitSource source{f.store(), f.consensus_store(), f.feed(), f.slice()};
      for (uint64_t k = 0; k < kStreamCommitsPerTurn && next[s] <= recorded; ++k, ++next[s]) {
        if (absl::Status read = node::ReadCommitEntries(source, next[s], &entries); !read.ok()) {
          return Internal(read);
        }
        if (!send(f.slice(), next[s], entries)) return grpc::Status::CANCELLED;
        sent = true;
      }
    }
    if (!sent) {
      // Nothing anywhere: wait for slice 0 briefly, then look at all again.
      followers_[0]->feed()->WaitBeyond(next[0] - 1, node::kStreamPollInterval);
    }
  }
}

grpc::Status ArchiveService::StreamCommits(grpc::ServerContext* context,
                                           const v1::StreamCommitsRequest* request,
                                           grpc::ServerWriter<v1::CommittedTransaction>* writer) {
  return FollowMerged(context, request->from_sequence(),
                      [writer](SliceId, uint64_t, node::CommitEntries& entries) {
                        for (const v1::CommittedTransaction* entry : entries.entries()) {
                          if (!writer->Write(*entry)) return false;
                        }
                        return true;
                      });
}

grpc::Status ArchiveService::StreamCommitBatches(grpc::ServerContext* context,
                                                 const v1::StreamCommitsRequest* request,
                                                 grpc::ServerWriter<v1::CommitBatch>* writer) {
  return FollowMerged(
      context, request->from_sequence(),
      [writer](SliceId slice, uint64_t sequence, node::CommitEntries& entries) {
        for (const v1::CommitBatch* batch : entries.Pack(sequence, slice)) {
          if (!writer->Write(*batch)) return false;
        }
        return true;
      });
}

grpc::Status ArchiveService::GetCounters(grpc::ServerContext*, const v1::GetCountersRequest*,
                                         v1::NodeCounters*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "an archive node has no validator counters; GetNodeInfo's archive_slices "
                      "reports each slice's progress");
}

grpc::Status ArchiveService::GetNodeInfo(grpc::ServerContext*, const v1::GetNodeInfoRequest*,
                                         v1::NodeInfo* response) {
  response->set_archive(true);
  response->set_verifier_backend("none");
  for (SliceFollower* f : followers_) {
    v1::ArchiveSliceInfo* info = response->add_archive_slices();
    info->set_slice(f->slice().value());
    const uint64_t sequence = f->last_committed_sequence();
    info->set_last_committed_sequence(sequence);
    absl::StatusOr<Digest> root =
        sequence == 0 ? f->store()->StateRoot() : f->store()->StateRootAt(sequence);
    if (root.ok()) info->set_state_root(StringOf(root->span()));
    const SliceFollowerStats& stats = f->stats();
    info->set_verified_through(stats.verified_through.load());
    info->set_behind_commits(f->behind_commits());
    info->set_source(f->current_source_address());
    info->set_answers_refused(stats.answers_refused.load());
    info->set_checkpoints_refused(stats.checkpoints_refused.load());
    info->set_root_mismatches(stats.root_mismatches.load());
    info->set_source_switches(stats.source_switches.load());
  }
  // The top-level fields describe slice 0 (clients that know only them).
  const v1::ArchiveSliceInfo& first = response->archive_slices(0);
  response->set_slice(first.slice());
  response->set_last_committed_sequence(first.last_committed_sequence());
  response->set_state_root(first.state_root());
  response->set_last_final_checkpoint(first.verified_through());
  response->set_behind_commits(first.behind_commits());
  response->set_committee_size(static_cast<uint32_t>(followers_[0]->committee().size()));
  return grpc::Status::OK;
}

grpc::Status ArchiveService::GetMarketInterval(grpc::ServerContext*,
                                               const v1::GetMarketIntervalRequest* request,
                                               v1::MarketInterval* response) {
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  return f->market()->GetMarketInterval(*request, response);
}

grpc::Status ArchiveService::GetSettlement(grpc::ServerContext*,
                                           const v1::GetSettlementRequest* request,
                                           v1::SettlementResponse* response) {
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  return f->market()->GetSettlement(*request, response);
}

grpc::Status ArchiveService::GetTariff(grpc::ServerContext*, const v1::GetTariffRequest* request,
                                       v1::TariffResponse* response) {
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  return f->market()->GetTariff(*request, response);
}

grpc::Status ArchiveService::GetMarketAccount(grpc::ServerContext*,
                                              const v1::GetMarketAccountRequest* request,
                                              v1::MarketAccount* response) {
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  return f->market()->GetMarketAccount(*request, response);
}

grpc::Status ArchiveService::StreamMarketEvents(grpc::ServerContext* context,
                                                const v1::StreamMarketEventsRequest* request,
                                                grpc::ServerWriter<v1::MarketEvent>* writer) {
  SliceFollower* f = nullptr;
  if (grpc::Status s = Slice(request->slice(), &f); !s.ok()) return s;
  return f->market()->StreamMarketEvents(context, *request, writer);
}

}  // namespace gridledger::archive
