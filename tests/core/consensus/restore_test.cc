// After a restart the core seals the transactions the runtime acknowledged
// before the crash (RestoreOwnTransactions) into new own batches, in order,
// ahead of any new transaction, and only as far as back-pressure allows.
#include <vector>

#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

std::vector<Bytes> Txs(size_t n) {
  std::vector<Bytes> txs;
  for (size_t i = 0; i < n; ++i) txs.push_back(Bytes{static_cast<uint8_t>(i + 1), 0xab});
  return txs;
}

std::vector<Bytes> Flatten(const std::vector<Batch>& batches) {
  std::vector<Bytes> out;
  for (const Batch& b : batches) {
    for (ByteSpan tx : b.transactions) out.emplace_back(tx.begin(), tx.end());
  }
  return out;
}

TEST_F(Fixture, RestoredTransactionsAreSealedInOrderBeforeNewOnes) {
  Parameters params;
  params.batch_txs_max = 3;
  Core core(*committee_, params, ValidatorIndex(0), keys_[0], &checker_);
  std::vector<Bytes> restored = Txs(7);
  std::vector<Bytes> given = restored;
  given.push_back(Bytes{});  // not a transaction: dropped
  core.RestoreOwnTransactions(given);
  const std::vector<Action> actions = core.Start({}, 0);
  const std::vector<Batch> sealed = Sent<Batch>(actions);
  ASSERT_EQ(sealed.size(), 3u);  // 3 + 3 + 1
  EXPECT_EQ(sealed[2].transactions.size(), 1u);
  EXPECT_EQ(Flatten(sealed), restored);
  size_t persisted = 0;
  for (const Action& a : actions) {
    if (const auto* p = std::get_if<PersistAction>(&a)) {
      persisted += std::holds_alternative<BatchRecord>(p->record);
    }
  }
  EXPECT_EQ(persisted, 3u);
  // All restored: new transactions are taken again.
  EXPECT_TRUE(core.SubmitTransaction(Bytes{0xcd}, 1).ok());
}

TEST_F(Fixture, RestoredTransactionsBeyondTheBacklogWaitAndHoldBackNewOnes) {
  Parameters params;
  params.batch_txs_max = 1;
  Core core(*committee_, params, ValidatorIndex(0), keys_[0], &checker_);
  const size_t n = kMaxUnackedOwnBatches + 5;
  core.RestoreOwnTransactions(Txs(n));
  const std::vector<Batch> sealed = Sent<Batch>(core.Start({}, 0));
  // Sealing stops at the unacknowledged-batch bound; nothing is dropped.
  EXPECT_EQ(sealed.size(), kMaxUnackedOwnBatches);
  EXPECT_EQ(core.stats().batches_sealed, kMaxUnackedOwnBatches);
  const auto refused = core.SubmitTransaction(Bytes{0xcd}, 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  // Once peers acknowledge, the rest are sealed on the timer, in order.
  std::vector<Batch> later;
  for (const Batch& b : sealed) {
    for (uint32_t peer : {1u, 2u}) {
      auto acked = core.OnMessage(ValidatorIndex(peer), BatchAck{BatchDigest(b)}, 2);
      for (Batch& x : Sent<Batch>(acked)) later.push_back(std::move(x));
    }
  }
  for (Batch& x : Sent<Batch>(core.OnTimer(3))) later.push_back(std::move(x));
  ASSERT_EQ(later.size(), 5u);
  std::vector<Bytes> all = Flatten(sealed);
  for (const Bytes& tx : Flatten(later)) all.push_back(tx);
  EXPECT_EQ(all, Txs(n));
}

}  // namespace
}  // namespace gridledger::consensus
