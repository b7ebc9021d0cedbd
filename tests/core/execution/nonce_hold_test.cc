// The executor's nonce hold: a transfer whose nonce is ahead of its account's
// next nonce waits (kHeld) until the gap fills or it expires, within bounds.
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/check.h"
#include "core/execution/executor.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger {
namespace {

using testing::TestKey;
using testing::Transfer;

constexpr SliceId kHoldSlice(0);

AccountRef HoldAcct(uint64_t n) { return AccountRef{kHoldSlice, TestKey(n)}; }

class NonceHoldTest : public ::testing::Test {
 protected:
  void Fund(uint64_t n, uint64_t balance) {
    state_.SetAccount(HoldAcct(n), AccountState{Amount(balance), Nonce(0)});
  }
  AccountState Get(uint64_t n) const {
    auto got = state_.GetAccount(HoldAcct(n));
    GL_CHECK(got.ok() && got->has_value());
    return **got;
  }
  BlockOutcome Run(const std::vector<BlockTx>& block) {
    auto outcome = executor_.ExecuteBlock(state_, block);
    GL_CHECK(outcome.ok());
    state_.Apply(*outcome);
    return *std::move(outcome);
  }
  static BlockTx Pay(uint64_t from, uint64_t nonce, uint64_t amount, uint64_t to = 2) {
    return Transfer(kHoldSlice, TestKey(from), nonce, HoldAcct(to), amount);
  }
  void UseLimits(NonceHoldLimits limits) { executor_ = Executor(kHoldSlice, limits); }

  Executor executor_{kHoldSlice};
  MemoryState state_;
};

TEST_F(NonceHoldTest, GapHeldThenFilledInALaterBlockExecutesAllInOrder) {
  Fund(1, 1000);
  const BlockTx n1 = Pay(1, 1, 100), n2 = Pay(1, 2, 200), n0 = Pay(1, 0, 10);
  BlockOutcome held = Run({n1, n2});
  ASSERT_EQ(held.results.size(), 2u);
  for (const TxResult& r : held.results) {
    EXPECT_EQ(r.code, TxResultCode::kHeld);
    EXPECT_EQ(r.status(), TxStatus::kHeld);
  }
  EXPECT_EQ(held.results[0].reason,
            "nonce 1 is ahead of next nonce 0: held until the gap fills, at the latest until "
            "commit " + std::to_string(1 + kNonceHoldCommits));
  EXPECT_TRUE(held.released.empty());
  EXPECT_EQ(held.held_added.size(), 2u);
  EXPECT_EQ(state_.SortedHeld().size(), 2u);
  // Holding changes no account.
  EXPECT_TRUE(held.accounts.empty());
  EXPECT_EQ(Get(1), (AccountState{Amount(1000), Nonce(0)}));

  Run({});  // a commit in between changes nothing
  EXPECT_EQ(state_.SortedHeld().size(), 2u);

  BlockOutcome filled = Run({n0});
  ASSERT_EQ(filled.results.size(), 1u);
  EXPECT_TRUE(filled.results[0].ok());
  ASSERT_EQ(filled.released.size(), 2u);
  EXPECT_EQ(filled.released[0].result, (TxResult{n1.id, 1, TxResultCode::kSuccess, ""}));
  EXPECT_EQ(filled.released[1].result, (TxResult{n2.id, 2, TxResultCode::kSuccess, ""}));
  EXPECT_EQ(filled.released[0].raw, n1.raw);
  EXPECT_EQ(filled.held_removed.size(), 2u);
  EXPECT_TRUE(state_.SortedHeld().empty());
  EXPECT_EQ(Get(1), (AccountState{Amount(690), Nonce(3)}));
  EXPECT_EQ(Get(2), (AccountState{Amount(310), Nonce(0)}));
  // The ids stay recorded: a re-committed copy is a duplicate.
  EXPECT_EQ(Run({n1}).results[0].code, TxResultCode::kDuplicate);
}

TEST_F(NonceHoldTest, HeldAndReleasedInTheSameBlock) {
  Fund(1, 1000);
  const BlockTx n1 = Pay(1, 1, 5), n0 = Pay(1, 0, 5), n3 = Pay(1, 3, 5);
  BlockOutcome out = Run({n1, n0, n3});
  EXPECT_EQ(out.results[0].code, TxResultCode::kHeld);
  EXPECT_TRUE(out.results[1].ok());
  EXPECT_EQ(out.results[2].code, TxResultCode::kHeld);
  ASSERT_EQ(out.released.size(), 1u);
  EXPECT_EQ(out.released[0].result, (TxResult{n1.id, 3, TxResultCode::kSuccess, ""}));
  // n1 entered and left the hold in this block: only n3 is added.
  ASSERT_EQ(out.held_added.size(), 1u);
  EXPECT_EQ(out.held_added[0].btx, n3);
  EXPECT_EQ(out.held_added[0].held_sequence, 1u);
  EXPECT_TRUE(out.held_removed.empty());
  EXPECT_EQ(Get(1), (AccountState{Amount(990), Nonce(2)}));
}

TEST_F(NonceHoldTest, ExpiresWithNonceGapExpiredAfterExactlyTheHoldCommits) {
  Fund(1, 1000);
  const BlockTx n1 = Pay(1, 1, 5);
  EXPECT_EQ(Run({n1}).results[0].code, TxResultCode::kHeld);  // commit 1
  // Commits 2 .. 1 + kNonceHoldCommits - 1: still held.
  for (uint64_t commit = 2; commit < 1 + kNonceHoldCommits; ++commit) {
    BlockOutcome out = Run({});
    ASSERT_TRUE(out.released.empty()) << "commit " << commit;
    ASSERT_EQ(state_.SortedHeld().size(), 1u) << "commit " << commit;
  }
  BlockOutcome expired = Run({});
  ASSERT_EQ(state_.last_committed_sequence(), 1 + kNonceHoldCommits);
  ASSERT_EQ(expired.released.size(), 1u);
  const TxResult& r = expired.released[0].result;
  EXPECT_EQ(r.id, n1.id);
  EXPECT_EQ(r.code, TxResultCode::kNonceGapExpired);
  EXPECT_EQ(r.index, 0u);
  EXPECT_EQ(r.reason, "nonce 1 held since commit 1: the gap did not fill within " +
                          std::to_string(kNonceHoldCommits) + " commits");
  EXPECT_EQ(TxResultCodeName(r.code), "nonce_gap_expired");
  EXPECT_TRUE(state_.SortedHeld().empty());
  EXPECT_EQ(Get(1), (AccountState{Amount(1000), Nonce(0)}));
  // The account goes on normally; the expired id stays a duplicate.
  EXPECT_TRUE(Run({Pay(1, 0, 5)}).results[0].ok());
  EXPECT_EQ(Run({n1}).results[0].code, TxResultCode::kDuplicate);
  EXPECT_TRUE(Run({Pay(1, 1, 6)}).results[0].ok());
}

TEST_F(NonceHoldTest, PerAccountAndPerSliceBoundsRefuseWithAReason) {
  UseLimits(NonceHoldLimits{.hold_commits = 10, .max_per_account = 2, .max_per_slice = 3});
  Fund(1, 1000);
  Fund(3, 1000);
  BlockOutcome out = Run({Pay(1, 1, 1), Pay(1, 2, 1), Pay(1, 3, 1)});
  EXPECT_EQ(out.results[0].code, TxResultCode::kHeld);
  EXPECT_EQ(out.results[1].code, TxResultCode::kHeld);
  EXPECT_EQ(out.results[2].code, TxResultCode::kNonceHoldFull);
  EXPECT_EQ(out.results[2].reason,
            "nonce 3 is ahead of next nonce 0; the account already holds 2 transactions "
            "(max_per_account 2)");
  out = Run({Pay(3, 5, 1), Pay(3, 6, 1)});
  EXPECT_EQ(out.results[0].code, TxResultCode::kHeld);
  EXPECT_EQ(out.results[1].code, TxResultCode::kNonceHoldFull);
  EXPECT_EQ(out.results[1].reason,
            "nonce 6 is ahead of next nonce 0; the slice already holds 3 transactions "
            "(max_per_slice 3)");
  EXPECT_EQ(state_.SortedHeld().size(), 3u);
  // A refused transaction is final: its nonce can be held again by another.
  out = Run({Pay(1, 0, 1)});
  EXPECT_EQ(out.released.size(), 2u);
  EXPECT_EQ(Run({Pay(3, 6, 2)}).results[0].code, TxResultCode::kHeld);
}

TEST_F(NonceHoldTest, ASecondTransactionForAHeldNonceFailsBadNonce) {
  Fund(1, 1000);
  const BlockTx first = Pay(1, 4, 1);
  Run({first});
  TxResult r = Run({Pay(1, 4, 2)}).results[0];
  EXPECT_EQ(r.code, TxResultCode::kBadNonce);
  EXPECT_EQ(r.reason, "nonce 4 is ahead of next nonce 0 and already held for transaction " +
                          first.id.ShortHex());
}

TEST_F(NonceHoldTest, AHeldNonceTakenByAnotherTransactionFailsBadNonceOnRelease) {
  Fund(1, 1000);
  const BlockTx held = Pay(1, 1, 7);
  Run({held});
  // Nonce 0, then another transaction for nonce 1 arrives directly.
  BlockOutcome out = Run({Pay(1, 0, 1), Pay(1, 1, 2)});
  EXPECT_TRUE(out.results[0].ok());
  EXPECT_TRUE(out.results[1].ok());
  ASSERT_EQ(out.released.size(), 1u);
  EXPECT_EQ(out.released[0].result.id, held.id);
  EXPECT_EQ(out.released[0].result.code, TxResultCode::kBadNonce);
  EXPECT_EQ(out.released[0].result.reason,
            "nonce 1 held since commit 1 was used by another transaction (next nonce 2)");
  EXPECT_EQ(Get(1), (AccountState{Amount(997), Nonce(2)}));
}

TEST_F(NonceHoldTest, AReleasedTransactionThatFailsLeavesTheLaterOnesHeld) {
  Fund(1, 100);
  const BlockTx too_big = Pay(1, 1, 500), later = Pay(1, 2, 10);
  Run({too_big, later});
  BlockOutcome out = Run({Pay(1, 0, 10)});
  ASSERT_EQ(out.released.size(), 1u);
  EXPECT_EQ(out.released[0].result.code, TxResultCode::kInsufficientBalance);
  ASSERT_EQ(state_.SortedHeld().size(), 1u);
  EXPECT_EQ(std::get<1>(state_.SortedHeld()[0]), later.id);
  // Another nonce 1 fills the gap again and releases nonce 2.
  out = Run({Pay(1, 1, 20)});
  ASSERT_EQ(out.released.size(), 1u);
  EXPECT_EQ(out.released[0].result, (TxResult{later.id, 1, TxResultCode::kSuccess, ""}));
  EXPECT_EQ(Get(1), (AccountState{Amount(60), Nonce(3)}));
}

TEST_F(NonceHoldTest, StaticFailuresAreNotHeldAndReplaysStayBadNonce) {
  Fund(1, 100);
  EXPECT_EQ(Run({Pay(1, 3, 0)}).results[0].code, TxResultCode::kZeroAmount);
  EXPECT_TRUE(Run({Pay(1, 0, 1)}).results[0].ok());
  EXPECT_EQ(Run({Pay(1, 0, 2)}).results[0].code, TxResultCode::kBadNonce);
  EXPECT_TRUE(state_.SortedHeld().empty());
}

TEST_F(NonceHoldTest, TheStateSummaryCoversTheHold) {
  Fund(1, 100);
  const Digest before = *state_.StateSummary();
  auto outcome = executor_.ExecuteBlock(state_, {Pay(1, 1, 1)});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->state_summary, NextStateSummary(before, *outcome));
  BlockOutcome other = *outcome;
  other.held_added[0].held_sequence = 2;
  EXPECT_NE(NextStateSummary(before, other), outcome->state_summary);
  other = *outcome;
  other.held_added.clear();
  EXPECT_NE(NextStateSummary(before, other), outcome->state_summary);
}

}  // namespace
}  // namespace gridledger
