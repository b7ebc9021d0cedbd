#include "net/node/node.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/log.h"
#include "core/common/status_macros.h"
#include "core/common/thread_priority.h"
#include "core/consensus/core.h"
#include "core/consensus/signature_checker.h"
#include "core/crypto/key_file.h"
#include "core/execution/genesis.h"
#include "core/execution/market_params.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gpu/backend_select.h"
#include "net/metrics/metrics_server.h"
#include "net/metrics/node_metrics.h"
#include "net/metrics/transport_collector.h"
#include "net/node/admitted_store.h"
#include "net/node/archive_feed_service.h"
#include "net/node/byzantine_behaviour.h"
#include "net/node/checkpoint_signer.h"
#include "net/node/checkpoint_store.h"
#include "net/node/client_service.h"
#include "net/node/commit_executor.h"
#include "net/node/commit_sync_server.h"
#include "net/node/commit_syncer.h"
#include "net/node/consensus_driver.h"
#include "net/node/counting_signature_checker.h"
#include "net/node/event_inbox.h"
#include "net/node/grpc_server_options.h"
#include "net/node/market_events.h"
#include "net/node/market_service.h"
#include "net/node/pending_txs.h"
#include "net/node/receipt_collector.h"
#include "net/node/receipt_relay.h"
#include "net/node/receipt_service.h"
#include "net/node/state_sync.h"
#include "net/node/tx_checker.h"
#include "net/node/verify_worker.h"
#include "net/transport/transport.h"
#include "storage/consensus_store.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"

namespace gridledger::node {
namespace {

// How long stopping waits for in-flight RPCs before cancelling them.
constexpr absl::Duration kGrpcShutdownGrace = absl::Seconds(2);

}  // namespace

// Declaration order is construction order; destruction runs backwards, after
// Stop() has already stopped the threads.
struct Node::Parts {
  NodeConfig config;
  std::unique_ptr<KeyPair> key;
  std::unique_ptr<consensus::Committee> committee;
  std::vector<PublicKey> peer_keys;
  std::unique_ptr<net::NodeMetrics> metrics;
  std::unique_ptr<storage::NodeStore> store;
  std::unique_ptr<storage::ConsensusStore> consensus_store;
  std::unique_ptr<AdmittedStore> admitted;
  consensus::PersistedState restored;
  std::unique_ptr<TxChecker> checker;
  std::string verifier_reason;
  PendingTxs pending;
  std::unique_ptr<CommitFeed> feed;
  EventInbox inbox;
  CountingSignatureChecker signature_checker;  // counts into metrics
  std::unique_ptr<MarketEventLog> market_events;
  std::unique_ptr<CommitExecutor> commit_executor;
  std::unique_ptr<VerifyWorker> verify_worker;
  std::unique_ptr<ConsensusDriver> driver;
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<CheckpointSigner> checkpoint_signer;
  CrossSliceConfig cross_slice;  // every slice's committee: receipt imports
  std::unique_ptr<ReceiptService> receipts;
  std::unique_ptr<ReceiptRelay> relay;
  std::unique_ptr<StateSync> state_sync;
  std::unique_ptr<net::Transport> transport;
  std::unique_ptr<MarketService> market;
  std::unique_ptr<ClientService> service;
  std::unique_ptr<ArchiveFeedService> archive_feed;  // read by archive nodes
  std::unique_ptr<grpc::Server> grpc_server;
  int grpc_port = 0;
  std::unique_ptr<net::MetricsServer> metrics_server;
  std::shared_ptr<net::TransportCollector> transport_collector;
  std::shared_ptr<ReceiptCollector> receipt_collector;
  bool stopped = false;
};

Node::Node(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Node::~Node() { Stop(); }

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const NodeConfig& config,
                                                  const NodeOptions& options) {
  if (!IsNiceIncrement(options.client_verify_nice_increment)) {
    return absl::InvalidArgumentError(absl::StrCat("client_verify_nice_increment ",
                                                   options.client_verify_nice_increment,
                                                   " is outside [0, ", kNiceMax, "]"));
  }
  if (options.peer_send_queue_max_frames == 0) {
    return absl::InvalidArgumentError("peer_send_queue_max_frames must be at least 1");
  }
  if (options.peer_send_queue_max_bytes < net::kDefaultMaxFrameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer_send_queue_max_bytes ", options.peer_send_queue_max_bytes,
                     " is below the largest peer frame (", net::kDefaultMaxFrameBytes,
                     " bytes)"));
  }
  auto p = std::make_unique<Parts>();
  p->config = config;
  // Every line of this node carries its slice/index (core/common/log.h).
  const Logger logger = Logger::ForNode(config.slice, config.validator_index, config.log_level);

  // Genesis, committee and our place in it.
  GL_ASSIGN_OR_RETURN(const Genesis loaded, ReadGenesisFile(config.genesis_path));
  const Genesis* genesis = &loaded;
  if (config.slice >= genesis->slices.size()) {
    return absl::InvalidArgumentError(absl::StrCat("slice ", config.slice, " not in genesis (",
                                                   genesis->slices.size(), " slices)"));
  }
  const GenesisSlice& gslice = genesis->slices[config.slice];
  // The network's identity: every signature the node checks is bound to it.
  const Digest chain_id = GenesisDigest(*genesis);
  if (config.validator_index >= gslice.validators.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("validator_index ", config.validator_index, " not in slice ",
                     config.slice, " (", gslice.validators.size(), " validators)"));
  }
  GL_ASSIGN_OR_RETURN(KeyPair key, ReadKeyFile(config.key_file, "key_file"));
  p->key = std::make_unique<KeyPair>(key);
  const GenesisValidator& me = gslice.validators[config.validator_index];
  if (me.key != key.public_key()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_file ", config.key_file, ": key ", key.public_key().ShortHex(),
                     " is not validator ", config.validator_index, " of slice ",
                     config.slice, " (", me.key.ShortHex(), ")"));
  }
  // Read before anything starts: a bad relay_tls_ca stops the start with its name.
  GL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> relay_credentials,
                      RelayCredentials(config));
  for (const GenesisValidator& v : gslice.validators) p->peer_keys.push_back(v.key);
  // The genesis digest is the chain id: it enters every consensus signature.
  GL_ASSIGN_OR_RETURN(consensus::Committee committee,
                      consensus::Committee::Create(SliceId(config.slice), p->peer_keys,
                                                   chain_id));
  p->committee = std::make_unique<consensus::Committee>(std::move(committee));
  p->metrics = std::make_unique<net::NodeMetrics>();
  p->signature_checker.set_metrics(p->metrics.get());

  // Storage: the node store seeded from genesis, consensus tables beside it.
  storage::LmdbOptions lmdb;
  lmdb.dir = config.data_dir;
  lmdb.max_map_size_bytes = options.lmdb_max_map_size_bytes;
  lmdb.initial_map_size_bytes = std::min(lmdb.initial_map_size_bytes, lmdb.max_map_size_bytes);
  lmdb.wait_for_space = true;  // a full disk pauses the node; it resumes by itself
  lmdb.logger = logger;
  GL_ASSIGN_OR_RETURN(p->store, storage::NodeStore::Open(lmdb));
  GL_RETURN_IF_ERROR(storage::SeedFromGenesis(*p->store, *genesis, SliceId(config.slice)));
  GL_ASSIGN_OR_RETURN(p->consensus_store, storage::ConsensusStore::Open(&p->store->env()));
  GL_ASSIGN_OR_RETURN(p->restored, p->consensus_store->Load(options.params.gc_depth));
  GL_ASSIGN_OR_RETURN(p->admitted, AdmittedStore::Open(&p->store->env()));
  GL_ASSIGN_OR_RETURN(auto admitted_before_crash, p->admitted->Recover(*p->store));
  // Only commits whose transaction list is recorded can be streamed.
  p->feed = std::make_unique<CommitFeed>(p->restored.next_commit_index);
  p->metrics->SetLastCommittedSequence(p->store->last_committed_sequence());

  // Verifier (choice and reason are logged by MakeBatchVerifier too).
  // GPU errors fall back to the CPU per call; each fallback is counted.
  net::NodeMetrics* metrics = p->metrics.get();
  // With the CPU backend and the split on, the chosen pool is client
  // admission's, niced; a GPU keeps one verifier for everything: it pays off
  // only on large batches, and peers' batches are its largest.
  CpuVerifierOptions cpu_options;
  cpu_options.threads = options.verifier_cpu_threads;
  if (options.verify_peer_batches_apart) {
    cpu_options.nice_increment = options.client_verify_nice_increment;
  }
  VerifierChoice choice =
      MakeBatchVerifier(config.backend, cpu_options,
                        [metrics](const absl::Status&) { metrics->AddVerifyFallback(); }, logger);
  p->verifier_reason = choice.reason;
  p->metrics->SetVerifierBackend(choice.verifier->name());
  TxCheckerOptions checker_options;
  if (options.verify_peer_batches_apart && !choice.on_gpu) {
    checker_options.peer_verifier =
        std::make_unique<CpuBatchVerifier>(options.verifier_cpu_threads, 0, "gl-verify-ppool");
    // The queue's thread at the same nice as the pool the choice built.
    checker_options.client_nice_increment = cpu_options.nice_increment;
    const std::string split =
        absl::StrCat("peers' batches verified apart, client admission niced +",
                     cpu_options.nice_increment, " (a scheduling hint)");
    logger.Info(absl::StrCat("verification: ", split));
    absl::StrAppend(&p->verifier_reason, "; ", split);
  }
  p->checker = std::make_unique<TxChecker>(std::move(choice.verifier), chain_id,
                                           SliceId(config.slice), p->metrics.get(),
                                           std::move(checker_options));

  // Consensus.
  // Responses are split to fit the transport's frame bound (its default below).
  consensus::Parameters params = options.params;
  params.message_bytes_max = net::kDefaultMaxFrameBytes;
  if (config.batch_delay_ms.has_value()) params.max_batch_delay_ms = *config.batch_delay_ms;
  if (config.header_delay_ms.has_value()) params.max_header_delay_ms = *config.header_delay_ms;
  if (config.leader_timeout_ms.has_value()) params.leader_timeout_ms = *config.leader_timeout_ms;
  if (config.defer_peer_verification.has_value()) {
    params.defer_peer_verification = *config.defer_peer_verification;
  }
  if (config.availability_votes.has_value()) {
    params.availability_votes = *config.availability_votes;
  }
  // Consensus time moves only with commits: idle rounds are kept at most a
  // quarter of the market's shortest deadline (gate closure, reading window),
  // never faster than loaded ones, so those deadlines keep their meaning.
  const MarketTiming& timing = genesis->market;
  params.idle_header_delay_ms = std::max(
      params.max_header_delay_ms,
      std::min({params.idle_header_delay_ms, timing.gate_closure_ms / 4,
                timing.reading_window_ms / 4}));
  GL_RETURN_IF_ERROR(consensus::ValidateParameters(params));
  auto core = std::make_unique<consensus::Core>(*p->committee, params,
                                                ValidatorIndex(config.validator_index), key,
                                                &p->signature_checker);
  std::vector<Bytes> restore;
  for (auto& [id, raw] : admitted_before_crash) {
    p->pending.Insert(id);
    restore.push_back(std::move(raw));
  }
  core->RestoreOwnTransactions(std::move(restore));
  const MarketConfig market = MarketConfigFor(*genesis, SliceId(config.slice));
  p->cross_slice = CrossSliceConfig::FromGenesis(*genesis);
  p->checker->set_import_checker(
      [config = &p->cross_slice, slice = SliceId(config.slice)](ByteSpan entry) {
        return CheckReceiptImport(entry, *config, slice).ok();
      });
  p->commit_executor = std::make_unique<CommitExecutor>(
      p->store.get(), p->consensus_store.get(), SliceId(config.slice), &p->pending,
      p->feed.get(), p->metrics.get(), market, p->cross_slice);
  p->commit_executor->set_admitted_store(p->admitted.get());
  GL_ASSIGN_OR_RETURN(p->market_events,
                      MarketEventLogFor(SliceId(config.slice), market, p->store.get()));
  p->market_events->set_logger(logger);
  // Checkpoints: signed after each commit, sent over the peer links.
  GL_ASSIGN_OR_RETURN(p->checkpoints, CheckpointStore::Open(&p->store->env()));
  Parts* parts = p.get();
  p->checkpoint_signer = std::make_unique<CheckpointSigner>(
      p->committee.get(), ValidatorIndex(config.validator_index), p->key.get(), p->store.get(),
      p->consensus_store.get(), p->checkpoints.get(), [parts](Bytes vote) {
        if (parts->transport) parts->transport->Broadcast(std::move(vote)).IgnoreError();
      });
  p->checkpoint_signer->set_logger(logger);
  p->commit_executor->set_commit_observer(
      [log = p->market_events.get(), signer = p->checkpoint_signer.get()](
          uint64_t sequence, absl::Span<const BlockTx> block, const BlockOutcome& outcome) {
        log->Publish(sequence, block, outcome);
        signer->OnCommitted(sequence);
      });
  // State sync and checkpoint catch-up: their own thread, peer links.
  p->state_sync = std::make_unique<StateSync>(
      p->committee.get(), ValidatorIndex(config.validator_index), params, p->store.get(),
      p->consensus_store.get(), p->checkpoints.get(), [parts](ValidatorIndex to, Bytes bytes) {
        if (parts->transport) {
          parts->transport->Send(parts->peer_keys[to.value()], std::move(bytes)).IgnoreError();
        }
      });
  p->state_sync->set_logger(logger);
  p->state_sync->set_on_restored([parts](uint64_t sequence) {
    parts->feed->Publish(sequence);
    parts->metrics->SetLastCommittedSequence(sequence);
  });
  p->verify_worker =
      std::make_unique<VerifyWorker>(p->checker.get(), &p->inbox, p->metrics.get());
  auto syncer = std::make_unique<CommitSyncer>(p->committee.get(), params,
                                               ValidatorIndex(config.validator_index),
                                               &p->signature_checker, p->consensus_store.get());
  syncer->set_logger(logger);
  // An empty store (a wiped disk) behind its peers, or a next commit no peer
  // serves any more: restore a snapshot instead of replaying every commit.
  syncer->set_snapshot_policy([store = p->store.get(),
                               sync = p->state_sync.get()](bool next_commit_unavailable) {
    if (!sync->MayRestore()) return false;
    if (store->last_committed_sequence() != 0 && !next_commit_unavailable) return false;
    sync->RequestRestore();
    return true;
  });
  auto sync_server = std::make_unique<CommitSyncServer>(
      p->consensus_store.get(), p->committee->size(), params.message_bytes_max);
  p->driver = std::make_unique<ConsensusDriver>(
      std::move(core), p->peer_keys, &p->inbox, p->consensus_store.get(),
      p->commit_executor.get(), p->verify_worker.get(), p->metrics.get());
  p->driver->set_logger(logger);
  p->driver->EnableCommitSync(std::move(syncer), std::move(sync_server));
  p->driver->EnableStateSync(p->state_sync.get());
  if (config.byzantine.any()) {  // TEST ONLY: the config parser demands test_only_byzantine
    p->driver->SetSendRewriter(MakeByzantineRewriter(config.byzantine, *p->committee,
                                                     ValidatorIndex(config.validator_index),
                                                     key, params.header_batches_max, logger));
  }

  // Peer transport: messages are decoded on its io thread, then queued.
  net::TransportOptions topts(key);
  topts.chain_id = chain_id;  // peers of another network fail authentication
  topts.send_queue_max_frames = options.peer_send_queue_max_frames;
  topts.send_queue_max_bytes = options.peer_send_queue_max_bytes;
  topts.listen_address = config.peer_address_override ? config.peer_address_override->host
                                                      : me.host;
  topts.listen_port = config.peer_address_override ? config.peer_address_override->port
                                                   : me.port;
  for (const GenesisValidator& v : gslice.validators) {
    topts.committee[v.key] = net::PeerAddress{v.host, v.port};
  }
  Parts* raw = p.get();
  auto on_message = [raw](const PublicKey& from, Bytes payload) {
    auto index = raw->committee->IndexOf(from);
    if (!index.has_value()) return;
    if (!payload.empty() && payload[0] == consensus::kCheckpointVoteTag) {
      raw->checkpoint_signer->OnPeerMessage(*index, payload);
      return;
    }
    if (!payload.empty() && payload[0] == kStateSyncTag) {
      raw->state_sync->OnPeerMessage(*index, payload);
      return;
    }
    auto message = consensus::DecodeMessage(payload);
    if (!message.ok()) return;  // the core would reject it too; nothing to learn
    raw->inbox.Push(PeerEvent{*index, std::move(*message)});
  };
  auto log = [logger](absl::string_view line) { logger.Info(absl::StrCat("transport: ", line)); };
  // Per-peer link state for the dashboard: every peer starts down.
  for (size_t i = 0; i < p->peer_keys.size(); ++i) {
    if (i == config.validator_index) continue;
    for (bool outbound : {false, true}) {
      p->metrics->SetPeerLinkUp(static_cast<uint32_t>(i), outbound, false);
    }
  }
  auto on_peer_state = [raw](const net::PeerEvent& event) {
    if (auto index = raw->committee->IndexOf(event.peer); index.has_value()) {
      raw->metrics->SetPeerLinkUp(index->value(),
                                  event.direction == net::LinkDirection::kOutbound, event.up);
    }
  };
  p->transport =
      std::make_unique<net::Transport>(std::move(topts), on_message, on_peer_state, log);
  GL_RETURN_IF_ERROR(p->transport->Start());
  p->verify_worker->Start();
  p->checkpoint_signer->Start();
  p->state_sync->Start();
  p->driver->Start(p->restored, p->transport.get());

  // Client API.
  ClientServiceInfo info;
  info.slice = SliceId(config.slice);
  info.index = ValidatorIndex(config.validator_index);
  info.public_key = key.public_key();
  info.committee_size = static_cast<uint32_t>(p->committee->size());
  info.verifier_backend = std::string(p->checker->backend_name());
  p->service = std::make_unique<ClientService>(info, p->store.get(), p->consensus_store.get(),
                                               p->checker.get(), &p->pending, p->feed.get(),
                                               p->driver.get());
  p->service->set_admitted_store(p->admitted.get());
  p->market = std::make_unique<MarketService>(SliceId(config.slice), market, p->store.get(),
                                              p->market_events.get());
  p->service->set_market_service(p->market.get());
  p->service->set_metrics(p->metrics.get());
  p->service->set_checkpoint_signer(p->checkpoint_signer.get());
  GL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> api_credentials,
                      ClientApiCredentials(config));
  grpc::ServerBuilder builder;
  ApplyGrpcLimits(builder);
  builder.AddListeningPort(config.grpc_address.ToString(), api_credentials, &p->grpc_port);
  builder.RegisterService(p->service.get());
  p->archive_feed = std::make_unique<ArchiveFeedService>(p->consensus_store.get(),
                                                         p->checkpoints.get(), p->store.get());
  builder.RegisterService(p->archive_feed.get());
  p->receipts = std::make_unique<ReceiptService>(SliceId(config.slice), &p->cross_slice,
                                                 p->store.get(), &p->pending, p->driver.get());
  builder.RegisterService(p->receipts.get());
  p->grpc_server = builder.BuildAndStart();
  p->relay = std::make_unique<ReceiptRelay>(SliceId(config.slice), p->committee->quorum(),
                                            p->store.get(), p->checkpoints.get(),
                                            RelayDestinationsOf(config), logger,
                                            std::move(relay_credentials));
  p->relay->Start();
  auto node = std::unique_ptr<Node>(new Node(std::move(p)));
  if (node->parts_->grpc_server == nullptr || node->parts_->grpc_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("grpc_address ", config.grpc_address.ToString(), ": cannot listen"));
  }

  // Metrics.
  auto metrics_server = net::MetricsServer::Start(config.metrics_address.ToString());
  if (!metrics_server.ok()) return metrics_server.status();
  node->parts_->metrics_server = std::move(*metrics_server);
  node->parts_->metrics_server->Register(node->parts_->metrics->registry());
  node->parts_->transport_collector =
      std::make_shared<net::TransportCollector>(node->parts_->transport.get());
  node->parts_->metrics_server->Register(node->parts_->transport_collector);
  Parts& np = *node->parts_;
  np.receipt_collector = std::make_shared<ReceiptCollector>(ReceiptCollectorSources{
      SliceId(config.slice), &np.cross_slice, np.store.get(), np.relay.get(),
      &np.receipts->stats(), &np.commit_executor->stats()});
  np.metrics_server->Register(np.receipt_collector);
  return node;
}

void Node::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  if (p.feed) p.feed->Close();  // commit streams return
  if (p.market_events) p.market_events->Close();  // market streams return
  if (p.relay) p.relay->Stop();
  // Before the API stops: a stream's admission waits for its durable write
  // without a timeout, so a write paused on a full disk must return first,
  // or the server would wait for that reactor forever.
  if (p.store) p.store->env().StopWaitingForSpace();
  if (p.consensus_store) p.consensus_store->StopWaitingForSpace();
  if (p.grpc_server) {
    p.grpc_server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(
                                absl::ToInt64Milliseconds(kGrpcShutdownGrace)));
    p.grpc_server->Wait();
  }
  if (p.metrics_server && p.transport_collector) {
    p.metrics_server->Unregister(p.transport_collector);
  }
  if (p.metrics_server && p.receipt_collector) p.metrics_server->Unregister(p.receipt_collector);
  if (p.transport) p.transport->Stop();
  if (p.admitted) p.admitted->Stop();
  if (p.driver) p.driver->Stop();
  if (p.state_sync) p.state_sync->Stop();
  if (p.checkpoint_signer) p.checkpoint_signer->Stop();  // writes the finals it holds
  if (p.verify_worker) p.verify_worker->Stop();
  p.metrics_server.reset();
}

uint16_t Node::grpc_port() const { return static_cast<uint16_t>(parts_->grpc_port); }
uint16_t Node::metrics_port() const {
  return parts_->metrics_server ? parts_->metrics_server->port() : 0;
}
uint16_t Node::peer_port() const { return parts_->transport->listen_port(); }
absl::Status Node::SetPeerAddress(const PublicKey& peer, const HostPort& address) {
  return parts_->transport->SetPeerAddress(peer, net::PeerAddress{address.host, address.port});
}
std::string Node::grpc_address() const {
  return absl::StrCat(parts_->config.grpc_address.host, ":", parts_->grpc_port);
}
SliceId Node::slice() const { return SliceId(parts_->config.slice); }
ValidatorIndex Node::index() const { return ValidatorIndex(parts_->config.validator_index); }
std::string Node::verifier_name() const { return std::string(parts_->checker->backend_name()); }
std::string Node::verifier_reason() const { return parts_->verifier_reason; }
bool Node::peers_verified_apart() const { return parts_->checker->peers_verified_apart(); }
uint64_t Node::last_committed_sequence() const {
  return parts_->store->last_committed_sequence();
}
absl::StatusOr<Digest> Node::state_summary() const { return parts_->store->StateSummary(); }
absl::StatusOr<Digest> Node::StateSummaryAt(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(storage::CommitMeta meta, parts_->store->GetCommit(sequence));
  return meta.state_summary;
}
absl::StatusOr<Digest> Node::state_root() const { return parts_->store->StateRoot(); }
absl::StatusOr<Digest> Node::StateRootAt(uint64_t sequence) const {
  return parts_->store->StateRootAt(sequence);
}
absl::StatusOr<Digest> Node::RecomputeStateRoot() const {
  return parts_->store->RecomputeStateRoot();
}
absl::StatusOr<SignedCheckpoint> Node::FinalCheckpoint(uint64_t sequence) const {
  return parts_->checkpoints->Get(sequence);
}
ReceiptCounts Node::receipt_counts() const {
  const CommitExecutorStats& e = parts_->commit_executor->stats();
  return ReceiptCounts{e.receipts_credited.load(), e.receipts_duplicate.load(),
                       e.imports_refused.load(), parts_->relay->stats().imports_accepted.load()};
}
StateSyncStats Node::state_sync_stats() const { return parts_->state_sync->stats(); }
absl::StatusOr<std::optional<uint64_t>> Node::StateSyncedFrom() const {
  return parts_->store->StateSyncedFrom();
}
CheckpointSignerStats Node::checkpoint_stats() const {
  return parts_->checkpoint_signer->stats();
}
const consensus::PersistedState& Node::restored_state() const { return parts_->restored; }
uint64_t Node::votes_sent() const { return parts_->driver->votes_sent(); }
uint64_t Node::commits_executed() const { return parts_->commit_executor->stats().executed.load(); }
uint64_t Node::commits_already_executed() const {
  return parts_->commit_executor->stats().already_executed.load();
}
uint64_t Node::round() const { return parts_->driver->round(); }
bool Node::syncing() const { return parts_->driver->syncing(); }
uint64_t Node::commits_synced() const { return parts_->driver->commits_synced(); }
uint64_t Node::syncs_started() const { return parts_->driver->syncs_started(); }
absl::Status Node::health() const { return parts_->driver->failure(); }
void Node::SetStorageMaxMapSize(uint64_t max_map_size_bytes) {
  parts_->store->env().SetMaxMapSize(max_map_size_bytes);
}
bool Node::disk_full() const { return parts_->store->env().disk_full(); }

}  // namespace gridledger::node
