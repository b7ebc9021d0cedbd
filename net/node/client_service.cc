#include "net/node/client_service.h"

#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/string_bytes.h"
#include "net/node/ledger_reads.h"
#include "net/node/node_counters.h"
#include "net/node/refusals.h"
#include "net/node/rejection_metrics.h"
#include "net/node/transfer_follow.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

void SetRejected(v1::SubmitResult* r, v1::SubmitCode code, std::string reason) {
  r->set_accepted(false);
  r->set_code(code);
  r->set_reason(std::move(reason));
}

// A stream refused because `max` are already open.
grpc::Status Full(absl::string_view what, size_t max, absl::string_view of) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat(what, ": ", max, " ", of, " already; retry later"));
}

}  // namespace

void ClientService::ObserveAdmit(absl::Time start) const {
  if (metrics_ == nullptr) return;
  metrics_->ObserveStage(net::LatencyStage::kAdmit, absl::Now() - start);
}

grpc::Status ClientService::RefuseWhole(int n) const {
  if (n == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "transactions: empty request");
  }
  if (static_cast<size_t>(n) > kMaxSubmitTransactions) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("transactions: ", n, " exceeds the bound of ",
                                     kMaxSubmitTransactions, " per request"));
  }
  // Nothing admitted can be made durable (or committed) until space returns.
  if (store_->env().disk_full()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kRefusedDiskFull));
  }
  // Behind the committee: what it accepted now it could not propose.
  if (driver_->syncing()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kRefusedCatchingUp));
  }
  return grpc::Status::OK;
}

grpc::Status ClientService::Admit(ClientLanes::Turn turn, const std::string& client,
                                  const Txs& txs, v1::SubmitBatchResponse* response) {
  // Latency anatomy: the whole admission, however it ends.
  absl::Cleanup observe = [this, start = absl::Now()] { ObserveAdmit(start); };
  if (grpc::Status refused = RefuseWhole(txs.size()); !refused.ok()) return refused;
  if (RefuseQueued(client, txs.size(), response)) {
    CountRejections(*response, metrics_);
    return grpc::Status::OK;
  }
  // Per request, not per transaction: a request often carries one or two.
  absl::InlinedVector<ByteSpan, 8> spans;
  spans.reserve(txs.size());
  for (const std::string& tx : txs) spans.push_back(SpanOf(tx));
  // No lock held: other connections verify meanwhile, in fair shares.
  uint64_t checked_through = 0;
  const std::vector<AdmitCheck> checks = checker_->CheckClientTxs(
      spans, client, [&](absl::Span<const TxId> ids, std::vector<std::string>* reasons) {
        FindStored(ids, reasons, &checked_through);
      });
  // From here on in this connection's arrival order.
  turn.Wait();
  ToCore to_core = Classify(checks, spans, checked_through, response);
  if (!to_core.txs->empty()) Enter(turn, std::move(to_core), response);
  CountRejections(*response, metrics_);
  return grpc::Status::OK;
}

bool ClientService::RefuseQueued(const std::string& client, int n,
                                 v1::SubmitBatchResponse* response) const {
  std::string reason;
  if (const absl::Duration waited = driver_->overload_backlog_wait();
      waited > absl::ZeroDuration()) {
    reason = absl::StrCat("overloaded: over ", kOverloadBacklogTxs,
                          " own transactions wait for a header, the oldest batch ",
                          absl::FormatDuration(waited), " (bound ",
                          absl::FormatDuration(kOverloadBacklogWait), "); retry later");
  } else if (const absl::Duration queued = checker_->QueuedVerification(client);
             queued > kMaxQueuedVerification) {
    reason = absl::StrCat("overloaded: ",
                          absl::FormatDuration(absl::Trunc(queued, absl::Milliseconds(1))),
                          " of this connection's signature verification queued (bound ",
                          absl::FormatDuration(kMaxQueuedVerification), "); retry later");
  } else {
    return false;
  }
  for (int i = 0; i < n; ++i) {
    SetRejected(response->add_results(), v1::SUBMIT_CODE_OVERLOADED, reason);
  }
  return true;
}

namespace {

// Why a stored transaction is a duplicate.
std::string StoredReason(const storage::StoredTx& stored) {
  return absl::StrCat("duplicate: ",
                      stored.status() == TxStatus::kHeld ? "held since" : "committed at",
                      " sequence ", stored.commit_sequence);
}

}  // namespace

void ClientService::FindStored(absl::Span<const TxId> ids, std::vector<std::string>* reasons,
                               uint64_t* checked_through) const {
  // Read before the transaction begins: every commit up to it is in the
  // snapshot (the sequence is published after the commit's write).
  *checked_through = store_->last_committed_sequence();
  const std::vector<absl::StatusOr<storage::StoredTx>> stored = store_->GetTxs(ids);
  for (size_t k = 0; k < ids.size(); ++k) {
    if (stored[k].ok()) (*reasons)[k] = StoredReason(*stored[k]);
  }
}

ClientService::ToCore ClientService::Classify(const std::vector<AdmitCheck>& checks,
                                              absl::Span<const ByteSpan> spans,
                                              uint64_t checked_through,
                                              v1::SubmitBatchResponse* response) {
  ToCore to_core;
  const size_t n = spans.size();
  absl::flat_hash_set<TxId> in_request;  // a lone transaction repeats nothing
  if (n > 1) in_request.reserve(n);
  // Marked pending first, so a commit that settles one of them before the
  // store is read again below cannot go unseen.
  absl::InlinedVector<size_t, 8> entered;
  for (size_t i = 0; i < n; ++i) {
    v1::SubmitResult* r = response->add_results();
    const AdmitCheck& c = checks[i];
    if (c.id.has_value()) r->set_tx_id(StringOf(c.id->span()));
    switch (c.code) {
      case AdmitCode::kMalformed:
        SetRejected(r, v1::SUBMIT_CODE_MALFORMED, c.reason);
        continue;
      case AdmitCode::kBadSignature:
        SetRejected(r, v1::SUBMIT_CODE_BAD_SIGNATURE, c.reason);
        continue;
      case AdmitCode::kWrongSlice:
        SetRejected(r, v1::SUBMIT_CODE_WRONG_SLICE, c.reason);
        continue;
      case AdmitCode::kDuplicate:
        SetRejected(r, v1::SUBMIT_CODE_DUPLICATE, c.reason);
        continue;
      case AdmitCode::kAccepted:
        break;
    }
    const TxId& id = *c.id;
    if (n > 1 && !in_request.insert(id).second) {
      SetRejected(r, v1::SUBMIT_CODE_DUPLICATE, "duplicate: repeated in this request");
      continue;
    }
    if (!pending_->Insert(id)) {
      SetRejected(r, v1::SUBMIT_CODE_DUPLICATE, "duplicate: already pending");
      continue;
    }
    entered.push_back(i);
  }
  // A commit since the store was read before verifying may hold some of
  // them: read again, once for the request (rarely: verifying takes
  // milliseconds, a commit comes every few hundred).
  std::vector<absl::StatusOr<storage::StoredTx>> stored;
  if (!entered.empty() && store_->last_committed_sequence() != checked_through) {
    std::vector<TxId> ids;
    ids.reserve(entered.size());
    for (size_t i : entered) ids.push_back(*checks[i].id);
    stored = store_->GetTxs(ids);
  }
  for (size_t k = 0; k < entered.size(); ++k) {
    const size_t i = entered[k];
    if (!stored.empty() && stored[k].ok()) {
      pending_->Erase(*checks[i].id);
      SetRejected(response->mutable_results(static_cast<int>(i)), v1::SUBMIT_CODE_DUPLICATE,
                  StoredReason(*stored[k]));
      continue;
    }
    to_core.txs->push_back(spans[i]);
    to_core.index.push_back(static_cast<int>(i));
  }
  return to_core;
}

ClientService::Accepted ClientService::ApplySubmitResults(
    const std::vector<absl::Status>& results, const ToCore& to_core,
    v1::SubmitBatchResponse* response) {
  Accepted accepted;
  for (size_t k = 0; k < results.size(); ++k) {
    v1::SubmitResult* r = response->mutable_results(to_core.index[k]);
    const absl::Status& s = results[k];
    if (s.ok()) {
      if (admitted_ != nullptr) {
        // The list is shared with consensus: the durable record copies only
        // the accepted transactions.
        const ByteSpan tx = (*to_core.txs)[k];
        accepted.txs.emplace_back(TxId::FromSpan(SpanOf(r->tx_id())), Bytes(tx.begin(), tx.end()));
        accepted.index.push_back(to_core.index[k]);
      }
      r->set_accepted(true);
      r->set_code(v1::SUBMIT_CODE_ACCEPTED);
      continue;
    }
    pending_->Erase(TxId::FromSpan(SpanOf(r->tx_id())));
    if (absl::IsInvalidArgument(s)) {
      SetRejected(r, v1::SUBMIT_CODE_MALFORMED, std::string(s.message()));
    } else {
      // ResourceExhausted (back-pressure) or Unavailable: retry later.
      SetRejected(r, v1::SUBMIT_CODE_OVERLOADED,
                  absl::StrCat("overloaded: ", s.message()));
    }
  }
  return accepted;
}

void ClientService::ApplyDurable(const absl::Status& status, const std::vector<int>& index,
                                 v1::SubmitBatchResponse* response) {
  // ACCEPTED only once durable (ledger.proto). A transaction whose record
  // failed is still in consensus and may commit; the client is told to retry
  // (a retry of the same bytes is a duplicate, never a second execution).
  if (status.ok()) return;
  for (int i : index) {
    SetRejected(response->mutable_results(i), v1::SUBMIT_CODE_OVERLOADED,
                absl::StrCat("overloaded: not made durable: ", status.message()));
  }
}

void ClientService::Enter(ClientLanes::Turn& turn, ToCore to_core,
                          v1::SubmitBatchResponse* response) {
  const std::vector<absl::Status> results = driver_->Submit(to_core.txs, kSubmitTimeout);
  // In consensus in arrival order; the durable write below may overlap the
  // connection's next request.
  turn.Release();
  Accepted accepted = ApplySubmitResults(results, to_core, response);
  if (accepted.txs.empty()) return;
  ApplyDurable(admitted_->Persist(std::move(accepted.txs), kSubmitTimeout), accepted.index,
               response);
}

grpc::Status ClientService::SubmitBatch(grpc::ServerContext* context,
                                        const v1::SubmitBatchRequest* request,
                                        v1::SubmitBatchResponse* response) {
  const std::string client = context->peer();
  return Admit(lanes_.Arrive(client), client, request->transactions(), response);
}

grpc::Status ClientService::SubmitStream(grpc::ServerContext* context,
                                         grpc::ServerReader<v1::SubmitBatchRequest>* reader,
                                         v1::SubmitStreamSummary* summary) {
  const std::string client = context->peer();
  v1::SubmitBatchRequest request;
  while (reader->Read(&request)) {
    v1::SubmitBatchResponse response;
    grpc::Status s = Admit(lanes_.Arrive(client), client, request.transactions(), &response);
    if (!s.ok()) {
      return grpc::Status(s.error_code(), absl::StrCat("batch ", summary->batches(), ": ",
                                                       s.error_message()));
    }
    summary->set_batches(summary->batches() + 1);
    summary->set_transactions(summary->transactions() + request.transactions_size());
    for (const v1::SubmitResult& r : response.results()) {
      if (r.accepted()) {
        summary->set_accepted(summary->accepted() + 1);
      } else {
        summary->set_rejected(summary->rejected() + 1);
        if (static_cast<size_t>(summary->first_rejections_size()) < kMaxReportedRejections) {
          *summary->add_first_rejections() = r;
        }
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status ClientService::GetTransaction(grpc::ServerContext*,
                                           const v1::GetTransactionRequest* request,
                                           v1::GetTransactionResponse* response) {
  if (std::string bad = Bytes32Problem("tx_id", request->tx_id()); !bad.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, bad);
  }
  const TxId id = TxId::FromSpan(SpanOf(request->tx_id()));
  response->set_tx_id(request->tx_id());
  response->set_slice(info_.slice.value());
  absl::Status stored = FillStoredTransaction(*store_, id, response);
  if (absl::IsNotFound(stored)) {
    response->set_status(pending_->Contains(id) ? v1::TRANSACTION_STATUS_PENDING
                                                : v1::TRANSACTION_STATUS_UNKNOWN);
  } else if (!stored.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(stored.message()));
  } else if (response->status() == v1::TRANSACTION_STATUS_COMMITTED) {
    // A cross-slice transfer: the receipt it emitted (transfer_follow.h).
    absl::Status found =
        FillOutgoingReceipt(*store_, response->commit_sequence(), id, response);
    if (!found.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(found.message()));
  }
  return grpc::Status::OK;
}

grpc::Status ClientService::GetAccount(grpc::ServerContext*,
                                       const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) {
  if (std::string bad = Bytes32Problem("key", request->key()); !bad.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, bad);
  }
  if (request->slice() != info_.slice.value()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("slice: this node serves slice ", info_.slice.value(),
                                     ", not ", request->slice()));
  }
  absl::Status read = FillAccount(*store_, info_.slice, request->key(), response);
  if (!read.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(read.message()));
  return grpc::Status::OK;
}

grpc::Status ClientService::StreamCommits(grpc::ServerContext* context,
                                          const v1::StreamCommitsRequest* request,
                                          grpc::ServerWriter<v1::CommittedTransaction>* writer) {
  std::optional<SubscriberLimit::Slot> slot = subscribers_.TryAcquire();
  if (!slot.has_value()) return Full("commit stream", subscribers_.max(), "subscribers");
  return FollowCommits(context, commit_source(), request->from_sequence(),
                       [writer](uint64_t, CommitEntries& entries) {
                         for (const v1::CommittedTransaction* entry : entries.entries()) {
                           if (!writer->Write(*entry)) return false;
                         }
                         return true;
                       });
}

grpc::Status ClientService::GetNodeInfo(grpc::ServerContext*, const v1::GetNodeInfoRequest*,
                                        v1::NodeInfo* response) {
  response->set_slice(info_.slice.value());
  response->set_validator_index(info_.index.value());
  response->set_public_key(StringOf(info_.public_key.span()));
  response->set_round(driver_->round());
  response->set_last_committed_sequence(store_->last_committed_sequence());
  response->set_verifier_backend(info_.verifier_backend);
  response->set_committee_size(info_.committee_size);
  response->set_syncing(driver_->syncing());
  response->set_behind_commits(driver_->behind_commits());
  // The root recorded with that sequence (the store may move on meanwhile).
  const uint64_t sequence = response->last_committed_sequence();
  absl::StatusOr<Digest> root =
      sequence == 0 ? store_->StateRoot() : store_->StateRootAt(sequence);
  if (root.ok()) response->set_state_root(StringOf(root->span()));
  if (checkpoints_ != nullptr) {
    response->set_last_final_checkpoint(checkpoints_->stats().pool.last_final_sequence);
  }
  return grpc::Status::OK;
}

grpc::Status ClientService::GetMarketInterval(grpc::ServerContext*,
                                              const v1::GetMarketIntervalRequest* request,
                                              v1::MarketInterval* response) {
  if (market_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no market API");
  return market_->GetMarketInterval(*request, response);
}

grpc::Status ClientService::GetSettlement(grpc::ServerContext*,
                                          const v1::GetSettlementRequest* request,
                                          v1::SettlementResponse* response) {
  if (market_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no market API");
  return market_->GetSettlement(*request, response);
}

grpc::Status ClientService::GetTariff(grpc::ServerContext*, const v1::GetTariffRequest* request,
                                      v1::TariffResponse* response) {
  if (market_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no market API");
  return market_->GetTariff(*request, response);
}

grpc::Status ClientService::GetMarketAccount(grpc::ServerContext*,
                                             const v1::GetMarketAccountRequest* request,
                                             v1::MarketAccount* response) {
  if (market_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no market API");
  return market_->GetMarketAccount(*request, response);
}

grpc::Status ClientService::StreamMarketEvents(grpc::ServerContext* context,
                                               const v1::StreamMarketEventsRequest* request,
                                               grpc::ServerWriter<v1::MarketEvent>* writer) {
  if (market_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no market API");
  return market_->StreamMarketEvents(context, *request, writer);
}

struct ClientService::AsyncAdmission {
  AsyncAdmission(ClientLanes::Turn t, const v1::SubmitStreamRequest* req,
                 v1::SubmitStreamResponse* resp, StreamAdmitDone d)
      : turn(std::move(t)), request(req), response(resp), done(std::move(d)),
        start(absl::Now()) {}
  ClientLanes::Turn turn;
  const v1::SubmitStreamRequest* request;
  v1::SubmitStreamResponse* response;
  StreamAdmitDone done;
  absl::Time start;
  std::vector<ByteSpan> spans;
  v1::SubmitBatchResponse answer;
  std::vector<AdmitCheck> checks;
  ToCore to_core;
  std::vector<int> accepted_index;
  uint64_t checked_through = 0;  // FindStored's
};

void ClientService::AdmitAsync(ClientLanes::Turn turn, const std::string& client,
                               const v1::SubmitStreamRequest& request,
                               v1::SubmitStreamResponse* response, StreamAdmitDone done) {
  auto job = std::make_unique<AsyncAdmission>(std::move(turn), &request, response,
                                              std::move(done));
  AsyncAdmission* j = job.get();
  grpc::Status refused = RefuseWhole(request.transactions_size());
  if (refused.ok() && RefuseQueued(client, request.transactions_size(), &j->answer)) {
    refused = grpc::Status::OK;  // answered per transaction, OVERLOADED
  } else if (refused.ok()) {
    j->spans.reserve(request.transactions_size());
    for (const std::string& tx : request.transactions()) j->spans.push_back(SpanOf(tx));
    // The store is read here, on the gRPC thread, not on the verification
    // thread that continues the admission: a duplicate costs no verification
    // and the verification thread no read transaction.
    checker_->CheckClientTxsAsync(
        j->spans, client,
        [this, job = std::move(job)](std::vector<AdmitCheck> checks) mutable {
          job->checks = std::move(checks);
          AsyncAdmission* j = job.get();
          j->turn.WhenReady([this, job = std::move(job)]() mutable {
            AdmitAsyncInTurn(std::move(job));
          });
        },
        [this, j](absl::Span<const TxId> ids, std::vector<std::string>* reasons) {
          FindStored(ids, reasons, &j->checked_through);
        });
    return;
  }
  // Refused: the lane's next message still waits for this one's turn, as in
  // Admit.
  j->turn.WhenReady([this, job = std::move(job), refused]() mutable {
    job->turn.Release();
    AdmitAsyncDone(std::move(job), refused);
  });
}

void ClientService::AdmitAsyncInTurn(std::unique_ptr<AsyncAdmission> job) {
  job->to_core = Classify(job->checks, job->spans, job->checked_through, &job->answer);
  // The turn goes with the submission: once queued, this message enters
  // consensus before the lane's next one (the inbox is taken in order).
  ClientLanes::Turn turn = std::move(job->turn);
  if (job->to_core.txs->empty()) {
    turn.Release();
    AdmitAsyncDone(std::move(job), grpc::Status::OK);
    return;
  }
  std::shared_ptr<const consensus::TxList> txs = job->to_core.txs;  // shared, not copied
  driver_->SubmitAsync(std::move(txs),
                       [this, job = std::move(job)](std::vector<absl::Status> results) mutable {
                         AdmitAsyncSubmitted(std::move(job), results);
                       });
  turn.Release();
}

void ClientService::AdmitAsyncSubmitted(std::unique_ptr<AsyncAdmission> job,
                                        const std::vector<absl::Status>& results) {
  Accepted accepted = ApplySubmitResults(results, job->to_core, &job->answer);
  if (accepted.txs.empty()) {
    AdmitAsyncDone(std::move(job), grpc::Status::OK);
    return;
  }
  job->accepted_index = std::move(accepted.index);
  admitted_->PersistAsync(std::move(accepted.txs),
                          [this, job = std::move(job)](absl::Status durable) mutable {
                            ApplyDurable(durable, job->accepted_index, &job->answer);
                            AdmitAsyncDone(std::move(job), grpc::Status::OK);
                          });
}

void ClientService::AdmitAsyncDone(std::unique_ptr<AsyncAdmission> job,
                                   const grpc::Status& status) {
  ObserveAdmit(job->start);
  const v1::SubmitStreamRequest& request = *job->request;
  v1::SubmitBatchResponse& answer = job->answer;
  if (!status.ok() && request.transactions_size() > 0) {
    // Refused as a whole (too many, disk full, catching up): the stream goes
    // on, and each transaction still gets its answer.
    answer.Clear();
    const bool too_large = status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
    for (int i = 0; i < request.transactions_size(); ++i) {
      SetRejected(answer.add_results(),
                  too_large ? v1::SUBMIT_CODE_TOO_LARGE : v1::SUBMIT_CODE_OVERLOADED,
                  too_large ? status.error_message()
                            : absl::StrCat("overloaded: ", status.error_message()));
    }
  }
  CountRejections(answer, metrics_);
  job->response->mutable_results()->Swap(answer.mutable_results());
  StreamAdmitDone done = std::move(job->done);
  job.reset();
  std::move(done)();
}

grpc::ServerBidiReactor<v1::SubmitStreamRequest, v1::SubmitStreamResponse>*
ClientService::SubmitBatchStream(grpc::CallbackServerContext* context) {
  std::optional<SubscriberLimit::Slot> slot = submit_streams_.TryAcquire();
  if (!slot.has_value()) {
    return new RefusedBidiReactor(Full("submit stream", submit_streams_.max(), "streams"));
  }
  return new SubmitStreamReactor(&lanes_, context->peer(), &stream_admit_, std::move(*slot));
}

grpc::Status ClientService::StreamCommitBatches(grpc::ServerContext* context,
                                                const v1::StreamCommitsRequest* request,
                                                grpc::ServerWriter<v1::CommitBatch>* writer) {
  std::optional<SubscriberLimit::Slot> slot = subscribers_.TryAcquire();
  if (!slot.has_value()) return Full("commit stream", subscribers_.max(), "subscribers");
  const SliceId slice = info_.slice;
  return FollowCommits(
      context, commit_source(), request->from_sequence(),
      [writer, slice](uint64_t sequence, CommitEntries& entries) {
        for (const v1::CommitBatch* batch : entries.Pack(sequence, slice)) {
          if (!writer->Write(*batch)) return false;
        }
        return true;
      });
}

grpc::Status ClientService::GetCounters(grpc::ServerContext*, const v1::GetCountersRequest*,
                                        v1::NodeCounters* response) {
  if (metrics_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "counters: this node keeps no metrics");
  }
  response->set_slice(info_.slice.value());
  response->set_validator_index(info_.index.value());
  FillNodeCounters(*metrics_, response);
  response->set_synced_writes(store_->env().synced_writes() +
                              (consensus_store_ != nullptr ? consensus_store_->log_stats().appends
                                                           : 0));
  response->set_ridden_writes(store_->env().ridden_writes());
  return grpc::Status::OK;
}

}  // namespace gridledger::node
