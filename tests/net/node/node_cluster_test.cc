// An in-process cluster of 4 validators on loopback: transfers submitted over
// a real gRPC client commit with identical results and state on every
// validator; admission rejects bad transactions one by one; a restarted
// validator recovers its consensus state and does not re-execute commits.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
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
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::AsString;
using cluster_test::kAccounts;
using cluster_test::kCommitWait;
using cluster_test::kInitialBalance;
using cluster_test::kValidators;
using cluster_test::MakeMarketTx;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;
namespace v1 = gridledger::v1;

TEST(NodeClusterTest, CommitsTransfersIdenticallyOnAllValidators) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  // The CPU backend verifies peers' batches apart from niced client admission
  // (net/node/tx_checker.h); the node's start line says so.
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_TRUE(cluster.node(i).peers_verified_apart());
    EXPECT_NE(cluster.node(i).verifier_reason().find("peers' batches verified apart"),
              std::string::npos)
        << cluster.node(i).verifier_reason();
  }
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

// A connection of its own (gRPC otherwise shares one TCP connection between
// channels to the same address), so the node sees a separate client.
std::unique_ptr<v1::Ledger::Stub> SeparateClient(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::Ledger::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// Median latency of `count` sequential one-transaction requests from
// `client`, transfers of `account` from nonce `first_nonce`; every one must
// be ACCEPTED. Their ids are appended to `ids`.
absl::Duration MedianSubmitLatency(v1::Ledger::Stub& client, TestCluster& cluster,
                                   uint32_t account, uint64_t first_nonce, int count,
                                   std::vector<TxId>* ids) {
  std::vector<absl::Duration> latencies;
  for (int k = 0; k < count; ++k) {
    const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(account), first_nonce + k,
                                  cluster.account((account + 1) % kAccounts).public_key(), 1);
    ids->push_back(ComputeTxId(tx));
    v1::SubmitBatchRequest req;
    req.add_transactions(AsString(tx));
    v1::SubmitBatchResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const absl::Time start = absl::Now();
    const grpc::Status s = client.SubmitBatch(&ctx, req, &resp);
    latencies.push_back(absl::Now() - start);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.results_size(), 1);
    if (resp.results_size() == 1) {
      EXPECT_EQ(resp.results(0).code(), v1::SUBMIT_CODE_ACCEPTED) << resp.results(0).reason();
    }
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies[latencies.size() / 2];
}

// Issue 9 item 4: a client flooding one validator with bad signatures (each
// one new, so the failed-signature cache cannot answer them) leaves another
// client's results unchanged and its admission latency within kFloodRatioMax
// of its own latency without the flood, measured in the same run (a ratio,
// never an absolute time). Measured on a busy 2-core machine: ratio 3 to 17
// with fair admission; 91 with the former single admission mutex held across
// verification (the other client waited behind every queued flood request).
TEST(NodeClusterTest, ABadSignatureFloodDoesNotStarveAnotherClient) {
  constexpr int kSamples = 9;
  constexpr int kFloodThreads = 3;
  constexpr int kFloodTxsPerRequest = 2000;
  constexpr int kMaxFloodRequests = 2000;  // per thread, a bound on the loop
  constexpr double kFloodRatioMax = 40.0;
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const std::string address = cluster.node(0).grpc_address();
  std::unique_ptr<v1::Ledger::Stub> victim = SeparateClient(address);
  std::unique_ptr<v1::Ledger::Stub> flooder = SeparateClient(address);

  std::vector<TxId> ids;
  const absl::Duration quiet = MedianSubmitLatency(*victim, cluster, 0, 0, kSamples, &ids);

  // The flood: a valid envelope of account 1 with its signature corrupted in
  // two bytes, a different pair each time (a new id, a full verification).
  const Bytes base = MakeTransfer(cluster.chain_id(), cluster.account(1), 0,
                                  cluster.account(2).public_key(), 1);
  std::atomic<uint32_t> variant{0};
  std::atomic<bool> stop{false};
  std::atomic<int> flood_requests{0};
  std::atomic<int> flood_accepted{0};
  std::atomic<int> flood_in_flight{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < kFloodThreads; ++t) {
    flood.emplace_back([&] {
      for (int r = 0; r < kMaxFloodRequests && !stop.load(); ++r) {
        v1::SubmitBatchRequest req;
        for (int k = 0; k < kFloodTxsPerRequest; ++k) {
          Bytes bad = base;
          const uint32_t v = variant.fetch_add(1);
          bad[bad.size() - 1] ^= static_cast<uint8_t>(1 + (v & 0x7f));
          bad[bad.size() - 2] ^= static_cast<uint8_t>(v >> 7);
          bad[bad.size() - 3] ^= static_cast<uint8_t>(v >> 15);
          req.add_transactions(AsString(bad));
        }
        v1::SubmitBatchResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        flood_in_flight.fetch_add(1);
        const bool answered = flooder->SubmitBatch(&ctx, req, &resp).ok();
        flood_in_flight.fetch_sub(1);
        if (!answered) continue;
        flood_requests.fetch_add(1);
        for (const v1::SubmitResult& res : resp.results()) flood_accepted += res.accepted();
      }
    });
  }
  // Measure only once the flood is being verified.
  ASSERT_TRUE(WaitFor([&] { return flood_requests.load() >= kFloodThreads; }));
  const absl::Duration flooded =
      MedianSubmitLatency(*victim, cluster, 0, kSamples, kSamples, &ids);
  // The flood was verified before the measurement and still in flight after
  // it (its threads send back to back): the victim was measured under it.
  const int flood_in_flight_after = flood_in_flight.load();
  stop.store(true);
  for (auto& t : flood) t.join();

  EXPECT_EQ(flood_accepted.load(), 0);
  EXPECT_GT(flood_in_flight_after, 0);
  const double ratio = absl::FDivDuration(flooded, std::max(quiet, absl::Milliseconds(1)));
  std::printf("victim median admission latency: quiet %s, under a bad-signature flood %s "
              "(ratio %.1f, bound %.0f); %d flood requests of %d\n",
              absl::FormatDuration(quiet).c_str(), absl::FormatDuration(flooded).c_str(), ratio,
              kFloodRatioMax, flood_requests.load(), kFloodTxsPerRequest);
  EXPECT_LE(ratio, kFloodRatioMax) << "quiet " << quiet << ", flooded " << flooded;
  // Results unchanged: every one of the victim's transfers commits successfully.
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));
  for (const TxId& id : ids) EXPECT_TRUE(cluster.GetTx(0, id).result().success());
}

// Issue 9 item 5: a full disk (the LMDB map at a small bound) stops admission
// cleanly with UNAVAILABLE "disk full"; when space returns (the bound is
// raised) every validator resumes by itself and what it accepted commits.
TEST(NodeClusterTest, DiskFullStopsAdmissionAndTheNodeResumesWhenSpaceReturns) {
  constexpr uint64_t kTinyMapBytes = uint64_t{2} << 20;
  constexpr int kTxsPerRequest = 50;
  constexpr int kMaxRequests = 4000;
  constexpr absl::Duration kFillLimit = absl::Seconds(120);
  TestCluster cluster;
  cluster.options().lmdb_max_map_size_bytes = kTinyMapBytes;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  std::vector<TxId> accepted;
  uint64_t nonce = 0;
  grpc::Status refused;
  const absl::Time deadline = absl::Now() + kFillLimit;
  for (int r = 0; r < kMaxRequests && absl::Now() < deadline; ++r) {
    std::vector<Bytes> txs;
    for (int k = 0; k < kTxsPerRequest; ++k) {
      txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(0), nonce + k,
                                 cluster.account(1).public_key(), 1));
    }
    grpc::Status s;
    v1::SubmitBatchResponse resp = cluster.Submit(0, txs, &s);
    if (!s.ok()) {
      refused = s;
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE) break;
      continue;
    }
    // Move on only past a prefix of accepted nonces (no gap).
    int k = 0;
    for (; k < resp.results_size() && resp.results(k).accepted(); ++k) {
      accepted.push_back(ComputeTxId(txs[k]));
    }
    nonce += k;
    if (k < kTxsPerRequest) absl::SleepFor(absl::Milliseconds(20));  // back-pressure
  }
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.error_code() << " " << refused.error_message() << "; " << accepted.size()
      << " accepted";
  // The refusal is the evidence: admission says "disk full" only while the
  // store reports it. Reading disk_full() here instead races: any write
  // that fits again (LMDB reuses the pages a commit freed) clears it.
  EXPECT_TRUE(absl::StartsWith(refused.error_message(), "disk full")) << refused.error_message();
  ASSERT_FALSE(accepted.empty());
  // Space returns on every validator: each resumes by itself.
  for (uint32_t i = 0; i < kValidators; ++i) {
    cluster.node(i).SetStorageMaxMapSize(uint64_t{1} << 30);
  }
  ASSERT_TRUE(WaitFor([&] { return !cluster.node(0).disk_full(); }));
  // Every acknowledged transaction executes, with the same outcome on every
  // validator. One account flooding 3000+ transactions can outrun the nonce
  // hold (128 ahead) while an orphaned batch of its waits 50 rounds to be
  // proposed again; such a transaction fails NONCE_HOLD_FULL, the documented
  // outcome, and nothing else may fail.
  auto final_everywhere = [&](size_t* committed) {
    *committed = 0;
    for (const TxId& id : accepted) {
      std::optional<v1::GetTransactionResponse> first;
      for (uint32_t i = 0; i < kValidators; ++i) {
        v1::GetTransactionResponse r = cluster.GetTx(i, id);
        if (r.status() != v1::TRANSACTION_STATUS_COMMITTED &&
            r.status() != v1::TRANSACTION_STATUS_FAILED) {
          return false;
        }
        if (!first) first = r;
        EXPECT_EQ(r.status(), first->status()) << "validator " << i;
        EXPECT_EQ(r.result().code(), first->result().code()) << "validator " << i;
      }
      if (first->status() == v1::TRANSACTION_STATUS_COMMITTED) {
        ++*committed;
      } else {
        EXPECT_EQ(first->result().code(), "NONCE_HOLD_FULL") << first->result().reason();
      }
    }
    return true;
  };
  size_t committed = 0;
  ASSERT_TRUE(WaitFor([&] { return final_everywhere(&committed); }, 2 * kCommitWait))
      << accepted.size() << " accepted; last committed " << cluster.MinLastCommitted();
  std::printf("%zu of %zu accepted transactions committed\n", committed, accepted.size());
  for (uint32_t i = 0; i < kValidators; ++i) EXPECT_TRUE(cluster.node(i).health().ok());
  // And admits again (an account the fill did not touch: a fill transaction
  // refused as not durable may still be in consensus).
  const Bytes next = MakeTransfer(cluster.chain_id(), cluster.account(2), 0,
                                  cluster.account(1).public_key(), 1);
  v1::SubmitBatchResponse resp = cluster.Submit(0, {next});
  ASSERT_EQ(resp.results_size(), 1);
  EXPECT_EQ(resp.results(0).code(), v1::SUBMIT_CODE_ACCEPTED) << resp.results(0).reason();
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({ComputeTxId(next)}); }));
}

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
  auto submit_one = [&](const Bytes& tx) {
    v1::SubmitBatchResponse resp = cluster.Submit(0, {tx});
    GL_CHECK(resp.results_size() == 1);
    EXPECT_TRUE(resp.results(0).accepted()) << resp.results(0).reason();
    const TxId id = ComputeTxId(tx);
    EXPECT_TRUE(WaitFor([&] { return cluster.FinalEverywhere(id); }));
    return id;
  };
  const TxId reg = submit_one(MakeMarketTx(
      cluster.chain_id(), dso, 0,
      RegisterBody{prosumer.public_key(), AccountRole::kProsumer, PublicKey()}));
  const uint64_t now_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const uint64_t current = now_ms / kDefaultMarketIntervalMs;
  const TxId bid = submit_one(MakeMarketTx(
      cluster.chain_id(), prosumer, 0,
      OrderBody{OrderSide::kBid, IntervalId(current + 2), EnergyWh(1000), PricePerKwh(5000)}));
  const TxId past = submit_one(MakeMarketTx(
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

// The peer send queues' bounds are checked at start, each refusal naming
// its option: a queue that can hold no frame, or not the largest one.
TEST(NodeStartTest, RefusesPeerSendQueueBoundsThatHoldNoFrame) {
  TestCluster cluster;
  auto expect_refused = [&](const NodeOptions& options, absl::string_view option) {
    auto node = Node::Start(cluster.ConfigFor(0), options);
    ASSERT_FALSE(node.ok()) << option;
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument) << node.status();
    EXPECT_NE(node.status().message().find(option), absl::string_view::npos) << node.status();
  };
  NodeOptions no_frames = cluster.options();
  no_frames.peer_send_queue_max_frames = 0;
  expect_refused(no_frames, "peer_send_queue_max_frames");
  NodeOptions too_few_bytes = cluster.options();
  too_few_bytes.peer_send_queue_max_bytes = net::kDefaultMaxFrameBytes - 1;
  expect_refused(too_few_bytes, "peer_send_queue_max_bytes");
}

}  // namespace
}  // namespace gridledger::node
