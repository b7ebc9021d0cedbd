#include "core/execution/executor.h"

#include <cstdint>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/common/check.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger {
namespace {

using testing::TestKey;
using testing::Transfer;

constexpr SliceId kSlice(0);
constexpr SliceId kOtherSlice(1);

AccountRef Acct(uint64_t n, SliceId slice = kSlice) { return AccountRef{slice, TestKey(n)}; }

class ExecutorTest : public ::testing::Test {
 protected:
  void Fund(uint64_t n, uint64_t balance) {
    state_.SetAccount(Acct(n), AccountState{Amount(balance), Nonce(0)});
  }
  AccountState Get(uint64_t n) const {
    auto got = state_.GetAccount(Acct(n));
    GL_CHECK(got.ok() && got->has_value());
    return **got;
  }
  std::vector<TxResult> Run(const std::vector<BlockTx>& block) {
    auto outcome = executor_.ExecuteBlock(state_, block);
    GL_CHECK(outcome.ok());
    state_.Apply(*outcome);
    return outcome->results;
  }
  static TxResult Single(const std::vector<TxResult>& results) {
    GL_CHECK(results.size() == 1);
    return results[0];
  }

  Executor executor_{kSlice};
  MemoryState state_;
};

TEST_F(ExecutorTest, TransferMovesMoneyAdvancesNonceAndCreatesRecipient) {
  Fund(1, 1000);
  BlockTx tx = Transfer(kSlice, TestKey(1), 0, Acct(2), 300);
  TxResult r = Single(Run({tx}));
  EXPECT_EQ(r, (TxResult{tx.id, 0, TxResultCode::kSuccess, ""}));
  EXPECT_EQ(Get(1), (AccountState{Amount(700), Nonce(1)}));
  EXPECT_EQ(Get(2), (AccountState{Amount(300), Nonce(0)}));
}

TEST_F(ExecutorTest, OutcomeListsChangedAccountsSortedAndChainsTheSummary) {
  Fund(1, 1000);
  const Digest before = *state_.StateSummary();
  std::vector<BlockTx> block = {Transfer(kSlice, TestKey(1), 0, Acct(2), 10),
                                Transfer(kSlice, TestKey(1), 1, Acct(3), 20)};
  auto outcome = executor_.ExecuteBlock(state_, block);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome->accounts.size(), 3u);
  for (size_t i = 1; i < outcome->accounts.size(); ++i) {
    EXPECT_LT(outcome->accounts[i - 1].first, outcome->accounts[i].first);
  }
  EXPECT_EQ(outcome->state_summary, NextStateSummary(before, *outcome));
  EXPECT_NE(outcome->state_summary, before);
  // Execution only reads the view.
  EXPECT_EQ(Get(1), (AccountState{Amount(1000), Nonce(0)}));
}

TEST_F(ExecutorTest, ReplayedNonceIsRejectedWithItsReason) {
  Fund(1, 1000);
  Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(2), 5)}));
  // Same nonce, different content (so a different id): a replayed nonce.
  BlockTx replay = Transfer(kSlice, TestKey(1), 0, Acct(2), 6);
  TxResult r = Single(Run({replay}));
  EXPECT_EQ(r.code, TxResultCode::kBadNonce);
  EXPECT_EQ(r.reason, "nonce 0 is below next expected nonce 1 (replayed or already used)");
  EXPECT_EQ(Get(1), (AccountState{Amount(995), Nonce(1)}));
}

TEST_F(ExecutorTest, InsufficientBalanceIsRejectedAndChangesNothing) {
  Fund(1, 100);
  TxResult r = Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(2), 101)}));
  EXPECT_EQ(r.code, TxResultCode::kInsufficientBalance);
  EXPECT_EQ(r.reason, "insufficient balance: 100 < amount 101");
  EXPECT_EQ(Get(1), (AccountState{Amount(100), Nonce(0)}));
  EXPECT_FALSE(state_.GetAccount(Acct(2))->has_value());
  // The whole balance can be sent.
  EXPECT_TRUE(Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(2), 100)})).ok());
  EXPECT_EQ(Get(1), (AccountState{Amount(0), Nonce(1)}));
}

TEST_F(ExecutorTest, ZeroAmountIsRejected) {
  Fund(1, 100);
  TxResult r = Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(2), 0)}));
  EXPECT_EQ(r.code, TxResultCode::kZeroAmount);
  EXPECT_EQ(r.reason, "amount must be greater than 0");
  EXPECT_EQ(Get(1), (AccountState{Amount(100), Nonce(0)}));
}

TEST_F(ExecutorTest, UnknownSenderIsRejected) {
  TxResult r = Single(Run({Transfer(kSlice, TestKey(9), 0, Acct(2), 1)}));
  EXPECT_EQ(r.code, TxResultCode::kUnknownSender);
  EXPECT_EQ(r.reason, "unknown sender account");
  EXPECT_TRUE(state_.SortedAccounts().empty());
}

TEST_F(ExecutorTest, TransferToAnUnknownSliceIsRejectedWithItsReason) {
  Fund(1, 100);
  TxResult r = Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(2, kOtherSlice), 10)}));
  EXPECT_EQ(r.code, TxResultCode::kCrossSlice);
  EXPECT_EQ(r.reason, "recipient slice 1 does not exist");
  EXPECT_EQ(Get(1), (AccountState{Amount(100), Nonce(0)}));
}

TEST_F(ExecutorTest, TransactionForAnotherSliceIsRejected) {
  Fund(1, 100);
  TxResult r = Single(Run({Transfer(kOtherSlice, TestKey(1), 0, Acct(2), 10)}));
  EXPECT_EQ(r.code, TxResultCode::kWrongSlice);
  EXPECT_EQ(r.reason, "transaction for slice 1 executed in slice 0");
}

TEST_F(ExecutorTest, MarketKindsFromAnUnregisteredAccountFailWithoutStateChange) {
  Fund(1, 100);
  Transaction order;
  order.slice = kSlice;
  order.sender = TestKey(1);
  order.body = OrderBody{OrderSide::kBid, IntervalId(7), EnergyWh(1000), PricePerKwh(50)};
  Transaction cancel = order;
  cancel.body = CancelBody{TxId()};
  Transaction tariff = order;
  tariff.body = SetTariffBody{PricePerKwh(1), PricePerKwh(2), PricePerKwh(3)};
  auto results = Run({testing::MakeBlockTx(order), testing::MakeBlockTx(cancel),
                      testing::MakeBlockTx(tariff)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].code, TxResultCode::kNotRegistered);
  EXPECT_EQ(results[1].code, TxResultCode::kUnknownOrder);
  EXPECT_EQ(results[2].code, TxResultCode::kUnauthorized);  // this executor has no DSO
  EXPECT_EQ(Get(1), (AccountState{Amount(100), Nonce(0)}));
}

TEST_F(ExecutorTest, DuplicateIdsAreSkippedInTheBlockAndAcrossBlocks) {
  Fund(1, 100);
  BlockTx tx = Transfer(kSlice, TestKey(1), 0, Acct(2), 10);
  auto results = Run({tx, tx});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1], (TxResult{tx.id, 1, TxResultCode::kDuplicate, "duplicate"}));
  // A failed transaction's id is recorded too: resubmitting it is a duplicate.
  BlockTx failing = Transfer(kSlice, TestKey(1), 1, Acct(2), 10'000);
  EXPECT_EQ(Single(Run({failing})).code, TxResultCode::kInsufficientBalance);
  EXPECT_EQ(Single(Run({tx})).code, TxResultCode::kDuplicate);
  EXPECT_EQ(Single(Run({failing})).code, TxResultCode::kDuplicate);
  EXPECT_EQ(Get(1), (AccountState{Amount(90), Nonce(1)}));
  EXPECT_EQ(Get(2), (AccountState{Amount(10), Nonce(0)}));
}

TEST_F(ExecutorTest, SelfTransferOnlyAdvancesTheNonce) {
  Fund(1, 100);
  EXPECT_TRUE(Single(Run({Transfer(kSlice, TestKey(1), 0, Acct(1), 60)})).ok());
  EXPECT_EQ(Get(1), (AccountState{Amount(100), Nonce(1)}));
}

TEST_F(ExecutorTest, EveryTransactionGetsAResultInOrder) {
  Fund(1, 50);
  std::vector<BlockTx> block = {
      Transfer(kSlice, TestKey(1), 0, Acct(2), 20),   // ok
      Transfer(kSlice, TestKey(1), 1, Acct(2), 40),   // insufficient (30 left)
      Transfer(kSlice, TestKey(1), 1, Acct(3), 30),   // ok
      Transfer(kSlice, TestKey(2), 0, Acct(1), 5),    // ok: 2 was credited above
      Transfer(kSlice, TestKey(4), 0, Acct(1), 5),    // unknown sender
  };
  auto results = Run(block);
  ASSERT_EQ(results.size(), block.size());
  const TxResultCode expected[] = {TxResultCode::kSuccess, TxResultCode::kInsufficientBalance,
                                   TxResultCode::kSuccess, TxResultCode::kSuccess,
                                   TxResultCode::kUnknownSender};
  for (size_t i = 0; i < block.size(); ++i) {
    EXPECT_EQ(results[i].id, block[i].id);
    EXPECT_EQ(results[i].index, i);
    EXPECT_EQ(results[i].code, expected[i]) << i;
  }
  EXPECT_EQ(Get(1), (AccountState{Amount(5), Nonce(2)}));
  EXPECT_EQ(Get(2), (AccountState{Amount(15), Nonce(1)}));
  EXPECT_EQ(Get(3), (AccountState{Amount(30), Nonce(0)}));
}

// Long seeded random histories mixing valid and failing transfers, with
// nonces sometimes ahead (held, then released, expired or refused over tight
// hold bounds): money is conserved after every block, an account's next
// nonce always equals the number of its successful transfers, every held
// entry is ahead of its account's next nonce, and a transaction gets exactly
// one final result.
TEST(ExecutorPropertyTest, MoneyIsConservedOverRandomTransferSequences) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    constexpr uint64_t kAccounts = 40;
    constexpr uint64_t kGenesisBalance = 1'000'000;
    MemoryState state;
    for (uint64_t a = 0; a < kAccounts; ++a) {
      state.SetAccount(Acct(a), AccountState{Amount(kGenesisBalance), Nonce(0)});
    }
    const uint64_t total = kAccounts * kGenesisBalance;
    Executor executor(kSlice, NonceHoldLimits{.hold_commits = 6, .max_per_account = 2,
                                              .max_per_slice = 8});
    absl::flat_hash_map<PublicKey, uint64_t> successes;
    absl::flat_hash_map<PublicKey, uint64_t> nonce_guess;
    absl::flat_hash_map<TxId, PublicKey> sender_of;
    absl::flat_hash_map<TxId, int> final_results;
    std::vector<BlockTx> history;
    absl::flat_hash_map<TxResultCode, int> seen_codes;
    for (int b = 0; b < 150; ++b) {
      std::vector<BlockTx> block;
      const int n = static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) {
        const uint64_t roll = rng() % 100;
        if (roll < 5 && !history.empty()) {  // resubmit an earlier transaction
          block.push_back(history[rng() % history.size()]);
          continue;
        }
        // Unknown senders come from outside every range that gets credited.
        const uint64_t from = roll < 8 ? kAccounts + 100 + rng() % 5 : rng() % kAccounts;
        const uint64_t to = rng() % (kAccounts + 10);  // sometimes a new account
        uint64_t nonce = nonce_guess[TestKey(from)];
        if (roll < 15) nonce += rng() % 3;  // sometimes ahead (or right by luck)
        if (roll >= 18 && roll < 20 && nonce > 0) --nonce;  // a replayed nonce
        uint64_t amount = 1 + rng() % 200'000;
        if (roll >= 15 && roll < 18) amount = 0;
        if (roll >= 95) amount = kGenesisBalance * 10;
        const SliceId to_slice = roll >= 90 && roll < 95 ? kOtherSlice : kSlice;
        BlockTx tx = Transfer(kSlice, TestKey(from), nonce, Acct(to, to_slice), amount);
        block.push_back(tx);
        history.push_back(tx);
        sender_of[tx.id] = tx.tx.sender;
        ++nonce_guess[TestKey(from)];
      }
      auto outcome = executor.ExecuteBlock(state, block);
      ASSERT_TRUE(outcome.ok());
      ASSERT_EQ(outcome->results.size(), block.size());
      for (size_t i = 0; i < block.size(); ++i) {
        const TxResult& r = outcome->results[i];
        ++seen_codes[r.code];
        if (r.ok()) ++successes[block[i].tx.sender];
        if (r.code != TxResultCode::kDuplicate && r.code != TxResultCode::kHeld) {
          ++final_results[r.id];
        }
      }
      for (size_t k = 0; k < outcome->released.size(); ++k) {
        const TxResult& r = outcome->released[k].result;
        EXPECT_EQ(r.index, block.size() + k);
        EXPECT_NE(r.code, TxResultCode::kHeld);
        ++seen_codes[r.code];
        if (r.ok()) ++successes[sender_of[r.id]];
        ++final_results[r.id];
      }
      // Resync the guesses to the real nonces so most transfers stay valid.
      state.Apply(*outcome);
      uint64_t sum = 0;
      for (const auto& [ref, acct] : state.SortedAccounts()) {
        sum += acct.balance.value();
        EXPECT_EQ(acct.next_nonce.value(), successes[ref.key]) << "seed " << seed;
        nonce_guess[ref.key] = acct.next_nonce.value();
      }
      ASSERT_EQ(sum, total) << "seed " << seed << " block " << b;
      const auto held = state.SortedHeld();
      EXPECT_LE(held.size(), 8u);
      for (const auto& [key, id, held_sequence] : held) {
        EXPECT_GT(key.nonce, (*state.GetAccount(key.account))->next_nonce) << "seed " << seed;
        EXPECT_GT(held_sequence + 6, state.last_committed_sequence()) << "seed " << seed;
        EXPECT_EQ(final_results[id], 0) << "seed " << seed;
      }
    }
    for (const auto& [id, count] : final_results) EXPECT_LE(count, 1) << "seed " << seed;
    // The sequences really did exercise the failure and hold paths.
    for (TxResultCode code :
         {TxResultCode::kSuccess, TxResultCode::kDuplicate, TxResultCode::kUnknownSender,
          TxResultCode::kBadNonce, TxResultCode::kZeroAmount, TxResultCode::kInsufficientBalance,
          TxResultCode::kCrossSlice, TxResultCode::kHeld, TxResultCode::kNonceGapExpired,
          TxResultCode::kNonceHoldFull}) {
      EXPECT_GT(seen_codes[code], 0) << "seed " << seed << " never saw " << TxResultCodeName(code);
    }
  }
}

TEST(ExecutorPropertyTest, ExecutionIsDeterministic) {
  auto run = [] {
    MemoryState state;
    for (uint64_t a = 0; a < 10; ++a) {
      state.SetAccount(Acct(a), AccountState{Amount(1000), Nonce(0)});
    }
    Executor executor(kSlice);
    std::mt19937_64 rng(99);
    std::vector<uint64_t> nonces(10, 0);
    for (int b = 0; b < 20; ++b) {
      std::vector<BlockTx> block;
      for (int i = 0; i < 10; ++i) {
        const uint64_t from = rng() % 10;
        block.push_back(Transfer(kSlice, TestKey(from), nonces[from]++, Acct(rng() % 12),
                                 1 + rng() % 300));
      }
      auto outcome = executor.ExecuteBlock(state, block);
      GL_CHECK(outcome.ok());
      state.Apply(*outcome);
    }
    return std::make_pair(*state.StateSummary(), state.SortedAccounts());
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace gridledger
