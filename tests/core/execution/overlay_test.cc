// The overlay reads each account from its base once per block and hands the
// states it read to the store (AccountBefore), so the state-root update does
// not look them up again.
#include "core/execution/overlay.h"

#include <cstdint>

#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger {
namespace {

constexpr SliceId kOverlaySlice(0);

AccountRef OverlayAccount(uint64_t n) { return AccountRef{kOverlaySlice, testing::TestKey(n)}; }

AccountState StateWithBalance(uint64_t balance) { return AccountState{Amount(balance), Nonce(0)}; }

// Counts the base reads.
class CountingState : public MemoryState {
 public:
  absl::StatusOr<std::optional<AccountState>> GetAccount(const AccountRef& ref) const override {
    ++reads;
    return MemoryState::GetAccount(ref);
  }
  absl::StatusOr<std::vector<std::optional<AccountState>>> GetAccounts(
      absl::Span<const AccountRef> refs) const override {
    ++batch_reads;
    batch_accounts += static_cast<int>(refs.size());
    return MemoryState::GetAccounts(refs);  // one by one: counted in `reads` too
  }
  absl::StatusOr<std::optional<Bytes>> GetMarket(ByteSpan key) const override {
    ++market_reads;
    return MemoryState::GetMarket(key);
  }
  mutable int reads = 0;
  mutable int batch_reads = 0;
  mutable int batch_accounts = 0;
  mutable int market_reads = 0;
};

TEST(OverlayTest, ReadsEachAccountFromTheBaseOnce) {
  CountingState base;
  base.SetAccount(OverlayAccount(1), StateWithBalance(5));
  Overlay overlay(base);
  for (int i = 0; i < 3; ++i) {
    auto got = overlay.Get(OverlayAccount(1));
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->balance, Amount(5));
    auto absent = overlay.Get(OverlayAccount(2));
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());
  }
  EXPECT_EQ(base.reads, 2);
  // A change is read from the overlay, not the base.
  overlay.Set(OverlayAccount(1), StateWithBalance(9));
  auto changed = overlay.Get(OverlayAccount(1));
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)->balance, Amount(9));
  EXPECT_EQ(base.reads, 2);
}

TEST(OverlayTest, PreloadReadsEachUnreadAccountOnceInOneCall) {
  CountingState base;
  base.SetAccount(OverlayAccount(1), StateWithBalance(5));
  base.SetAccount(OverlayAccount(2), StateWithBalance(6));
  Overlay overlay(base);
  ASSERT_TRUE(overlay.Get(OverlayAccount(1)).ok());
  ASSERT_EQ(base.reads, 1);
  // 1 was read already and 2 is asked twice: one call, for 2 and 3 only.
  const std::vector<AccountRef> refs = {OverlayAccount(1), OverlayAccount(2), OverlayAccount(3),
                                        OverlayAccount(2)};
  ASSERT_TRUE(overlay.Preload(refs).ok());
  EXPECT_EQ(base.batch_reads, 1);
  EXPECT_EQ(base.batch_accounts, 2);
  const int reads_after_preload = base.reads;
  auto two = overlay.Get(OverlayAccount(2));
  ASSERT_TRUE(two.ok());
  ASSERT_TRUE(two->has_value());
  EXPECT_EQ((*two)->balance, Amount(6));
  auto three = overlay.Get(OverlayAccount(3));
  ASSERT_TRUE(three.ok());
  EXPECT_FALSE(three->has_value());
  EXPECT_EQ(base.reads, reads_after_preload);  // answered from the preload
  // Preloaded accounts count as read: their base state goes to the store.
  overlay.Set(OverlayAccount(2), StateWithBalance(1));
  overlay.Set(OverlayAccount(3), StateWithBalance(2));
  const auto changes = overlay.SortedChanges();
  const std::vector<AccountBefore> before = overlay.BaseStates(changes);
  ASSERT_EQ(before.size(), 2u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(before[i], changes[i].first == OverlayAccount(2)
                             ? (AccountBefore{true, StateWithBalance(6)})
                             : (AccountBefore{true, std::nullopt}));
  }
}

TEST(OverlayTest, ReadsEachMarketRecordFromTheBaseOnce) {
  CountingState base;
  Overlay overlay(base);
  const Bytes key = {1, 2, 3};
  for (int i = 0; i < 3; ++i) {
    auto got = overlay.GetMarket(key);
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
  }
  EXPECT_EQ(base.market_reads, 1);
  overlay.PutMarket(key, Bytes{9});
  auto put = overlay.GetMarket(key);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(*put, std::optional<Bytes>(Bytes{9}));
  EXPECT_EQ(base.market_reads, 1);
}

TEST(OverlayTest, BaseStatesAreWhatWasReadBeforeTheChange) {
  MemoryState base;
  base.SetAccount(OverlayAccount(1), StateWithBalance(5));
  base.SetAccount(OverlayAccount(2), StateWithBalance(6));
  Overlay overlay(base);
  ASSERT_TRUE(overlay.Get(OverlayAccount(1)).ok());
  overlay.Set(OverlayAccount(1), StateWithBalance(7));
  overlay.Set(OverlayAccount(2), StateWithBalance(1));  // set without a read
  ASSERT_TRUE(overlay.Get(OverlayAccount(3)).ok());  // absent, then created
  overlay.Set(OverlayAccount(3), StateWithBalance(2));
  const auto changes = overlay.SortedChanges();
  const std::vector<AccountBefore> before = overlay.BaseStates(changes);
  ASSERT_EQ(before.size(), changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].first == OverlayAccount(1)) {
      EXPECT_EQ(before[i], (AccountBefore{true, StateWithBalance(5)}));
    } else if (changes[i].first == OverlayAccount(2)) {
      EXPECT_FALSE(before[i].read);
    } else {
      EXPECT_EQ(before[i], (AccountBefore{true, std::nullopt}));
    }
  }
}

}  // namespace
}  // namespace gridledger
