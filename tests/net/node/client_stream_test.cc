// Issue 12 item 5 over a real 4-validator cluster on loopback: streaming
// submission with many transactions per message and a result per
// transaction (mixed valid and invalid, whole-message refusals), the
// batched commit stream (commit order, no gaps, resume from a sequence, the
// same entries as the per-transaction stream) and GetCounters.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/node/client_service.h"
#include "net/node/commit_batches.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using cluster_test::AsString;
using cluster_test::kValidators;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// Writes every message without waiting, half-closes, and returns the
// answers by sequence.
absl::flat_hash_map<uint64_t, v1::SubmitStreamResponse> StreamSubmit(
    v1::Ledger::Stub& stub, const std::vector<v1::SubmitStreamRequest>& messages,
    grpc::Status* status) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(20));
  auto stream = stub.SubmitBatchStream(&ctx);
  for (const v1::SubmitStreamRequest& m : messages) EXPECT_TRUE(stream->Write(m));
  EXPECT_TRUE(stream->WritesDone());
  absl::flat_hash_map<uint64_t, v1::SubmitStreamResponse> answers;
  v1::SubmitStreamResponse response;
  while (answers.size() < messages.size() && stream->Read(&response)) {
    EXPECT_TRUE(answers.emplace(response.sequence(), response).second)
        << "sequence " << response.sequence() << " answered twice";
  }
  *status = stream->Finish();
  return answers;
}

TEST(ClientStreamTest, SubmitStreamAnswersEachTransactionOfEachMessage) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(3).public_key();
  const Digest& chain = cluster.chain_id();
  const Bytes a0 = MakeTransfer(chain, cluster.account(0), 0, to, 7);
  const Bytes a1 = MakeTransfer(chain, cluster.account(0), 1, to, 8);
  const Bytes b0 = MakeTransfer(chain, cluster.account(1), 0, to, 9);
  Bytes bad_signature = MakeTransfer(chain, cluster.account(2), 0, to, 5);
  bad_signature.back() ^= 0x01;
  const Bytes wrong_slice = MakeTransfer(chain, cluster.account(2), 0, to, 5, /*slice=*/1);
  const Bytes garbage = {1, 1, 0, 0};

  std::vector<v1::SubmitStreamRequest> messages(4);
  messages[0].set_sequence(10);
  for (const Bytes* tx : std::initializer_list<const Bytes*>{&a0, &garbage, &bad_signature, &b0, &a0}) {
    messages[0].add_transactions(AsString(*tx));
  }
  messages[1].set_sequence(11);
  for (const Bytes* tx : {&a1, &wrong_slice}) messages[1].add_transactions(AsString(*tx));
  messages[2].set_sequence(12);  // over the bound: refused as a whole, per transaction
  for (size_t i = 0; i <= kMaxSubmitTransactions; ++i) {
    messages[2].add_transactions(AsString(garbage));
  }
  messages[3].set_sequence(13);  // empty: answered with no results

  grpc::Status status;
  auto answers = StreamSubmit(cluster.stub(0), messages, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 4u);

  const v1::SubmitStreamResponse& first = answers[10];
  ASSERT_EQ(first.results_size(), 5);
  EXPECT_TRUE(first.results(0).accepted()) << first.results(0).reason();
  EXPECT_EQ(first.results(0).code(), v1::SUBMIT_CODE_ACCEPTED);
  EXPECT_EQ(first.results(0).tx_id(), AsString(ComputeTxId(a0).span()));
  EXPECT_EQ(first.results(1).code(), v1::SUBMIT_CODE_MALFORMED);
  EXPECT_EQ(first.results(2).code(), v1::SUBMIT_CODE_BAD_SIGNATURE);
  EXPECT_TRUE(first.results(3).accepted()) << first.results(3).reason();
  EXPECT_EQ(first.results(4).code(), v1::SUBMIT_CODE_DUPLICATE);
  EXPECT_EQ(first.results(4).reason(), "duplicate: repeated in this request");

  const v1::SubmitStreamResponse& second = answers[11];
  ASSERT_EQ(second.results_size(), 2);
  EXPECT_TRUE(second.results(0).accepted()) << second.results(0).reason();
  EXPECT_EQ(second.results(1).code(), v1::SUBMIT_CODE_WRONG_SLICE);

  const v1::SubmitStreamResponse& too_large = answers[12];
  ASSERT_EQ(too_large.results_size(), static_cast<int>(kMaxSubmitTransactions + 1));
  for (const v1::SubmitResult& r : too_large.results()) {
    ASSERT_EQ(r.code(), v1::SUBMIT_CODE_TOO_LARGE);
    ASSERT_FALSE(r.accepted());
  }
  EXPECT_EQ(too_large.results(0).reason(),
            "transactions: 10001 exceeds the bound of 10000 per request");
  EXPECT_EQ(answers[13].results_size(), 0);

  // ACCEPTED means in consensus (and durable): all three commit, in the
  // sender's nonce order within the stream (a1 after a0, both successes).
  const std::vector<TxId> accepted = {ComputeTxId(a0), ComputeTxId(a1), ComputeTxId(b0)};
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(accepted); }));
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(cluster.GetTx(i, accepted[1]).result().code(), "SUCCESS");
  }

  // Resubmitting over a new stream: a duplicate, answered as such.
  std::vector<v1::SubmitStreamRequest> again(1);
  again[0].add_transactions(AsString(a0));
  auto dup = StreamSubmit(cluster.stub(0), again, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(dup[0].results_size(), 1);
  EXPECT_EQ(dup[0].results(0).code(), v1::SUBMIT_CODE_DUPLICATE);

  // The node's counters over gRPC: what it verified, refused and committed.
  grpc::ClientContext ctx;
  ctx.set_deadline(In(5));
  v1::NodeCounters counters;
  grpc::Status got = cluster.stub(0).GetCounters(&ctx, v1::GetCountersRequest(), &counters);
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_EQ(counters.validator_index(), 0u);
  EXPECT_EQ(counters.slice(), 0u);
  // a0, bad_signature, b0, a1 verified at admission here (a repeat within a
  // message is refused before verifying; garbage does not decode).
  EXPECT_GE(counters.tx_admission_verifications(), 4u);
  EXPECT_GE(counters.committed_transactions(), 3u);
  EXPECT_GE(counters.commits(), 1u);
  EXPECT_GE(counters.signatures_verified(), counters.tx_admission_verifications());
  EXPECT_GE(counters.rejected_by_reason().at("too_large"), kMaxSubmitTransactions + 1);
  EXPECT_GE(counters.rejected_by_reason().at("malformed"), 1u);
  EXPECT_GE(counters.rejected_by_reason().at("bad_signature"), 1u);
  ASSERT_EQ(counters.stages_size(), 6);
  bool admit_seen = false;
  for (const v1::StageLatencyHistogram& h : counters.stages()) {
    ASSERT_EQ(h.cumulative_counts_size(), h.upper_bounds_s_size() + 1) << h.stage();
    if (h.stage() == "admit") {
      admit_seen = true;
      EXPECT_GE(h.cumulative_counts(h.cumulative_counts_size() - 1), 5u);  // one per message
    }
  }
  EXPECT_TRUE(admit_seen);
}

// Reads the batched stream from `from` until `until` is complete.
std::vector<v1::CommitBatch> ReadBatches(v1::Ledger::Stub& stub, uint64_t from, uint64_t until) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(20));
  v1::StreamCommitsRequest request;
  request.set_from_sequence(from);
  auto reader = stub.StreamCommitBatches(&ctx, request);
  std::vector<v1::CommitBatch> batches;
  v1::CommitBatch batch;
  while (reader->Read(&batch)) {
    batches.push_back(batch);
    if (batch.commit_sequence() >= until && batch.commit_complete()) break;
  }
  ctx.TryCancel();
  return batches;
}

TEST(ClientStreamTest, BatchedCommitStreamHasEveryCommitInOrderAndResumes) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(3).public_key();
  // Three rounds of submissions, each waited for, so they span commits.
  std::vector<TxId> ids;
  for (uint64_t nonce = 0; nonce < 3; ++nonce) {
    std::vector<Bytes> txs;
    for (uint32_t j = 0; j < 3; ++j) {
      txs.push_back(MakeTransfer(cluster.chain_id(), cluster.account(j), nonce, to, 1 + nonce));
      ids.push_back(ComputeTxId(txs.back()));
    }
    const v1::SubmitBatchResponse r = cluster.Submit(nonce % kValidators, txs);
    for (const auto& result : r.results()) ASSERT_TRUE(result.accepted()) << result.reason();
    const std::vector<TxId> round(ids.end() - 3, ids.end());
    ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(round); }));
  }
  const uint64_t last = cluster.GetTx(1, ids.back()).commit_sequence();
  ASSERT_GE(last, 2u);

  const std::vector<v1::CommitBatch> batches = ReadBatches(cluster.stub(1), 1, last);
  // Every commit 1..last, one complete message each (small commits are not
  // split), in order, without gaps.
  ASSERT_EQ(batches.size(), last);
  absl::flat_hash_map<std::string, uint64_t> seen;
  std::vector<std::string> order;
  for (size_t k = 0; k < batches.size(); ++k) {
    const v1::CommitBatch& b = batches[k];
    EXPECT_EQ(b.commit_sequence(), k + 1);
    EXPECT_TRUE(b.commit_complete());
    EXPECT_EQ(b.slice(), 0u);
    uint32_t previous_index = 0;
    for (int t = 0; t < b.transactions_size(); ++t) {
      const v1::CommittedTransaction& c = b.transactions(t);
      EXPECT_EQ(c.commit_sequence(), b.commit_sequence());
      if (t > 0) {
        EXPECT_GT(c.index_in_commit(), previous_index);
      }
      previous_index = c.index_in_commit();
      EXPECT_TRUE(c.result().success()) << c.result().code();
      EXPECT_TRUE(seen.emplace(c.tx_id(), c.commit_sequence()).second) << "streamed twice";
      order.push_back(c.tx_id());
    }
  }
  for (const TxId& id : ids) {
    ASSERT_TRUE(seen.contains(AsString(id.span())));
    EXPECT_EQ(seen[AsString(id.span())], cluster.GetTx(1, id).commit_sequence());
  }

  // The per-transaction stream (kept for existing clients) sends the same
  // entries in the same order.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(20));
    v1::StreamCommitsRequest request;
    request.set_from_sequence(1);
    auto reader = cluster.stub(1).StreamCommits(&ctx, request);
    std::vector<std::string> single;
    v1::CommittedTransaction c;
    while (single.size() < order.size() && reader->Read(&c)) single.push_back(c.tx_id());
    ctx.TryCancel();
    EXPECT_EQ(single, order);
  }

  // Resuming from a later sequence starts exactly there, with the same entries.
  const uint64_t from = last;
  const std::vector<v1::CommitBatch> resumed = ReadBatches(cluster.stub(1), from, last);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].commit_sequence(), from);
  EXPECT_EQ(resumed[0].SerializeAsString(), batches[from - 1].SerializeAsString());
}

void AddEntry(CommitEntries& entries, uint32_t index, size_t reason_bytes) {
  v1::CommittedTransaction* c = entries.Add();
  c->set_tx_id(std::string(32, 'x'));
  c->set_index_in_commit(index);
  c->set_commit_sequence(9);
  c->mutable_result()->set_reason(std::string(reason_bytes, 'r'));
}

TEST(CommitBatchesTest, PacksACommitWithinTheCountAndByteBounds) {
  CommitEntries none;
  std::vector<v1::CommitBatch*> empty = none.Pack(9, SliceId(2));
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0]->commit_sequence(), 9u);
  EXPECT_EQ(empty[0]->slice(), 2u);
  EXPECT_TRUE(empty[0]->commit_complete());
  EXPECT_EQ(empty[0]->transactions_size(), 0);

  CommitEntries many;
  for (uint32_t i = 0; i < 2 * kMaxCommitBatchTxs + 1; ++i) AddEntry(many, i, 0);
  std::vector<v1::CommitBatch*> split = many.Pack(9, SliceId(0));
  EXPECT_EQ(many.size(), 0u);  // moved into the batches
  ASSERT_EQ(split.size(), 3u);
  uint32_t next = 0;
  for (size_t k = 0; k < split.size(); ++k) {
    EXPECT_EQ(split[k]->commit_complete(), k + 1 == split.size());
    for (const v1::CommittedTransaction& c : split[k]->transactions()) {
      EXPECT_EQ(c.index_in_commit(), next++);  // order kept across messages
      EXPECT_EQ(c.tx_id(), std::string(32, 'x'));
    }
  }
  EXPECT_EQ(next, 2 * kMaxCommitBatchTxs + 1);
  EXPECT_EQ(split[2]->transactions_size(), 1);

  // Large entries: split by bytes long before the count bound.
  CommitEntries big;
  for (uint32_t i = 0; i < 40; ++i) AddEntry(big, i, 100'000);
  std::vector<v1::CommitBatch*> by_bytes = big.Pack(9, SliceId(0));
  ASSERT_GT(by_bytes.size(), 1u);
  for (const v1::CommitBatch* b : by_bytes) {
    EXPECT_LE(b->ByteSizeLong(), kMaxCommitBatchBytes + 1024);
  }

  // Reset frees them; the next commit starts empty.
  big.Reset();
  EXPECT_EQ(big.size(), 0u);
  AddEntry(big, 0, 0);
  EXPECT_EQ(big.Pack(10, SliceId(0)).front()->transactions_size(), 1);
}

}  // namespace
}  // namespace gridledger::node
