// An in-process cluster of 4 validators on loopback for the node tests
// (node_cluster_test.cc, commit_sync_test.cc): a genesis with known keys and
// accounts, nodes started on OS-chosen ports that are told each other's,
// gRPC stubs, and store comparisons.
#ifndef GRIDLEDGER_TESTS_NET_NODE_TEST_CLUSTER_H_
#define GRIDLEDGER_TESTS_NET_NODE_TEST_CLUSTER_H_

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/node/node.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::node::cluster_test {

namespace v1 = gridledger::v1;

inline constexpr uint32_t kValidators = 4;
inline constexpr uint32_t kAccounts = 4;
inline constexpr uint64_t kInitialBalance = 1'000'000'000;
inline constexpr absl::Duration kCommitWait = absl::Seconds(30);
inline constexpr absl::Duration kPoll = absl::Milliseconds(20);

inline bool WaitFor(const std::function<bool()>& done, absl::Duration limit = kCommitWait) {
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

inline std::string AsString(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

inline Bytes MakeTransfer(const Digest& chain_id, const KeyPair& from, uint64_t nonce,
                   const PublicKey& to, uint64_t amount, uint32_t slice = 0) {
  Transaction tx;
  tx.slice = SliceId(slice);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = TransferBody{AccountRef{SliceId(slice), to}, Amount(amount)};
  SignTransaction(&tx, from, chain_id);
  return Encode(tx);
}

// A signed market transaction (any kind) for slice 0.
inline Bytes MakeMarketTx(const Digest& chain_id, const KeyPair& from, uint64_t nonce,
                          TxBody body) {
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = std::move(body);
  SignTransaction(&tx, from, chain_id);
  return Encode(tx);
}

class TestCluster {
 public:
  // `market`: the genesis market timing (market tests use short intervals).
  // `idle_slices`: more genesis slices (1, 2, ...) whose validators never
  // start, so slice 0 can commit cross-slice transfers to them.
  explicit TestCluster(const MarketTiming& market = MarketTiming{}, uint32_t idle_slices = 0) {
    std::string pattern = "/tmp/gridledger-node-test-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    Genesis genesis;
    genesis.dso = KeyPair::FromSeed(7).public_key();
    genesis.market = market;
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
    for (uint32_t s = 1; s <= idle_slices; ++s) {
      GenesisSlice idle;
      idle.id = SliceId(s);
      for (uint32_t i = 0; i < kValidators; ++i) {
        reserved_ports_.push_back(std::make_unique<ReservedPort>());
        idle.validators.push_back(GenesisValidator{KeyPair::FromSeed(500 + 10 * s + i).public_key(),
                                                   "127.0.0.1", reserved_ports_.back()->port()});
      }
      genesis.slices.push_back(idle);
    }
    for (uint32_t j = 0; j < kAccounts; ++j) {
      accounts_.push_back(KeyPair::FromSeed(1000 + j));
      genesis.accounts.push_back(GenesisAccount{
          AccountRef{SliceId(0), accounts_.back().public_key()}, Amount(kInitialBalance)});
    }
    GL_CHECK(ValidateGenesis(genesis).ok());
    WriteFile(dir_ + "/genesis.toml", SerializeGenesis(genesis));
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
    c.genesis_path = dir_ + "/genesis.toml";
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

  // Options of nodes started from now on (tests shrink gc_depth).
  NodeOptions& options() { return options_; }
  Node& node(uint32_t i) { return *nodes_[i]; }
  v1::Ledger::Stub& stub(uint32_t i) { return *stubs_[i]; }
  const KeyPair& account(uint32_t j) const { return accounts_[j]; }
  const Digest& chain_id() const { return chain_id_; }
  std::string genesis_path() const { return dir_ + "/genesis.toml"; }
  std::string dir() const { return dir_; }

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

  // Every running validator has `id`'s final result (COMMITTED or FAILED).
  bool FinalEverywhere(const TxId& id) {
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (!nodes_[i]) continue;
      const v1::TransactionStatus s = GetTx(i, id).status();
      if (s != v1::TRANSACTION_STATUS_COMMITTED && s != v1::TRANSACTION_STATUS_FAILED) {
        return false;
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

}  // namespace gridledger::node::cluster_test

#endif  // GRIDLEDGER_TESTS_NET_NODE_TEST_CLUSTER_H_
