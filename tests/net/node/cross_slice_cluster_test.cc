// Cross-slice TRANSFER end to end on real validators: two slices of four
// in-process nodes on loopback. Slice 0's validators relay (receipt_relay.h)
// to slice 1's client API (receipt_service.h); one relay target is a dead
// port (a relayer reaching a validator that never answers). Every receipt is
// credited exactly once at every slice-1 validator, across the restart of a
// slice-1 validator, and an import that is not certified changes nothing.
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/consensus/checkpoint.h"
#include "core/execution/receipt.h"
#include "net/node/transfer_follow.h"
#include "tests/net/net_test_util.h"
#include "tests/net/node/test_certificate.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node::cluster_test {
namespace {

constexpr uint32_t kSlices = 2;

// The node's /metrics text (empty if it does not answer).
std::string ScrapeMetrics(uint16_t port) {
  net::testing::RawClient client;
  if (!client.Connect(port).ok()) return "";
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (!client.Write(ByteSpan(reinterpret_cast<const uint8_t*>(request.data()), request.size()))
           .ok()) {
    return "";
  }
  absl::StatusOr<std::string> response = client.ReadToEnd(size_t{1} << 20);
  return response.ok() ? *response : "";
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

#ifdef GL_GRIDLEDGER_BINARY
// `gridledger query tx ID --node=SRC --dest_node=DST --json`: its exit status
// and stdout.
std::pair<int, std::string> QueryTxCli(const TxId& id, const std::string& source,
                                       const std::string& destination) {
  const std::string command =
      absl::StrCat(GL_GRIDLEDGER_BINARY, " query tx ", id.Hex(), " --node=", source,
                   " --dest_node=", destination, " --json 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0 && out.size() < (1u << 20);) {
    out.append(buffer, n);
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
#endif
constexpr uint64_t kAmount = 1000;

class TwoSlices {
 public:
  // tls: slice 1 serves its client API over TLS only and slice 0's relays
  // trust its certificate (relay_tls_ca).
  explicit TwoSlices(bool tls = false) {
    std::string pattern = "/tmp/gridledger-xslice-test-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    Genesis genesis;
    genesis.dso = KeyPair::FromSeed(7).public_key();
    for (uint32_t s = 0; s < kSlices; ++s) {
      GenesisSlice slice;
      slice.id = SliceId(s);
      keys_.emplace_back();
      for (uint32_t i = 0; i < kValidators; ++i) {
        keys_[s].push_back(KeyPair::FromSeed(200 + 10 * s + i));
        ports_.push_back(std::make_unique<ReservedPort>());
        slice.validators.push_back(
            GenesisValidator{keys_[s].back().public_key(), "127.0.0.1", ports_.back()->port()});
        Write(KeyPath(s, i), keys_[s].back().secret().Hex() + "\n");
      }
      genesis.slices.push_back(slice);
    }
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{SliceId(0), sender_.public_key()}, Amount(kInitialBalance)});
    GL_CHECK(ValidateGenesis(genesis).ok());
    Write(dir_ + "/genesis.toml", SerializeGenesis(genesis));
    chain_id_ = GenesisDigest(genesis);
    nodes_.resize(kSlices);
    for (auto& n : nodes_) n.resize(kValidators);
    options_.params.max_batch_delay_ms = 10;
    options_.params.max_header_delay_ms = 50;
    options_.verifier_cpu_threads = 1;
    if (tls) {
      tls_ = MakeCertificate();
      GL_CHECK(!tls_->cert.empty());
      Write(dir_ + "/api.crt", tls_->cert);
      Write(dir_ + "/api.key", tls_->key);
    }
  }
  ~TwoSlices() {
    std::vector<std::thread> stoppers;
    for (auto& slice : nodes_) {
      for (auto& node : slice) {
        if (node) stoppers.emplace_back([&node] { node.reset(); });
      }
    }
    for (auto& t : stoppers) t.join();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  absl::Status Start(uint32_t s, uint32_t i) {
    NodeConfig c;
    c.genesis_path = dir_ + "/genesis.toml";
    c.slice = s;
    c.validator_index = i;
    c.key_file = KeyPath(s, i);
    c.data_dir = absl::StrCat(dir_, "/node-", s, "-", i);
    c.grpc_address = grpc_[s].empty() || grpc_[s].size() <= i
                         ? HostPort{"127.0.0.1", 0}
                         : grpc_[s][i];  // a restart keeps its address
    c.metrics_address = HostPort{"127.0.0.1", 0};
    c.peer_address_override = HostPort{"127.0.0.1", 0};
    c.backend = VerifierBackend::kCpu;
    if (tls_.has_value() && s == 1) {
      c.grpc_tls_cert = dir_ + "/api.crt";
      c.grpc_tls_key = dir_ + "/api.key";
    }
    if (tls_.has_value() && s == 0) c.relay_tls_ca = dir_ + "/api.crt";
    if (s == 0) {
      c.relay_targets.push_back(RelayTarget{1, HostPort{"127.0.0.1", dead_.port()}});
      for (const HostPort& a : grpc_[1]) c.relay_targets.push_back(RelayTarget{1, a});
    }
    // As the tools write it (relay_tls_ca among the keys) and the node reads it.
    const std::string config_path = absl::StrCat(dir_, "/node-", s, "-", i, ".toml");
    Write(config_path, SerializeNodeConfig(c));
    GL_ASSIGN_OR_RETURN(c, LoadNodeConfig(config_path));
    auto node = Node::Start(c, options_);
    if (!node.ok()) return node.status();
    nodes_[s][i] = std::move(*node);
    if (grpc_[s].size() <= i) {
      grpc_[s].resize(i + 1);
      grpc_[s][i] = HostPort{"127.0.0.1", nodes_[s][i]->grpc_port()};
    }
    for (uint32_t j = 0; j < kValidators; ++j) {
      if (j == i || !nodes_[s][j]) continue;
      GL_RETURN_IF_ERROR(nodes_[s][j]->SetPeerAddress(
          keys_[s][i].public_key(), HostPort{"127.0.0.1", nodes_[s][i]->peer_port()}));
      GL_RETURN_IF_ERROR(nodes_[s][i]->SetPeerAddress(
          keys_[s][j].public_key(), HostPort{"127.0.0.1", nodes_[s][j]->peer_port()}));
    }
    return absl::OkStatus();
  }

  // Slice 1 first: slice 0's relays need its addresses.
  absl::Status StartAll() {
    for (uint32_t s : {1u, 0u}) {
      for (uint32_t i = 0; i < kValidators; ++i) GL_RETURN_IF_ERROR(Start(s, i));
    }
    return absl::OkStatus();
  }

  void Stop(uint32_t s, uint32_t i) { nodes_[s][i].reset(); }

  // Transfers `count` x kAmount from the slice-0 sender to the slice-1
  // recipient at slice-0 validator 0; ASSERTs acceptance.
  void Send(uint64_t first_nonce, uint64_t count) {
    auto stub = v1::Ledger::NewStub(grpc::CreateChannel(
        nodes_[0][0]->grpc_address(), grpc::InsecureChannelCredentials()));
    v1::SubmitBatchRequest request;
    for (uint64_t n = first_nonce; n < first_nonce + count; ++n) {
      request.add_transactions(AsString(Encode(Transfer(n))));
    }
    v1::SubmitBatchResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(stub->SubmitBatch(&ctx, request, &response).ok());
    for (const auto& r : response.results()) ASSERT_TRUE(r.accepted()) << r.reason();
  }

  // The balance of `key` in `slice` at one validator; nullopt if it does not answer.
  std::optional<uint64_t> Balance(uint32_t s, uint32_t i, const PublicKey& key) {
    if (!nodes_[s][i]) return std::nullopt;
    auto stub = v1::Ledger::NewStub(grpc::CreateChannel(
        nodes_[s][i]->grpc_address(), grpc::InsecureChannelCredentials()));
    v1::GetAccountRequest request;
    request.set_slice(s);
    request.set_key(AsString(key.span()));
    v1::GetAccountResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!stub->GetAccount(&ctx, request, &response).ok()) return std::nullopt;
    return response.exists() ? response.balance() : 0;
  }

  // Every running validator of slice 1 credited exactly `expected`.
  bool RecipientHasEverywhere(uint64_t expected) {
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (!nodes_[1][i]) continue;
      if (Balance(1, i, recipient_.public_key()) != expected) return false;
    }
    return true;
  }

  v1::SubmitReceiptsResponse SubmitReceipts(uint32_t i, const std::vector<Bytes>& imports) {
    auto stub = v1::Receipts::NewStub(grpc::CreateChannel(
        nodes_[1][i]->grpc_address(), grpc::InsecureChannelCredentials()));
    v1::SubmitReceiptsRequest request;
    request.set_source_slice(0);
    for (const Bytes& b : imports) request.add_imports(AsString(b));
    v1::SubmitReceiptsResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_TRUE(stub->SubmitReceipts(&ctx, request, &response).ok());
    return response;
  }

  // The kAmount transfer from the slice-0 sender to the slice-1 recipient.
  Transaction Transfer(uint64_t nonce) {
    Transaction tx;
    tx.slice = SliceId(0);
    tx.nonce = Nonce(nonce);
    tx.sender = sender_.public_key();
    tx.body = TransferBody{AccountRef{SliceId(1), recipient_.public_key()}, Amount(kAmount)};
    SignTransaction(&tx, sender_, chain_id_);
    return tx;
  }
  TxId TransferId(uint64_t nonce) { return ComputeTxId(Encode(Transfer(nonce))); }

  // GetTransaction at slice-0 validator `i` (status UNKNOWN if it fails).
  v1::GetTransactionResponse GetTransaction(uint32_t i, const TxId& id) {
    auto stub = v1::Ledger::NewStub(grpc::CreateChannel(
        nodes_[0][i]->grpc_address(), grpc::InsecureChannelCredentials()));
    v1::GetTransactionRequest request;
    request.set_tx_id(AsString(id.span()));
    v1::GetTransactionResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!stub->GetTransaction(&ctx, request, &response).ok()) return v1::GetTransactionResponse();
    return response;
  }

  std::shared_ptr<grpc::Channel> Channel(uint32_t s, uint32_t i) {
    return grpc::CreateChannel(nodes_[s][i]->grpc_address(), grpc::InsecureChannelCredentials());
  }

  Node& node(uint32_t s, uint32_t i) { return *nodes_[s][i]; }
  const KeyPair& validator_key(uint32_t s, uint32_t i) const { return keys_[s][i]; }
  const Digest& chain_id() const { return chain_id_; }
  const PublicKey recipient() const { return recipient_.public_key(); }
  const PublicKey sender() const { return sender_.public_key(); }

 private:
  std::string KeyPath(uint32_t s, uint32_t i) const {
    return absl::StrCat(dir_, "/validator-", s, "-", i, ".key");
  }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    GL_CHECK(out.good());
  }

  std::string dir_;
  std::optional<Pem> tls_;
  std::vector<std::unique_ptr<ReservedPort>> ports_;
  ReservedPort dead_;  // a relay target that refuses every connection
  std::vector<std::vector<KeyPair>> keys_;
  KeyPair sender_ = KeyPair::FromSeed(5000);
  KeyPair recipient_ = KeyPair::FromSeed(5001);
  Digest chain_id_;
  NodeOptions options_;
  std::vector<std::vector<std::unique_ptr<Node>>> nodes_;
  std::vector<HostPort> grpc_[kSlices];
};

TEST(CrossSliceClusterTest, ReceiptsAreCreditedOnceAtEveryDestinationValidator) {
  TwoSlices net;
  ASSERT_TRUE(net.StartAll().ok());
  net.Send(0, 5);
  ASSERT_TRUE(WaitFor([&] { return net.RecipientHasEverywhere(5 * kAmount); }))
      << "recipient at slice 1 validator 0: " << net.Balance(1, 0, net.recipient()).value_or(0);
  // The sender paid once, at every slice-0 validator.
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(net.Balance(0, i, net.sender()), kInitialBalance - 5 * kAmount);
  }
  // Four relayers sent the same receipts: each credited once, the rest
  // duplicates or not admitted.
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(net.node(1, i).receipt_counts().credited, 5u) << "validator " << i;
  }
  const v1::SubmitReceiptsResponse status = net.SubmitReceipts(0, {});
  EXPECT_EQ(status.next_expected(), 6u);

  // An import that no final checkpoint certifies: signed by slice 1's own
  // validators (not the source committee) and by too few. Refused at
  // admission; nothing moves.
  consensus::Checkpoint forged{net.chain_id(), SliceId(0), 1, Digest(), Digest()};
  Receipt receipt{SliceId(0), 1, 0, 6, SliceId(1), net.recipient(), Amount(1'000'000), TxId()};
  forged.receipts_root = ReceiptsRootOf(DestinationHashes({receipt}));
  std::vector<std::pair<ValidatorIndex, Signature>> wrong_committee, too_few;
  for (uint32_t i = 0; i < 3; ++i) {
    wrong_committee.emplace_back(
        ValidatorIndex(i), net.validator_key(1, i).Sign(consensus::CheckpointDigest(forged)));
  }
  for (uint32_t i = 0; i < 2; ++i) {
    too_few.emplace_back(ValidatorIndex(i),
                         net.validator_key(0, i).Sign(consensus::CheckpointDigest(forged)));
  }
  std::vector<Bytes> bad;
  for (const auto& sigs : {wrong_committee, too_few}) {
    auto imports = MakeReceiptImports(forged, sigs, SliceId(1), {receipt},
                                      DestinationHashes({receipt}));
    ASSERT_TRUE(imports.ok());
    bad.push_back((*imports)[0]);
  }
  const v1::SubmitReceiptsResponse refused = net.SubmitReceipts(1, bad);
  ASSERT_EQ(refused.results_size(), 2);
  EXPECT_FALSE(refused.results(0).accepted());
  EXPECT_NE(refused.results(0).reason().find("does not verify"), std::string::npos)
      << refused.results(0).reason();
  EXPECT_FALSE(refused.results(1).accepted());
  EXPECT_NE(refused.results(1).reason().find("needs 3"), std::string::npos)
      << refused.results(1).reason();

  // A destination validator restarts while more receipts are relayed.
  net.Stop(1, 3);
  net.Send(5, 3);
  ASSERT_TRUE(WaitFor([&] { return net.RecipientHasEverywhere(8 * kAmount); }));
  ASSERT_TRUE(net.Start(1, 3).ok());
  ASSERT_TRUE(WaitFor([&] { return net.RecipientHasEverywhere(8 * kAmount); }))
      << "restarted validator: " << net.Balance(1, 3, net.recipient()).value_or(0);
  EXPECT_EQ(net.SubmitReceipts(3, {}).next_expected(), 9u);
}

// A client follows one transfer: committed at the source with its receipt
// (destination slice, number), "debited, receipt pending" while the
// destination slice cannot commit (three of its four validators stopped),
// then "credited" once they return.
TEST(CrossSliceClusterTest, ClientFollowsOneTransferFromPendingToCredited) {
  TwoSlices net;
  ASSERT_TRUE(net.StartAll().ok());
  for (uint32_t i = 1; i < kValidators; ++i) net.Stop(1, i);
  net.Send(0, 1);
  const TxId id = net.TransferId(0);
  v1::GetTransactionResponse tx;
  ASSERT_TRUE(WaitFor([&] {
    tx = net.GetTransaction(0, id);
    return tx.status() == v1::TRANSACTION_STATUS_COMMITTED;
  }));
  EXPECT_TRUE(tx.result().success());
  ASSERT_TRUE(tx.has_receipt());
  EXPECT_EQ(tx.receipt().destination_slice(), 1u);
  EXPECT_EQ(tx.receipt().number(), 1u);
  EXPECT_EQ(tx.receipt().amount(), kAmount);
  EXPECT_EQ(tx.receipt().to(), AsString(net.recipient().span()));

  constexpr std::chrono::milliseconds kTimeout(5000);
  absl::StatusOr<CreditAnswer> answer = AskCredited(net.Channel(1, 0), 0, tx.receipt(), kTimeout);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->credited);
  EXPECT_EQ(answer->next_expected, 1u);
#ifdef GL_GRIDLEDGER_BINARY
  const auto [pending_exit, pending_out] =
      QueryTxCli(id, net.node(0, 0).grpc_address(), net.node(1, 0).grpc_address());
  EXPECT_EQ(pending_exit, 5) << pending_out;  // kExitPending
  EXPECT_NE(pending_out.find(R"("transfer":"debited, receipt pending")"), std::string::npos)
      << pending_out;
  EXPECT_NE(pending_out.find(R"("destination_slice":1,"number":1)"), std::string::npos)
      << pending_out;
#endif
  // A validator of the wrong slice is refused, not answered.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      AskCredited(net.Channel(0, 1), 0, tx.receipt(), kTimeout).status()));

  for (uint32_t i = 1; i < kValidators; ++i) ASSERT_TRUE(net.Start(1, i).ok());
  ASSERT_TRUE(WaitFor([&] {
    answer = AskCredited(net.Channel(1, 0), 0, tx.receipt(), kTimeout);
    return answer.ok() && answer->credited;
  })) << (answer.ok() ? absl::StrCat("next_expected ", answer->next_expected)
                      : answer.status().ToString());
  EXPECT_EQ(answer->next_expected, 2u);
  EXPECT_EQ(net.Balance(1, 0, net.recipient()), kAmount);
#ifdef GL_GRIDLEDGER_BINARY
  const auto [credited_exit, credited_out] =
      QueryTxCli(id, net.node(0, 0).grpc_address(), net.node(1, 0).grpc_address());
  EXPECT_EQ(credited_exit, 0) << credited_out;
  EXPECT_NE(credited_out.find(R"("transfer":"credited")"), std::string::npos) << credited_out;
#endif

  // The receipt counters as metrics: sent at the source, credited at the
  // destination, none in flight once the relay hears the destination's count.
  std::string source_text;
  EXPECT_TRUE(WaitFor([&] {
    source_text = ScrapeMetrics(net.node(0, 0).metrics_port());
    return HasLine(source_text, R"(gridledger_receipts_in_flight{source="0",destination="1"} 0)");
  })) << source_text;
  EXPECT_TRUE(HasLine(source_text,
                      R"(gridledger_receipts_sent_total{source="0",destination="1"} 1)"))
      << source_text;
  const std::string dest_text = ScrapeMetrics(net.node(1, 0).metrics_port());
  EXPECT_TRUE(HasLine(dest_text,
                      R"(gridledger_receipts_credited_total{source="0",destination="1"} 1)"))
      << dest_text;
  EXPECT_TRUE(HasLine(dest_text, R"(gridledger_receipt_imports_refused_total{reason="invalid"} 0)"))
      << dest_text;
}

// The relay over TLS: slice 1 serves its client API over TLS only, so its
// validators credit slice 0's receipts only if slice 0's relays dial TLS
// and trust the certificate (relay_tls_ca).
TEST(CrossSliceClusterTest, RelayDialsTlsWhenTheConfigNamesACa) {
  TwoSlices net(/*tls=*/true);
  ASSERT_TRUE(net.StartAll().ok());
  net.Send(0, 3);
  auto credited_everywhere = [&] {
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (net.node(1, i).receipt_counts().credited != 3) return false;
    }
    return true;
  };
  EXPECT_TRUE(WaitFor(credited_everywhere))
      << "slice 1 validator 0 credited " << net.node(1, 0).receipt_counts().credited;
  // Slice 1 answers no plaintext call, so the credits came over TLS.
  auto plain = v1::Receipts::NewStub(
      grpc::CreateChannel(net.node(1, 0).grpc_address(), grpc::InsecureChannelCredentials()));
  v1::SubmitReceiptsRequest request;
  request.set_source_slice(0);
  v1::SubmitReceiptsResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(plain->SubmitReceipts(&ctx, request, &response).ok());
}

}  // namespace
}  // namespace gridledger::node::cluster_test
