// An in-process cluster of 4 validators on loopback: transfers submitted over
// a real gRPC client commit with identical results and state on every
// validator; admission rejects bad transactions one by one; a restarted
// validator recovers its consensus state and does not re-execute commits.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/execution/genesis.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/node/node.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

constexpr uint32_t kValidators = 4;
constexpr uint32_t kAccounts = 4;
constexpr uint64_t kInitialBalance = 1'000'000'000;
constexpr absl::Duration kCommitWait = absl::Seconds(30);
constexpr absl::Duration kPoll = absl::Milliseconds(20);

bool WaitFor(const std::function<bool()>& done, absl::Duration limit = kCommitWait) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(kPoll);
  }
  return done();
}

// A loopback port bound (never listened on) for the cluster's lifetime: the
// genesis needs a peer address per validator, but each node listens on a
// port the OS picks (peer_address_override port 0) and is told the others'
// bound ports. Dials to a reserved port are refused, and no other process
// can take it meanwhile.
class ReservedPort {
 public:
  ReservedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    GL_CHECK(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    GL_CHECK(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    GL_CHECK(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~ReservedPort() { close(fd_); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;

  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string AsString(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Bytes MakeTransfer(const Digest& chain_id, const KeyPair& from, uint64_t nonce,
                   const PublicKey& to, uint64_t amount, uint32_t slice = 0) {
  Transaction tx;
  tx.slice = SliceId(slice);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = TransferBody{AccountRef{SliceId(slice), to}, Amount(amount)};
  SignTransaction(&tx, from, chain_id);
  return Encode(tx);
}

class TestCluster {
 public:
  TestCluster() {
    std::string pattern = "/tmp/gridledger-node-test-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    Genesis genesis;
    genesis.dso = KeyPair::FromSeed(7).public_key();
    GenesisSlice slice;
    slice.id = SliceId(0);
    for (uint32_t i = 0; i < kValidators; ++i) {
      validators_.push_back(KeyPair::FromSeed(100 + i));
      reserved_ports_.push_back(std::make_unique<ReservedPort>());
      slice.validators.push_back(GenesisValidator{validators_.back().public_key(), "127.0.0.1",
                                                  reserved_ports_.back()->port()});
      WriteFile(KeyPath(i), validators_.back().secret().Hex() + "\n");
    }
    genesis.slices.push_back(slice);
    for (uint32_t j = 0; j < kAccounts; ++j) {
      accounts_.push_back(KeyPair::FromSeed(1000 + j));
      genesis.accounts.push_back(GenesisAccount{
          AccountRef{SliceId(0), accounts_.back().public_key()}, Amount(kInitialBalance)});
    }
    GL_CHECK(ValidateGenesis(genesis).ok());
    WriteFile(dir_ + "/genesis.txt", SerializeGenesis(genesis));
    chain_id_ = GenesisDigest(genesis);
    nodes_.resize(kValidators);
    options_.params.max_batch_delay_ms = 10;
    options_.params.max_header_delay_ms = 50;
    options_.verifier_cpu_threads = 1;
  }

  ~TestCluster() {
    StopAll();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  NodeConfig ConfigFor(uint32_t i) const {
    NodeConfig c;
    c.genesis_path = dir_ + "/genesis.txt";
    c.slice = 0;
    c.validator_index = i;
    c.key_file = KeyPath(i);
    c.data_dir = absl::StrCat(dir_, "/node-0-", i);
    c.grpc_address = HostPort{"127.0.0.1", 0};
    c.metrics_address = HostPort{"127.0.0.1", 0};
    c.peer_address_override = HostPort{"127.0.0.1", 0};
    c.backend = VerifierBackend::kCpu;
    return c;
  }

  // Starts validator i and exchanges peer ports with the running ones. The
  // caller ASSERTs the result: nothing may go on with a node that is not there.
  absl::StatusOr<Node*> StartNode(uint32_t i) {
    auto node = Node::Start(ConfigFor(i), options_);
    if (!node.ok()) return node.status();
    nodes_[i] = std::move(*node);
    stubs_.resize(kValidators);
    stubs_[i] = v1::Ledger::NewStub(grpc::CreateChannel(
        nodes_[i]->grpc_address(), grpc::InsecureChannelCredentials()));
    for (uint32_t j = 0; j < kValidators; ++j) {
      if (j == i || !nodes_[j]) continue;
      absl::Status s = nodes_[j]->SetPeerAddress(validators_[i].public_key(),
                                                 HostPort{"127.0.0.1", nodes_[i]->peer_port()});
      if (s.ok()) {
        s = nodes_[i]->SetPeerAddress(validators_[j].public_key(),
                                      HostPort{"127.0.0.1", nodes_[j]->peer_port()});
      }
      if (!s.ok()) return s;
    }
    return nodes_[i].get();
  }

  absl::Status StartAll() {
    for (uint32_t i = 0; i < kValidators; ++i) {
      absl::StatusOr<Node*> node = StartNode(i);
      if (!node.ok()) return node.status();
    }
    return absl::OkStatus();
  }

  // Stopping waits for each metrics server's poll interval: stop in parallel.
  void StopAll() {
    std::vector<std::thread> stoppers;
    for (auto& node : nodes_) {
      if (node) stoppers.emplace_back([&node] { node.reset(); });
    }
    for (auto& t : stoppers) t.join();
  }

  void StopNode(uint32_t i) { nodes_[i].reset(); }

  Node& node(uint32_t i) { return *nodes_[i]; }
  v1::Ledger::Stub& stub(uint32_t i) { return *stubs_[i]; }
  const KeyPair& account(uint32_t j) const { return accounts_[j]; }
  const Digest& chain_id() const { return chain_id_; }

  v1::GetTransactionResponse GetTx(uint32_t i, const TxId& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetTransactionRequest req;
    req.set_tx_id(AsString(id.span()));
    v1::GetTransactionResponse resp;
    grpc::Status s = stub(i).GetTransaction(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::SubmitBatchResponse Submit(uint32_t i, const std::vector<Bytes>& txs,
                                 grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitBatchRequest req;
    for (const Bytes& tx : txs) req.add_transactions(AsString(tx));
    v1::SubmitBatchResponse resp;
    grpc::Status s = stub(i).SubmitBatch(&ctx, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  bool CommittedEverywhere(const std::vector<TxId>& ids) {
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (!nodes_[i]) continue;
      for (const TxId& id : ids) {
        if (GetTx(i, id).status() != v1::TRANSACTION_STATUS_COMMITTED) return false;
      }
    }
    return true;
  }

  // Every running validator recorded the same state summary at `sequence`.
  void ExpectSameSummaryAt(uint64_t sequence) {
    std::optional<Digest> first;
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (!nodes_[i]) continue;
      auto summary = nodes_[i]->StateSummaryAt(sequence);
      ASSERT_TRUE(summary.ok()) << "validator " << i << ": " << summary.status();
      if (!first) first = *summary;
      EXPECT_EQ(*summary, *first) << "validator " << i << " sequence " << sequence;
    }
  }

  uint64_t MinLastCommitted() {
    uint64_t min = UINT64_MAX;
    for (auto& n : nodes_) {
      if (n) min = std::min(min, n->last_committed_sequence());
    }
    return min;
  }

 private:
  std::string KeyPath(uint32_t i) const { return absl::StrCat(dir_, "/validator-0-", i, ".key"); }
  static void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    GL_CHECK(out.good());
  }

  std::string dir_;
  std::vector<std::unique_ptr<ReservedPort>> reserved_ports_;
  std::vector<KeyPair> validators_;
  std::vector<KeyPair> accounts_;
  Digest chain_id_;
  NodeOptions options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<v1::Ledger::Stub>> stubs_;
};

TEST(NodeClusterTest, CommitsTransfersIdenticallyOnAllValidators) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  // Account j sends 3 transfers of 10*(j+1) to account j+1, through validator j.
  std::vector<TxId> ids;
  for (uint32_t j = 0; j < kAccounts; ++j) {
    std::vector<Bytes> txs;
    for (uint64_t nonce = 0; nonce < 3; ++nonce) {
      txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(j), nonce,
                                 cluster.account((j + 1) % kAccounts).public_key(),
                                 10 * (j + 1)));
      ids.push_back(ComputeTxId(txs.back()));
    }
    v1::SubmitBatchResponse resp = cluster.Submit(j % kValidators, txs);
    ASSERT_EQ(resp.results_size(), 3);
    for (int k = 0; k < 3; ++k) {
      EXPECT_TRUE(resp.results(k).accepted()) << resp.results(k).reason();
      EXPECT_EQ(resp.results(k).code(), v1::SUBMIT_CODE_ACCEPTED);
      EXPECT_EQ(resp.results(k).tx_id(), AsString(ids[j * 3 + k].span()));
    }
  }
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));

  // Identical results on every validator.
  for (const TxId& id : ids) {
    const v1::GetTransactionResponse r0 = cluster.GetTx(0, id);
    EXPECT_TRUE(r0.result().success());
    EXPECT_EQ(r0.result().code(), "SUCCESS");
    for (uint32_t i = 1; i < kValidators; ++i) {
      const v1::GetTransactionResponse ri = cluster.GetTx(i, id);
      EXPECT_EQ(ri.commit_sequence(), r0.commit_sequence());
      EXPECT_EQ(ri.result().code(), r0.result().code());
    }
  }
  // Same state summary at every commit all of them have.
  const uint64_t common = cluster.MinLastCommitted();
  ASSERT_GE(common, 1u);
  for (uint64_t seq = 1; seq <= common; ++seq) cluster.ExpectSameSummaryAt(seq);

  // Balances: each account paid 30*(j+1) and received 30*j (account 0 from 3: 120).
  for (uint32_t j = 0; j < kAccounts; ++j) {
    const uint64_t paid = 30 * (j + 1);
    const uint64_t received = 30 * (((j + kAccounts - 1) % kAccounts) + 1);
    for (uint32_t i = 0; i < kValidators; ++i) {
      grpc::ClientContext ctx;
      v1::GetAccountRequest req;
      req.set_slice(0);
      req.set_key(AsString(cluster.account(j).public_key().span()));
      v1::GetAccountResponse resp;
      ASSERT_TRUE(cluster.stub(i).GetAccount(&ctx, req, &resp).ok());
      EXPECT_TRUE(resp.exists());
      EXPECT_EQ(resp.balance(), kInitialBalance - paid + received) << "account " << j;
      EXPECT_EQ(resp.next_nonce(), 3u);
    }
  }

  // The commit stream replays every one of them with the same sequence.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::StreamCommitsRequest req;
    req.set_from_sequence(1);
    auto reader = cluster.stub(0).StreamCommits(&ctx, req);
    absl::flat_hash_map<std::string, uint64_t> seen;
    v1::CommittedTransaction ct;
    uint64_t last_seq = 0;
    uint32_t last_index = 0;
    while (seen.size() < ids.size() && reader->Read(&ct)) {
      EXPECT_TRUE(ct.commit_sequence() > last_seq ||
                  (ct.commit_sequence() == last_seq && ct.index_in_commit() > last_index));
      last_seq = ct.commit_sequence();
      last_index = ct.index_in_commit();
      seen[ct.tx_id()] = ct.commit_sequence();
    }
    ctx.TryCancel();
    ASSERT_EQ(seen.size(), ids.size());
    for (const TxId& id : ids) {
      EXPECT_EQ(seen[AsString(id.span())], cluster.GetTx(0, id).commit_sequence());
    }
  }

  // Node info.
  grpc::ClientContext ctx;
  v1::NodeInfo info;
  ASSERT_TRUE(cluster.stub(2).GetNodeInfo(&ctx, v1::GetNodeInfoRequest(), &info).ok());
  EXPECT_EQ(info.validator_index(), 2u);
  EXPECT_EQ(info.committee_size(), kValidators);
  EXPECT_EQ(info.verifier_backend(), "cpu");
  EXPECT_GE(info.last_committed_sequence(), 1u);
}

TEST(NodeClusterTest, AdmissionRejectsPerTransactionWithReasons) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(1).public_key();
  const Bytes valid = MakeTransfer(cluster.chain_id(), cluster.account(0), 0, to, 5);
  Bytes bad_signature = MakeTransfer(cluster.chain_id(), cluster.account(2), 0, to, 5);
  bad_signature.back() ^= 0x01;
  const Bytes wrong_slice =
      MakeTransfer(cluster.chain_id(), cluster.account(3), 0, to, 5, /*slice=*/1);
  const Bytes garbage = {1, 1, 0, 0};
  // Correct in every field, but signed for another network (chain id).
  const Bytes other_network = MakeTransfer(Sha256(Bytes{'o', 't', 'h', 'e', 'r'}),
                                           KeyPair::FromSeed(4242), 0, to, 5);

  v1::SubmitBatchResponse resp =
      cluster.Submit(0, {garbage, valid, bad_signature, wrong_slice, valid, other_network});
  ASSERT_EQ(resp.results_size(), 6);
  EXPECT_EQ(resp.results(0).code(), v1::SUBMIT_CODE_MALFORMED);
  EXPECT_FALSE(resp.results(0).accepted());
  EXPECT_EQ(resp.results(0).tx_id(), "");
  EXPECT_EQ(resp.results(0).reason().rfind("truncated: ", 0), 0u) << resp.results(0).reason();
  EXPECT_TRUE(resp.results(1).accepted()) << resp.results(1).reason();
  EXPECT_EQ(resp.results(2).code(), v1::SUBMIT_CODE_BAD_SIGNATURE);
  const std::string bad_signature_reason =
      absl::StrCat("signature: does not verify under the sender key for chain ",
                   cluster.chain_id().ShortHex(), " (corrupt, or signed for another network)");
  EXPECT_EQ(resp.results(2).reason(), bad_signature_reason);
  EXPECT_EQ(resp.results(3).code(), v1::SUBMIT_CODE_WRONG_SLICE);
  EXPECT_EQ(resp.results(3).reason(),
            "slice: transaction is for slice 1, this node serves slice 0");
  EXPECT_EQ(resp.results(4).code(), v1::SUBMIT_CODE_DUPLICATE);
  EXPECT_EQ(resp.results(4).reason(), "duplicate: repeated in this request");
  EXPECT_EQ(resp.results(5).code(), v1::SUBMIT_CODE_BAD_SIGNATURE);
  EXPECT_EQ(resp.results(5).reason(), bad_signature_reason);

  // Resubmitting it to validator 0, which admitted it, is a duplicate whether
  // it is still pending or already committed.
  const TxId id = ComputeTxId(valid);
  v1::SubmitBatchResponse again0 = cluster.Submit(0, {valid});
  ASSERT_EQ(again0.results_size(), 1);
  EXPECT_EQ(again0.results(0).code(), v1::SUBMIT_CODE_DUPLICATE) << again0.results(0).reason();
  // Only the admitting validator tracks pending ids: validator 1 accepts it
  // too unless it has committed it already (execution de-duplicates by id).
  v1::SubmitBatchResponse again1 = cluster.Submit(1, {valid});
  ASSERT_EQ(again1.results_size(), 1);
  EXPECT_TRUE(again1.results(0).accepted() ||
              absl::StartsWith(again1.results(0).reason(), "duplicate: committed at sequence "))
      << again1.results(0).reason();

  // SubmitStream: one summary over every batch, with the first rejections.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitStreamSummary summary;
    auto writer = cluster.stub(3).SubmitStream(&ctx, &summary);
    v1::SubmitBatchRequest b1;
    b1.add_transactions(AsString(MakeTransfer(cluster.chain_id(), cluster.account(3), 0, to, 9)));
    b1.add_transactions(AsString(garbage));
    v1::SubmitBatchRequest b2;
    b2.add_transactions(AsString(MakeTransfer(cluster.chain_id(), cluster.account(3), 1, to, 9)));
    ASSERT_TRUE(writer->Write(b1));
    ASSERT_TRUE(writer->Write(b2));
    ASSERT_TRUE(writer->WritesDone());
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(summary.batches(), 2u);
    EXPECT_EQ(summary.transactions(), 3u);
    EXPECT_EQ(summary.accepted(), 2u);
    EXPECT_EQ(summary.rejected(), 1u);
    ASSERT_EQ(summary.first_rejections_size(), 1);
    EXPECT_EQ(summary.first_rejections(0).code(), v1::SUBMIT_CODE_MALFORMED);
  }

  // Request-level errors.
  grpc::Status status;
  cluster.Submit(0, {}, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "transactions: empty request");
  cluster.Submit(0, std::vector<Bytes>(10'001, garbage), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "transactions: 10001 exceeds the bound of 10000 per request");
  {
    grpc::ClientContext ctx;
    v1::GetTransactionRequest req;
    req.set_tx_id("short");
    v1::GetTransactionResponse r;
    grpc::Status s = cluster.stub(0).GetTransaction(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "tx_id: expected 32 bytes, got 5");
  }
  EXPECT_EQ(cluster.GetTx(0, ComputeTxId(bad_signature)).status(),
            v1::TRANSACTION_STATUS_UNKNOWN);

  // The valid one commits everywhere; then it is a duplicate for any validator.
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({id}); }));
  v1::SubmitBatchResponse late = cluster.Submit(2, {valid});
  EXPECT_EQ(late.results(0).code(), v1::SUBMIT_CODE_DUPLICATE);
  EXPECT_EQ(late.results(0).reason(),
            absl::StrCat("duplicate: committed at sequence ",
                         cluster.GetTx(2, id).commit_sequence()));
}

// A transaction whose nonce is ahead is held (HELD, the same on every
// validator) and executes in the later commit that fills the gap; the commit
// stream shows it once, with its final result, in that commit.
TEST(NodeClusterTest, ANonceGapIsHeldThenFilledByALaterCommit) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(3).public_key();
  const std::vector<Bytes> ahead = {
      MakeTransfer(cluster.chain_id(), cluster.account(2), 1, to, 11),
      MakeTransfer(cluster.chain_id(), cluster.account(2), 2, to, 12)};
  const TxId id1 = ComputeTxId(ahead[0]), id2 = ComputeTxId(ahead[1]);
  v1::SubmitBatchResponse resp = cluster.Submit(0, ahead);
  for (const auto& r : resp.results()) ASSERT_TRUE(r.accepted()) << r.reason();
  auto held_everywhere = [&] {
    for (uint32_t i = 0; i < kValidators; ++i) {
      for (const TxId& id : {id1, id2}) {
        if (cluster.GetTx(i, id).status() != v1::TRANSACTION_STATUS_HELD) return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitFor(held_everywhere));
  const v1::GetTransactionResponse held = cluster.GetTx(0, id1);
  EXPECT_EQ(held.result().code(), "HELD");
  EXPECT_FALSE(held.result().success());
  EXPECT_EQ(held.result().reason().rfind("nonce 1 is ahead of next nonce 0: held", 0), 0u)
      << held.result().reason();
  for (uint32_t i = 1; i < kValidators; ++i) {
    EXPECT_EQ(cluster.GetTx(i, id1).commit_sequence(), held.commit_sequence());
  }

  const Bytes gap = MakeTransfer(cluster.chain_id(), cluster.account(2), 0, to, 10);
  const TxId id0 = ComputeTxId(gap);
  resp = cluster.Submit(1, {gap});
  ASSERT_TRUE(resp.results(0).accepted()) << resp.results(0).reason();
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({id0, id1, id2}); }));
  const uint64_t filled = cluster.GetTx(0, id0).commit_sequence();
  EXPECT_GT(filled, held.commit_sequence());
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(cluster.GetTx(i, id1).commit_sequence(), filled);
    EXPECT_EQ(cluster.GetTx(i, id2).commit_sequence(), filled);
  }
  {
    grpc::ClientContext ctx;
    v1::GetAccountRequest req;
    req.set_slice(0);
    req.set_key(AsString(cluster.account(2).public_key().span()));
    v1::GetAccountResponse account;
    ASSERT_TRUE(cluster.stub(2).GetAccount(&ctx, req, &account).ok());
    EXPECT_EQ(account.next_nonce(), 3u);
    EXPECT_EQ(account.balance(), kInitialBalance - 33);
  }

  // The stream replays from the start: each of the three once, final, in `filled`.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamCommitsRequest req;
  req.set_from_sequence(1);
  auto reader = cluster.stub(3).StreamCommits(&ctx, req);
  absl::flat_hash_map<std::string, int> seen;
  std::vector<uint32_t> indexes;
  v1::CommittedTransaction ct;
  while (reader->Read(&ct) && ct.commit_sequence() <= filled) {
    for (const TxId& id : {id0, id1, id2}) {
      if (ct.tx_id() != AsString(id.span())) continue;
      ++seen[ct.tx_id()];
      EXPECT_EQ(ct.commit_sequence(), filled);
      EXPECT_TRUE(ct.result().success()) << ct.result().code();
      indexes.push_back(ct.index_in_commit());
    }
    if (seen.size() == 3 && ct.commit_sequence() == filled) break;
  }
  ctx.TryCancel();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1);
  // The gap filler first (a block input), then the released ones in order.
  ASSERT_EQ(indexes.size(), 3u);
  EXPECT_LT(indexes[0], indexes[1]);
  EXPECT_EQ(indexes[2], indexes[1] + 1);
}

TEST(NodeClusterTest, RestartRecoversWithoutReExecuting) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(1).public_key();
  std::vector<TxId> first;
  std::vector<Bytes> txs;
  for (uint64_t n = 0; n < 5; ++n) {
    txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(0), n, to, 7));
    first.push_back(ComputeTxId(txs.back()));
  }
  v1::SubmitBatchResponse resp = cluster.Submit(0, txs);
  for (const auto& r : resp.results()) ASSERT_TRUE(r.accepted()) << r.reason();
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(first); }));

  // Stop it first: a running node still commits, so its counters still move.
  cluster.node(3).Stop();
  const uint64_t executed_before = cluster.node(3).commits_executed();
  // A node started on an empty store executed every commit it holds itself.
  ASSERT_EQ(executed_before, cluster.node(3).last_committed_sequence());
  cluster.StopNode(3);
  // The others keep committing while validator 3 is down.
  std::vector<TxId> second;
  txs.clear();
  for (uint64_t n = 5; n < 8; ++n) {
    txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(0), n, to, 7));
    second.push_back(ComputeTxId(txs.back()));
  }
  resp = cluster.Submit(0, txs);
  for (const auto& r : resp.results()) ASSERT_TRUE(r.accepted()) << r.reason();
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(second); }));

  absl::StatusOr<Node*> started3 = cluster.StartNode(3);
  ASSERT_TRUE(started3.ok()) << started3.status();
  Node& restarted = **started3;
  const consensus::PersistedState& restored = restarted.restored_state();
  // The commit state and the store agree: nothing to execute twice.
  EXPECT_EQ(restored.next_commit_index, executed_before);
  EXPECT_GE(restarted.last_committed_sequence(), executed_before);
  EXPECT_FALSE(restored.last_voted.empty());
  EXPECT_TRUE(restored.own_header.has_value());
  for (const auto& lv : restored.last_voted) EXPECT_GE(lv.round.value(), 1u);

  // It catches up and ends with the same state as the others.
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(second); }));
  const uint64_t target = cluster.node(0).last_committed_sequence();
  ASSERT_TRUE(WaitFor([&] { return restarted.last_committed_sequence() >= target; }))
      << "restarted at " << restarted.last_committed_sequence() << ", validator 0 was at "
      << target;
  const uint64_t common = cluster.MinLastCommitted();
  for (uint64_t seq = 1; seq <= common; ++seq) cluster.ExpectSameSummaryAt(seq);
  // Commits it already had were recorded again, never executed again.
  restarted.Stop();
  EXPECT_EQ(restarted.commits_executed() + executed_before,
            restarted.last_committed_sequence());
}

namespace market {

Bytes SignedTx(const Digest& chain_id, const KeyPair& from, uint64_t nonce, TxBody body) {
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = std::move(body);
  SignTransaction(&tx, from, chain_id);
  return Encode(tx);
}

}  // namespace market

// Consensus time reaches execution as wall time: the DSO (genesis `dso`, no
// account) registers a prosumer; its bid for the interval after next (default
// 15-minute intervals) is accepted, and one for the previous interval is
// gate_closed. At consensus time 0 both would be interval_too_far.
TEST(NodeClusterTest, MarketTransactionsExecuteAtWallClockConsensusTime) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const KeyPair dso = KeyPair::FromSeed(7);
  const KeyPair& prosumer = cluster.account(0);
  auto final_everywhere = [&](const TxId& id) {
    for (uint32_t i = 0; i < kValidators; ++i) {
      const auto s = cluster.GetTx(i, id).status();
      if (s != v1::TRANSACTION_STATUS_COMMITTED && s != v1::TRANSACTION_STATUS_FAILED) {
        return false;
      }
    }
    return true;
  };
  auto submit_one = [&](const Bytes& tx) {
    v1::SubmitBatchResponse resp = cluster.Submit(0, {tx});
    GL_CHECK(resp.results_size() == 1);
    EXPECT_TRUE(resp.results(0).accepted()) << resp.results(0).reason();
    const TxId id = ComputeTxId(tx);
    EXPECT_TRUE(WaitFor([&] { return final_everywhere(id); }));
    return id;
  };
  const TxId reg = submit_one(market::SignedTx(
      cluster.chain_id(), dso, 0,
      RegisterBody{prosumer.public_key(), AccountRole::kProsumer, PublicKey()}));
  const uint64_t now_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const uint64_t current = now_ms / kDefaultMarketIntervalMs;
  const TxId bid = submit_one(market::SignedTx(
      cluster.chain_id(), prosumer, 0,
      OrderBody{OrderSide::kBid, IntervalId(current + 2), EnergyWh(1000), PricePerKwh(5000)}));
  const TxId past = submit_one(market::SignedTx(
      cluster.chain_id(), prosumer, 1,
      OrderBody{OrderSide::kBid, IntervalId(current - 1), EnergyWh(1000), PricePerKwh(5000)}));
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(cluster.GetTx(i, reg).result().code(), "SUCCESS") << "validator " << i;
    EXPECT_EQ(cluster.GetTx(i, bid).result().code(), "SUCCESS")
        << "validator " << i << ": " << cluster.GetTx(i, bid).result().reason();
    EXPECT_EQ(cluster.GetTx(i, past).result().code(), "GATE_CLOSED") << "validator " << i;
    grpc::ClientContext ctx;
    v1::GetAccountRequest req;
    req.set_slice(0);
    req.set_key(AsString(prosumer.public_key().span()));
    v1::GetAccountResponse resp;
    ASSERT_TRUE(cluster.stub(i).GetAccount(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.balance(), kInitialBalance - 1000 * 5000 / 1000);  // the bid's escrow
    EXPECT_EQ(resp.next_nonce(), 1u);
  }
  const uint64_t common = cluster.MinLastCommitted();
  for (uint64_t seq = 1; seq <= common; ++seq) cluster.ExpectSameSummaryAt(seq);
}

}  // namespace
}  // namespace gridledger::node
