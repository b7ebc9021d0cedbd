// ACCEPTED is durable (ledger.proto): four real `gridledger node` processes on
// loopback; a client submits transfers to validator 0 while the test SIGKILLs
// and restarts that validator at seeded random moments, over and over. Every
// transaction validator 0 acknowledged ACCEPTED must commit (not fail: a lost
// one would leave a nonce gap) once the kills stop.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"
#include "core/tx/codec.h"
#include "net/node/config.h"
#include "gtest/gtest.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/loadgen/process.h"

namespace gridledger {
namespace {

namespace v1 = gridledger::v1;
using loadgen::ChildProcess;

constexpr uint32_t kValidators = 4;
constexpr uint32_t kAccounts = 8;
constexpr int kKills = 20;
constexpr uint32_t kSeed = 20261129;
constexpr absl::Duration kReadyTimeout = absl::Seconds(60);
constexpr absl::Duration kCommitTimeout = absl::Seconds(90);
// The client's bound: at most this many transactions per account.
constexpr uint64_t kMaxNoncePerAccount = 100'000;

std::string AsString(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Loopback ports bound to 0 all at once (so they differ), then released for
// the validators (the way `gridledger cluster` deploys).
std::vector<uint16_t> PickPorts(size_t count) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ports.push_back(ntohs(addr.sin_port));
    fds.push_back(fd);
  }
  for (int fd : fds) close(fd);
  return ports;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class Deployment {
 public:
  Deployment() {
    std::string pattern = "/tmp/gridledger-durable-XXXXXX";
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  ~Deployment() {
    for (auto& p : processes_) {
      if (p) p->Stop(absl::Seconds(10));
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Write() {
    const std::vector<uint16_t> ports = PickPorts(3 * kValidators);
    Genesis genesis;
    genesis.dso = KeyPair::FromSeed(7).public_key();
    GenesisSlice slice{SliceId(0), {}};
    for (uint32_t i = 0; i < kValidators; ++i) {
      const KeyPair key = KeyPair::FromSeed(200 + i);
      slice.validators.push_back(GenesisValidator{key.public_key(), "127.0.0.1", ports[3 * i]});
      const std::string key_file = absl::StrCat(dir_, "/validator-", i, ".key");
      WriteFile(key_file, key.secret().Hex() + "\n");
      grpc_.push_back(absl::StrCat("127.0.0.1:", ports[3 * i + 1]));
      const std::string config = absl::StrCat(dir_, "/node-", i, ".toml");
      node::NodeConfig c;
      c.genesis_path = dir_ + "/genesis.toml";
      c.validator_index = i;
      c.key_file = key_file;
      c.data_dir = absl::StrCat(dir_, "/node-", i);
      c.grpc_address = node::HostPort{"127.0.0.1", ports[3 * i + 1]};
      c.metrics_address = node::HostPort{"127.0.0.1", ports[3 * i + 2]};
      c.backend = VerifierBackend::kCpu;
      WriteFile(config, node::SerializeNodeConfig(c));
      processes_.push_back(std::make_unique<ChildProcess>(
          GL_GRIDLEDGER_BINARY, std::vector<std::string>{"node", "--config=" + config},
          absl::StrCat(dir_, "/node-", i, ".log")));
    }
    genesis.slices.push_back(slice);
    for (uint32_t j = 0; j < kAccounts; ++j) {
      accounts_.push_back(KeyPair::FromSeed(3000 + j));
      genesis.accounts.push_back(GenesisAccount{
          AccountRef{SliceId(0), accounts_.back().public_key()}, Amount(1'000'000'000)});
    }
    ASSERT_TRUE(ValidateGenesis(genesis).ok());
    WriteFile(dir_ + "/genesis.toml", SerializeGenesis(genesis));
    chain_id_ = GenesisDigest(genesis);
  }

  // Starts validator i and waits until it serves.
  void Start(uint32_t i) {
    ASSERT_TRUE(processes_[i]->Start().ok());
    auto line = processes_[i]->WaitForLine("gridledger node ready", kReadyTimeout, nullptr);
    ASSERT_TRUE(line.ok()) << "validator " << i << ": " << line.status() << "\n"
                           << Log(i);
  }
  void Kill(uint32_t i) { processes_[i]->Kill(); }
  std::string Log(uint32_t i) const {
    std::ifstream in(processes_[i]->log_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
  }

  const std::string& grpc(uint32_t i) const { return grpc_[i]; }
  const KeyPair& account(uint32_t j) const { return accounts_[j]; }
  const Digest& chain_id() const { return chain_id_; }

 private:
  std::string dir_;
  std::vector<std::string> grpc_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
  std::vector<KeyPair> accounts_;
  Digest chain_id_;
};

Bytes Transfer(const Digest& chain_id, const KeyPair& from, uint64_t nonce, const PublicKey& to) {
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = TransferBody{AccountRef{SliceId(0), to}, Amount(1)};
  SignTransaction(&tx, from, chain_id);
  return Encode(tx);
}

// Submits each account's next transfer to validator 0, one request holding one
// per account; a transaction moves on to the next nonce only once ACCEPTED
// (recorded) or DUPLICATE (accepted before: its answer was lost in a kill).
// Anything else, a failed RPC included, resubmits the same bytes.
class Client {
 public:
  explicit Client(const Deployment& d) : d_(d), next_nonce_(kAccounts, 0) {
    for (uint32_t j = 0; j < kAccounts; ++j) pending_.push_back(NextTx(j));
  }

  void Run(const std::atomic<bool>& stop) {
    auto channel = grpc::CreateChannel(d_.grpc(0), grpc::InsecureChannelCredentials());
    auto stub = v1::Ledger::NewStub(channel);
    while (!stop.load()) {
      v1::SubmitBatchRequest req;
      for (const Bytes& tx : pending_) req.add_transactions(AsString(tx));
      v1::SubmitBatchResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      const grpc::Status s = stub->SubmitBatch(&ctx, req, &resp);
      ++requests_;
      if (!s.ok() || resp.results_size() != static_cast<int>(kAccounts)) {
        absl::SleepFor(absl::Milliseconds(20));  // the validator is down or restarting
        continue;
      }
      for (uint32_t j = 0; j < kAccounts; ++j) {
        const v1::SubmitResult& r = resp.results(j);
        if (r.code() == v1::SUBMIT_CODE_ACCEPTED || r.code() == v1::SUBMIT_CODE_DUPLICATE) {
          if (r.code() == v1::SUBMIT_CODE_ACCEPTED) {
            absl::MutexLock lock(&mu_);
            accepted_.push_back(TxId::FromSpan(ByteSpan(
                reinterpret_cast<const uint8_t*>(r.tx_id().data()), r.tx_id().size())));
          }
          if (next_nonce_[j] < kMaxNoncePerAccount) pending_[j] = NextTx(j);
        }
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  std::vector<TxId> accepted() const {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }
  uint64_t requests() const { return requests_.load(); }

 private:
  Bytes NextTx(uint32_t j) {
    return Transfer(d_.chain_id(), d_.account(j), next_nonce_[j]++,
                    d_.account((j + 1) % kAccounts).public_key());
  }

  const Deployment& d_;
  std::vector<uint64_t> next_nonce_;
  std::vector<Bytes> pending_;
  std::atomic<uint64_t> requests_{0};
  mutable absl::Mutex mu_;
  std::vector<TxId> accepted_ ABSL_GUARDED_BY(mu_);
};

TEST(DurableAcceptE2E, AcceptedSurvivesRepeatedSigkillOfItsValidator) {
  Deployment d;
  ASSERT_NO_FATAL_FAILURE(d.Write());
  for (uint32_t i = 0; i < kValidators; ++i) ASSERT_NO_FATAL_FAILURE(d.Start(i));

  Client client(d);
  std::atomic<bool> stop{false};
  std::thread submitter([&] { client.Run(stop); });
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> gap_ms(100, 900);
  size_t accepted_at_last_kill = 0;
  for (int k = 0; k < kKills; ++k) {
    absl::SleepFor(absl::Milliseconds(gap_ms(rng)));  // a random point of the load
    d.Kill(0);
    accepted_at_last_kill = client.accepted().size();
    ASSERT_NO_FATAL_FAILURE(d.Start(0));
  }
  // Some load after the last restart too.
  absl::SleepFor(absl::Seconds(1));
  stop.store(true);
  submitter.join();

  const std::vector<TxId> accepted = client.accepted();
  std::printf("%d SIGKILLs; %zu transactions accepted over %llu requests\n", kKills,
              accepted.size(), static_cast<unsigned long long>(client.requests()));
  ASSERT_GT(accepted_at_last_kill, 0u) << "no transaction was accepted before the kills ended";
  // Every acknowledged transaction commits, seen from a validator never killed.
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel(d.grpc(1), grpc::InsecureChannelCredentials()));
  const absl::Time deadline = absl::Now() + kCommitTimeout;
  size_t settled = 0;  // accepted[0, settled) are committed
  while (settled < accepted.size() && absl::Now() < deadline) {
    v1::GetTransactionRequest req;
    req.set_tx_id(AsString(accepted[settled].span()));
    v1::GetTransactionResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status s = stub->GetTransaction(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_NE(resp.status(), v1::TRANSACTION_STATUS_FAILED)
        << "accepted tx " << accepted[settled].ShortHex() << ": " << resp.result().reason();
    if (resp.status() == v1::TRANSACTION_STATUS_COMMITTED) {
      ++settled;
    } else {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  EXPECT_EQ(settled, accepted.size())
      << "accepted " << accepted.size() << " over " << client.requests() << " requests; tx "
      << accepted[settled].ShortHex() << " never committed\nvalidator 0 log tail:\n"
      << d.Log(0);
}

}  // namespace
}  // namespace gridledger
