// gridledger.v1.Ledger over gRPC's synchronous API: admission (decode, slice,
// signature through the BatchVerifier, duplicate check), hand-off to the
// consensus driver, then the durable admitted record (AdmittedStore) before
// any ACCEPTED answer; queries answered from the node store. Admission holds
// no lock while signatures verify: each client connection (gRPC peer) gets a
// fair share of verification (FairVerifyQueue) and its requests enter
// consensus in the order they arrived on that connection. A transaction the
// executor holds for a nonce gap reads HELD (GetTransaction) until a later
// commit executes or expires it; the commit stream carries only final
// results, each in the commit that produced it.
#ifndef GRIDLEDGER_NET_NODE_CLIENT_SERVICE_H_
#define GRIDLEDGER_NET_NODE_CLIENT_SERVICE_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/consensus/committee.h"
#include "net/metrics/node_metrics.h"
#include "net/node/admitted_store.h"
#include "net/node/checkpoint_signer.h"
#include "net/node/client_lanes.h"
#include "net/node/commit_batches.h"
#include "net/node/commit_feed.h"
#include "net/node/consensus_driver.h"
#include "net/node/market_service.h"
#include "net/node/pending_txs.h"
#include "net/node/submit_stream.h"
#include "net/node/subscriber_limit.h"
#include "net/node/tx_checker.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

// A SubmitBatch request (or one message of SubmitStream) carries at most this
// many transactions; zero or more is INVALID_ARGUMENT.
inline constexpr size_t kMaxSubmitTransactions = 10'000;
// How long a handler waits for the consensus thread to take its transactions.
inline constexpr absl::Duration kSubmitTimeout = absl::Seconds(5);
// With more of its own connection's verification than this still queued, a
// request is refused at once (OVERLOADED: retry later or elsewhere) instead
// of answered after the client's deadline: an overloaded node says so while
// the answer is useful. Per connection, so one client's flood never gets
// another client refused (the queue serves connections in fair shares).
// Checked after the node-wide overload signal (ClientService::RefuseQueued):
// while the node is offered more than it orders
// (ConsensusDriver::overload_backlog_wait), every request of every client is
// refused OVERLOADED before it is verified, since what it accepted now would
// only queue behind seconds of batches. Only transactions that verified and
// entered batches raise that signal: a flood of bad signatures cannot.
// Without it an offered load above capacity grew the header stage to seconds
// and cost verification for transactions that could not be ordered in time
// (docs/benchmarks.md, "Overload").
inline constexpr absl::Duration kMaxQueuedVerification = absl::Seconds(1);
// SubmitBatchStream calls served at once (RESOURCE_EXHAUSTED beyond).
inline constexpr size_t kMaxSubmitStreams = 16;
// SubmitStreamSummary.first_rejections holds at most this many.
inline constexpr size_t kMaxReportedRejections = 16;

struct ClientServiceInfo {
  SliceId slice;
  ValidatorIndex index;
  PublicKey public_key;
  uint32_t committee_size = 0;
  std::string verifier_backend;
};

// SubmitBatchStream is served on gRPC's callback API (submit_stream.h), the
// other calls on the synchronous one.
class ClientService final : public gridledger::v1::Ledger::WithCallbackMethod_SubmitBatchStream<
                                gridledger::v1::Ledger::Service> {
 public:
  ClientService(ClientServiceInfo info, storage::NodeStore* store,
                storage::ConsensusStore* consensus_store, TxChecker* checker, PendingTxs* pending,
                CommitFeed* feed, ConsensusDriver* driver)
      : info_(std::move(info)), store_(store), consensus_store_(consensus_store),
        checker_(checker), pending_(pending), feed_(feed), driver_(driver) {}

  // Where accepted transactions are made durable before ACCEPTED is
  // answered (set before serving; null: ACCEPTED means handed to consensus).
  void set_admitted_store(AdmittedStore* admitted) { admitted_ = admitted; }
  // Refusals are counted by reason there (rejection_metrics.h), and each
  // submit request is timed (stage "admit"); may be null.
  void set_metrics(net::NodeMetrics* metrics) { metrics_ = metrics; }
  // Answers the market calls (set before serving; null: UNIMPLEMENTED).
  void set_market_service(MarketService* market) { market_ = market; }
  // GetNodeInfo reports its last final checkpoint (may stay null).
  void set_checkpoint_signer(const CheckpointSigner* signer) { checkpoints_ = signer; }

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
  grpc::Status GetNodeInfo(grpc::ServerContext* context,
                           const gridledger::v1::GetNodeInfoRequest* request,
                           gridledger::v1::NodeInfo* response) override;
  // Forwarded to the MarketService.
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
  // Issue 12 item 5 (net/node/submit_stream.h, commit_batches.h, node_counters.h).
  grpc::ServerBidiReactor<gridledger::v1::SubmitStreamRequest,
                          gridledger::v1::SubmitStreamResponse>*
  SubmitBatchStream(grpc::CallbackServerContext* context) override;
  grpc::Status StreamCommitBatches(
      grpc::ServerContext* context, const gridledger::v1::StreamCommitsRequest* request,
      grpc::ServerWriter<gridledger::v1::CommitBatch>* writer) override;
  grpc::Status GetCounters(grpc::ServerContext* context,
                           const gridledger::v1::GetCountersRequest* request,
                           gridledger::v1::NodeCounters* response) override;

 private:
  using Txs = google::protobuf::RepeatedPtrField<std::string>;
  // Admission of one request's transactions from connection `client`, in
  // the lane place `turn` taken when it arrived; results[i] answers txs[i].
  grpc::Status Admit(ClientLanes::Turn turn, const std::string& client, const Txs& txs,
                     gridledger::v1::SubmitBatchResponse* response);
  // Admit's stages, shared by the blocking path (SubmitBatch, SubmitStream)
  // and the callback one (SubmitBatchStream), so both admit alike.
  struct ToCore {
    // One buffer for the request's transactions, shared with consensus.
    std::shared_ptr<consensus::TxList> txs = std::make_shared<consensus::TxList>();
    absl::InlinedVector<int, 8> index;  // results index of (*txs)[k]
  };
  struct Accepted {
    std::vector<std::pair<TxId, Bytes>> txs;  // to make durable
    std::vector<int> index;
  };
  // A request refused as a whole before any check (count, disk, catching up).
  grpc::Status RefuseWhole(int n) const;
  // True when the node is overloaded or `client`'s queued verification is
  // over its bound: every transaction is then answered OVERLOADED in
  // `response`, before anything is verified.
  bool RefuseQueued(const std::string& client, int n,
                    gridledger::v1::SubmitBatchResponse* response) const;
  // Before verifying (TxChecker's DuplicateCheck): the ids already in the
  // store, read in one read transaction; `*checked_through` is set to the
  // last commit that read is sure to see.
  void FindStored(absl::Span<const TxId> ids, std::vector<std::string>* reasons,
                  uint64_t* checked_through) const;
  // In the lane's turn: answers the refused and duplicates, and returns what
  // goes to consensus (marked pending). The store is read again, once, only
  // when a commit came after `checked_through` (FindStored's).
  ToCore Classify(const std::vector<AdmitCheck>& checks, absl::Span<const ByteSpan> spans,
                  uint64_t checked_through, gridledger::v1::SubmitBatchResponse* response);
  // Consensus' statuses: ACCEPTED (pending the durable record) or refused.
  Accepted ApplySubmitResults(const std::vector<absl::Status>& results, const ToCore& to_core,
                              gridledger::v1::SubmitBatchResponse* response);
  // The durable record failed: its transactions are answered OVERLOADED.
  static void ApplyDurable(const absl::Status& status, const std::vector<int>& index,
                           gridledger::v1::SubmitBatchResponse* response);
  void ObserveAdmit(absl::Time start) const;

  // One SubmitBatchStream message's admission without blocking a thread:
  // the same stages, each continued from the completion of the one before
  // (verification thread, lane turn, consensus thread, durable writer).
  struct AsyncAdmission;
  void AdmitAsync(ClientLanes::Turn turn, const std::string& client,
                  const gridledger::v1::SubmitStreamRequest& request,
                  gridledger::v1::SubmitStreamResponse* response, StreamAdmitDone done);
  void AdmitAsyncInTurn(std::unique_ptr<AsyncAdmission> job);
  void AdmitAsyncSubmitted(std::unique_ptr<AsyncAdmission> job,
                           const std::vector<absl::Status>& results);
  void AdmitAsyncDone(std::unique_ptr<AsyncAdmission> job, const grpc::Status& status);
  CommitSource commit_source() const {
    return CommitSource{store_, consensus_store_, feed_, info_.slice};
  }
  // Hands the checked transactions to consensus and makes the accepted ones
  // durable; runs in `client`'s arrival order (ClientLanes).
  void Enter(ClientLanes::Turn& turn, ToCore to_core,
             gridledger::v1::SubmitBatchResponse* response);

  // Requests that reach this node in order on one connection (one client's
  // pipelined calls) enter consensus in that order, so a sender's
  // consecutive nonces stay consecutive; other connections never wait.
  ClientLanes lanes_;
  AdmittedStore* admitted_ = nullptr;
  net::NodeMetrics* metrics_ = nullptr;
  MarketService* market_ = nullptr;
  const CheckpointSigner* checkpoints_ = nullptr;
  const ClientServiceInfo info_;
  storage::NodeStore* store_;
  storage::ConsensusStore* consensus_store_;
  TxChecker* checker_;
  PendingTxs* pending_;
  CommitFeed* feed_;
  ConsensusDriver* driver_;
  // StreamCommits calls alive at once (each holds a gRPC thread).
  SubscriberLimit subscribers_;
  // SubmitBatchStream calls alive at once (each holds up to
  // kSubmitStreamInflight messages in admission).
  SubscriberLimit submit_streams_{kMaxSubmitStreams};
  // What SubmitBatchStream's reactors call to admit a message.
  const StreamAdmit stream_admit_ =
      [this](ClientLanes::Turn turn, const std::string& client,
             const gridledger::v1::SubmitStreamRequest& request,
             gridledger::v1::SubmitStreamResponse* response, StreamAdmitDone done) {
        AdmitAsync(std::move(turn), client, request, response, std::move(done));
      };
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CLIENT_SERVICE_H_
