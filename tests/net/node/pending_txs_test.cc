#include "net/node/pending_txs.h"

#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

TxId Id(uint8_t b) {
  TxId id;
  id.bytes.fill(b);
  return id;
}

TEST(PendingTxsTest, DuplicateUntilCommittedOrExpired) {
  PendingTxs pending;
  const absl::Time t0 = absl::FromUnixSeconds(1'000'000);
  EXPECT_TRUE(pending.Insert(Id(1), t0));
  EXPECT_FALSE(pending.Insert(Id(1), t0 + absl::Seconds(1)));
  EXPECT_TRUE(pending.Contains(Id(1), t0 + absl::Seconds(1)));
  // Past the TTL it reads as not pending and may be admitted again.
  EXPECT_FALSE(pending.Contains(Id(1), t0 + kPendingTtl));
  EXPECT_TRUE(pending.Insert(Id(1), t0 + kPendingTtl));
  EXPECT_FALSE(pending.Insert(Id(1), t0 + kPendingTtl + absl::Seconds(1)));
  // Committed: gone.
  pending.EraseAll({Id(1)});
  EXPECT_FALSE(pending.Contains(Id(1), t0 + kPendingTtl));
  EXPECT_EQ(pending.size(), 0u);
}

}  // namespace
}  // namespace gridledger::node
