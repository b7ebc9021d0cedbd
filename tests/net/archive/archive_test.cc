// The archive node against a real in-process 4-validator cluster: it ends
// with the validators' state (state root, accounts, transactions, commit
// stream) at the same sequence; a source that forges commits or checkpoints
// is refused and another validator used; a restart resumes from the store.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/string_bytes.h"
#include "core/consensus/messages.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/archive/archive_node.h"
#include "net/node/checkpoint_store.h"
#include "tests/net/node/test_certificate.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::archive {
namespace {

namespace v1 = gridledger::v1;
using node::cluster_test::MakeTransfer;
using node::cluster_test::TestCluster;
using node::cluster_test::WaitFor;

constexpr absl::Duration kArchiveWait = absl::Seconds(60);

// A Byzantine validator's ArchiveFeed: it relays a real validator's answers,
// but rewrites the first certificate's timestamp (so its signatures no longer
// hold) while `forge_commits`, and the state root of every checkpoint.
class ForgingFeed final : public v1::ArchiveFeed::Service {
 public:
  explicit ForgingFeed(const std::string& real)
      : real_(v1::ArchiveFeed::NewStub(grpc::CreateChannel(real, grpc::InsecureChannelCredentials()))) {}

  grpc::Status FetchCommits(grpc::ServerContext*, const v1::FetchCommitsRequest* request,
                            grpc::ServerWriter<v1::FetchCommitsChunk>* writer) override {
    grpc::ClientContext ctx;
    auto reader = real_->FetchCommits(&ctx, *request);
    v1::FetchCommitsChunk chunk;
    bool forged = false;
    while (reader->Read(&chunk)) {
      auto message = consensus::DecodeMessage(SpanOf(chunk.message()));
      auto* response = message.ok() ? std::get_if<consensus::CommitSyncResponse>(&*message) : nullptr;
      if (forge_commits.load() && !forged && response != nullptr && !response->commits.empty() &&
          !response->commits[0].certificates.empty()) {
        response->commits[0].certificates[0].header.timestamp_ms += 1;
        forged = true;
        ++forged_answers;
        const Bytes bytes = consensus::EncodeMessage(*response);
        chunk.set_message(StringOf(bytes));
      }
      if (!writer->Write(chunk)) break;
    }
    return reader->Finish();
  }

  grpc::Status FetchCheckpoint(grpc::ServerContext*, const v1::FetchCheckpointRequest* request,
                               v1::FetchCheckpointResponse* response) override {
    grpc::ClientContext ctx;
    grpc::Status s = real_->FetchCheckpoint(&ctx, *request, response);
    if (!s.ok() || !forge_checkpoints.load()) return s;
    auto checkpoint = node::DecodeSignedCheckpoint(SpanOf(response->signed_checkpoint()));
    if (!checkpoint.ok()) return s;
    if (forge_position.load()) {
      checkpoint->checkpoint.commit_digest = Digest{};  // a position never signed
    } else {
      checkpoint->checkpoint.state_root = Digest{};  // a root the committee never signed
    }
    if (!colluders.empty()) {
      checkpoint->signatures.clear();
      for (uint32_t i = 0; i < colluders.size(); ++i) {
        checkpoint->signatures.emplace_back(
            ValidatorIndex(i), colluders[i].Sign(consensus::CheckpointDigest(checkpoint->checkpoint)));
      }
    }
    response->set_signed_checkpoint(StringOf(node::EncodeSignedCheckpoint(*checkpoint)));
    return s;
  }

  // More than f validators collude (outside the fault model): the forged
  // root is signed by them, so the checkpoint is final but false.
  std::vector<KeyPair> colluders;
  std::atomic<bool> forge_commits{true};
  std::atomic<bool> forge_checkpoints{true};
  // Forge the checkpoint's commit digest instead of its state root.
  std::atomic<bool> forge_position{false};
  std::atomic<int> forged_answers{0};

 private:
  std::unique_ptr<v1::ArchiveFeed::Stub> real_;
};

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status started = cluster_.StartAll();
    ASSERT_TRUE(started.ok()) << started;
  }

  // `count` transfers from account 0, committed everywhere.
  void Transfers(int count) {
    std::vector<Bytes> txs;
    for (int k = 0; k < count; ++k) {
      txs.push_back(MakeTransfer(cluster_.chain_id(), cluster_.account(0), nonce_++,
                                 cluster_.account(1).public_key(), 5));
    }
    v1::SubmitBatchResponse resp = cluster_.Submit(0, txs);
    ASSERT_EQ(resp.results_size(), count);
    std::vector<TxId> ids;
    for (int k = 0; k < count; ++k) {
      ASSERT_TRUE(resp.results(k).accepted()) << resp.results(k).reason();
      ids.push_back(ComputeTxId(txs[k]));
    }
    ASSERT_TRUE(WaitFor([&] { return cluster_.CommittedEverywhere(ids); }));
    last_ids_ = ids;
  }

  ArchiveConfig Config(const std::vector<std::string>& sources) const {
    ArchiveConfig config;
    config.genesis_path = cluster_.genesis_path();
    config.data_dir = cluster_.dir() + "/archive";
    config.grpc_address = node::HostPort{"127.0.0.1", 0};
    for (const std::string& s : sources) {
      auto hp = node::ParseHostPort(s, "source");
      GL_CHECK(hp.ok());
      config.sources.push_back(ArchiveSource{0, *hp});
    }
    return config;
  }

  std::vector<std::string> ValidatorSources() {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < node::cluster_test::kValidators; ++i) {
      out.push_back(cluster_.node(i).grpc_address());
    }
    return out;
  }

  // The archive has executed validator 0's last commit and confirmed it
  // against a final checkpoint at or before it; then both roots agree there.
  void ExpectCaughtUpAndEqual(ArchiveNode& archive) {
    const uint64_t target = cluster_.node(0).last_committed_sequence();
    SliceFollower& f = archive.follower(0);
    ASSERT_TRUE(WaitFor([&] { return f.last_committed_sequence() >= target; }, kArchiveWait))
        << "archive at " << f.last_committed_sequence() << ", validator 0 at " << target;
    ASSERT_TRUE(WaitFor([&] { return f.stats().verified_through.load() > 0; }, kArchiveWait));
    const uint64_t at = f.last_committed_sequence();
    ASSERT_TRUE(WaitFor([&] { return cluster_.node(0).last_committed_sequence() >= at; }));
    auto ours = f.store()->StateRootAt(at);
    auto theirs = cluster_.node(0).StateRootAt(at);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_TRUE(theirs.ok()) << theirs.status();
    EXPECT_EQ(*ours, *theirs) << "sequence " << at;
    auto recomputed = f.store()->RecomputeStateRoot();
    ASSERT_TRUE(recomputed.ok());
    EXPECT_EQ(*recomputed, *ours);
    EXPECT_EQ(f.stats().root_mismatches.load(), 0u);
    EXPECT_FALSE(f.stats().diverged.load());
  }

  // Below its tests.
  void ExpectAFalseFinalCheckpointStopsTheSlice(bool forge_position);

  TestCluster cluster_;
  uint64_t nonce_ = 0;
  std::vector<TxId> last_ids_;
};

TEST_F(ArchiveTest, EqualsTheValidatorsAndServesReads) {
  Transfers(20);
  auto archive = ArchiveNode::Start(Config(ValidatorSources()));
  ASSERT_TRUE(archive.ok()) << archive.status();
  ExpectCaughtUpAndEqual(**archive);

  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel((*archive)->grpc_address(), grpc::InsecureChannelCredentials()));
  // Accounts as validator 0 has them.
  for (uint32_t j = 0; j < 2; ++j) {
    v1::GetAccountRequest req;
    req.set_slice(0);
    req.set_key(StringOf(cluster_.account(j).public_key().span()));
    v1::GetAccountResponse from_archive, from_validator;
    grpc::ClientContext a, b;
    ASSERT_TRUE(stub->GetAccount(&a, req, &from_archive).ok());
    ASSERT_TRUE(cluster_.stub(0).GetAccount(&b, req, &from_validator).ok());
    EXPECT_TRUE(from_archive.exists());
    EXPECT_EQ(from_archive.balance(), from_validator.balance());
    EXPECT_EQ(from_archive.next_nonce(), from_validator.next_nonce());
  }
  // A transaction, with its slice and commit.
  {
    v1::GetTransactionRequest req;
    req.set_tx_id(StringOf(last_ids_.back().span()));
    v1::GetTransactionResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->GetTransaction(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), v1::TRANSACTION_STATUS_COMMITTED);
    EXPECT_EQ(resp.commit_sequence(), cluster_.GetTx(0, last_ids_.back()).commit_sequence());
  }
  // The merged commit stream carries every transaction, tagged with its slice.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::StreamCommitsRequest req;
    req.set_from_sequence(1);
    auto reader = stub->StreamCommits(&ctx, req);
    absl::flat_hash_set<std::string> seen;
    v1::CommittedTransaction tx;
    while (seen.size() < last_ids_.size() && reader->Read(&tx)) {
      EXPECT_EQ(tx.slice(), 0u);
      seen.insert(tx.tx_id());
    }
    ctx.TryCancel();
    reader->Finish();
    for (const TxId& id : last_ids_) EXPECT_TRUE(seen.contains(StringOf(id.span())));
  }
  // The same per commit (StreamCommitBatches).
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::StreamCommitsRequest req;
    req.set_from_sequence(1);
    auto reader = stub->StreamCommitBatches(&ctx, req);
    absl::flat_hash_set<std::string> seen;
    uint64_t last_sequence = 0;
    v1::CommitBatch batch;
    while (seen.size() < last_ids_.size() && reader->Read(&batch)) {
      EXPECT_EQ(batch.slice(), 0u);
      EXPECT_GE(batch.commit_sequence(), last_sequence);
      last_sequence = batch.commit_sequence();
      for (const v1::CommittedTransaction& tx : batch.transactions()) seen.insert(tx.tx_id());
    }
    ctx.TryCancel();
    reader->Finish();
    for (const TxId& id : last_ids_) EXPECT_TRUE(seen.contains(StringOf(id.span())));
  }
  // Node info: an archive, following slice 0, confirmed by a checkpoint.
  {
    v1::NodeInfo info;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->GetNodeInfo(&ctx, v1::GetNodeInfoRequest{}, &info).ok());
    EXPECT_TRUE(info.archive());
    ASSERT_EQ(info.archive_slices_size(), 1);
    EXPECT_GT(info.archive_slices(0).verified_through(), 0u);
    EXPECT_EQ(info.archive_slices(0).answers_refused(), 0u);
  }
  // It orders nothing.
  {
    v1::SubmitBatchRequest req;
    v1::SubmitBatchResponse resp;
    grpc::ClientContext ctx;
    EXPECT_EQ(stub->SubmitBatch(&ctx, req, &resp).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  // It has no validator counters, and says where its progress is.
  {
    v1::NodeCounters counters;
    grpc::ClientContext ctx;
    const grpc::Status s = stub->GetCounters(&ctx, v1::GetCountersRequest{}, &counters);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(s.error_message().find("archive_slices"), std::string::npos) << s.error_message();
  }
}

TEST_F(ArchiveTest, SecurityForgedCommitsAndCheckpointsAreRefusedAndAnotherSourceUsed) {
  Transfers(20);
  ForgingFeed forging(cluster_.node(0).grpc_address());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&forging);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(port, 0);
  // The forger is asked first.
  std::vector<std::string> sources = {absl::StrCat("127.0.0.1:", port)};
  for (uint32_t i = 1; i < node::cluster_test::kValidators; ++i) {
    sources.push_back(cluster_.node(i).grpc_address());
  }
  auto archive = ArchiveNode::Start(Config(sources));
  ASSERT_TRUE(archive.ok()) << archive.status();
  ExpectCaughtUpAndEqual(**archive);
  const SliceFollowerStats& stats = (*archive)->follower(0).stats();
  EXPECT_GE(forging.forged_answers.load(), 1);
  EXPECT_GE(stats.answers_refused.load(), 1u);
  EXPECT_GE(stats.source_switches.load(), 1u);
  // Then it serves true commits but forged checkpoints: those are refused
  // too, and nothing forged is ever accepted.
  forging.forge_commits = false;
  Transfers(10);
  ASSERT_TRUE(WaitFor([&] { return stats.checkpoints_refused.load() >= 1; }, kArchiveWait));
  ExpectCaughtUpAndEqual(**archive);
  (*archive)->Stop();
  server->Shutdown();
}

// A final checkpoint (2f+1 valid signatures, here of colluders) over a
// root, or a consensus position (`forge_position`), other than the one the
// archive computed: the archive reports divergence and stops following that
// slice instead of serving on as if nothing happened.
void ArchiveTest::ExpectAFalseFinalCheckpointStopsTheSlice(bool forge_position) {
  Transfers(5);
  ForgingFeed forging(cluster_.node(0).grpc_address());
  forging.forge_commits = false;
  forging.forge_position = forge_position;
  for (uint32_t i = 0; i < 3; ++i) forging.colluders.push_back(KeyPair::FromSeed(100 + i));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&forging);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto archive = ArchiveNode::Start(Config({absl::StrCat("127.0.0.1:", port)}));
  ASSERT_TRUE(archive.ok()) << archive.status();
  const SliceFollowerStats& stats = (*archive)->follower(0).stats();
  ASSERT_TRUE(WaitFor([&] { return stats.diverged.load(); }, kArchiveWait));
  EXPECT_GE(stats.root_mismatches.load(), 1u);
  EXPECT_EQ(stats.verified_through.load(), 0u);
  // It follows no further.
  const uint64_t stopped_at = (*archive)->follower(0).last_committed_sequence();
  Transfers(3);
  EXPECT_EQ((*archive)->follower(0).last_committed_sequence(), stopped_at);
  (*archive)->Stop();
  server->Shutdown();
}

TEST_F(ArchiveTest, AFinalCheckpointOverAnotherRootStopsTheSlice) {
  ExpectAFalseFinalCheckpointStopsTheSlice(/*forge_position=*/false);
}

TEST_F(ArchiveTest, SecurityAFinalCheckpointOverAnotherConsensusPositionStopsTheSlice) {
  ExpectAFalseFinalCheckpointStopsTheSlice(/*forge_position=*/true);
}

// TLS both ways: the source serves its ArchiveFeed over TLS (a relay of
// validator 0 that forges nothing), the archive trusts it through
// source_tls_ca and serves its own API over TLS.
TEST_F(ArchiveTest, FollowsATlsSourceAndServesTls) {
  Transfers(5);
  const node::cluster_test::Pem pem = node::cluster_test::MakeCertificate();
  ASSERT_FALSE(pem.cert.empty());
  const std::string cert = cluster_.dir() + "/api.crt", key = cluster_.dir() + "/api.key";
  std::ofstream(cert) << pem.cert;
  std::ofstream(key) << pem.key;
  ForgingFeed relay(cluster_.node(0).grpc_address());
  relay.forge_commits = false;
  relay.forge_checkpoints = false;
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({pem.key, pem.cert});
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&relay);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ArchiveConfig config = Config({absl::StrCat("127.0.0.1:", port)});
  config.source_tls_ca = cert;
  config.grpc_tls_cert = cert;
  config.grpc_tls_key = key;
  auto archive = ArchiveNode::Start(config);
  ASSERT_TRUE(archive.ok()) << archive.status();
  ExpectCaughtUpAndEqual(**archive);
  EXPECT_EQ((*archive)->follower(0).stats().answers_refused.load(), 0u);

  auto ask = [&](std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = v1::Ledger::NewStub(grpc::CreateChannel((*archive)->grpc_address(), credentials));
    v1::NodeInfo info;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return stub->GetNodeInfo(&ctx, v1::GetNodeInfoRequest{}, &info);
  };
  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = pem.cert;
  EXPECT_TRUE(ask(grpc::SslCredentials(trusting)).ok());
  EXPECT_FALSE(ask(grpc::InsecureChannelCredentials()).ok());
  (*archive)->Stop();
  server->Shutdown();
}

TEST_F(ArchiveTest, RestartResumesFromItsStore) {
  Transfers(10);
  const ArchiveConfig config = Config(ValidatorSources());
  uint64_t before = 0;
  {
    auto archive = ArchiveNode::Start(config);
    ASSERT_TRUE(archive.ok()) << archive.status();
    ExpectCaughtUpAndEqual(**archive);
    before = (*archive)->follower(0).last_committed_sequence();
  }
  Transfers(10);
  auto archive = ArchiveNode::Start(config);
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ((*archive)->follower(0).last_committed_sequence(), before);
  ExpectCaughtUpAndEqual(**archive);
  // Only the commits after the restart were fetched and executed again.
  EXPECT_EQ((*archive)->follower(0).stats().commits_executed.load(),
            (*archive)->follower(0).last_committed_sequence() - before);
  EXPECT_GT((*archive)->follower(0).last_committed_sequence(), before);
}

// A committed cross-slice TRANSFER (slice 0 to slice 1, whose validators are
// not running: the receipt stays pending): the archive's GetTransaction names
// the receipt it emitted exactly as slice 0's validators do.
TEST(ArchiveCrossSliceTest, GetTransactionNamesTheReceiptLikeAValidator) {
  TestCluster cluster(MarketTiming{}, /*idle_slices=*/1);
  ASSERT_TRUE(cluster.StartAll().ok());
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(0);
  tx.sender = cluster.account(0).public_key();
  tx.body = TransferBody{AccountRef{SliceId(1), cluster.account(1).public_key()}, Amount(7)};
  SignTransaction(&tx, cluster.account(0), cluster.chain_id());
  const Bytes bytes = Encode(tx);
  v1::SubmitBatchResponse submitted = cluster.Submit(0, {bytes});
  ASSERT_EQ(submitted.results_size(), 1);
  ASSERT_TRUE(submitted.results(0).accepted()) << submitted.results(0).reason();
  const TxId id = ComputeTxId(bytes);
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({id}); }));

  // Slice 1's only source is a port nobody listens on.
  node::cluster_test::ReservedPort dead;
  ArchiveConfig config;
  config.genesis_path = cluster.genesis_path();
  config.data_dir = cluster.dir() + "/archive";
  config.grpc_address = node::HostPort{"127.0.0.1", 0};
  auto source = node::ParseHostPort(cluster.node(0).grpc_address(), "source");
  ASSERT_TRUE(source.ok()) << source.status();
  config.sources.push_back(ArchiveSource{0, *source});
  config.sources.push_back(ArchiveSource{1, node::HostPort{"127.0.0.1", dead.port()}});
  auto archive = ArchiveNode::Start(config);
  ASSERT_TRUE(archive.ok()) << archive.status();
  const uint64_t target = cluster.GetTx(0, id).commit_sequence();
  ASSERT_TRUE(WaitFor([&] { return (*archive)->follower(0).last_committed_sequence() >= target; },
                      kArchiveWait));

  v1::GetTransactionRequest req;
  req.set_tx_id(StringOf(id.span()));
  v1::GetTransactionResponse from_archive, from_validator;
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel((*archive)->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext a, b;
  ASSERT_TRUE(stub->GetTransaction(&a, req, &from_archive).ok());
  ASSERT_TRUE(cluster.stub(0).GetTransaction(&b, req, &from_validator).ok());
  EXPECT_EQ(from_archive.status(), v1::TRANSACTION_STATUS_COMMITTED);
  EXPECT_EQ(from_archive.slice(), 0u);
  ASSERT_TRUE(from_validator.has_receipt());
  ASSERT_TRUE(from_archive.has_receipt());
  EXPECT_EQ(from_archive.receipt().destination_slice(), 1u);
  EXPECT_EQ(from_archive.receipt().number(), from_validator.receipt().number());
  EXPECT_EQ(from_archive.receipt().amount(), 7u);
  EXPECT_EQ(from_archive.receipt().to(), from_validator.receipt().to());
}

}  // namespace
}  // namespace gridledger::archive
