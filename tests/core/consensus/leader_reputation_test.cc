#include "core/consensus/leader_reputation.h"

#include <gtest/gtest.h>

namespace gridledger::consensus {
namespace {

TEST(LeaderReputation, SuspectsAfterConsecutiveTimeoutsAndClearsOnACurrentCertificate) {
  LeaderReputation rep(/*committee_size=*/4, /*max_suspects=*/1, /*misses_to_suspect=*/2);
  const ValidatorIndex v(2);
  EXPECT_EQ(rep.WaitMs(v, 300), 300u);
  rep.OnTimedOut(v);
  EXPECT_FALSE(rep.Suspected(v));
  EXPECT_EQ(rep.WaitMs(v, 300), 300u);
  rep.OnTimedOut(v);
  EXPECT_TRUE(rep.Suspected(v));
  EXPECT_EQ(rep.WaitMs(v, 300), 0u);
  rep.OnCurrent(v);
  EXPECT_FALSE(rep.Suspected(v));
  EXPECT_EQ(rep.suspects(), 0u);
  // The count is of consecutive misses: a current certificate in between resets it.
  rep.OnTimedOut(v);
  rep.OnCurrent(v);
  rep.OnTimedOut(v);
  EXPECT_FALSE(rep.Suspected(v));
}

TEST(LeaderReputation, NeverSuspectsMoreThanMaxSuspects) {
  LeaderReputation rep(4, /*max_suspects=*/1, /*misses_to_suspect=*/1);
  rep.OnTimedOut(ValidatorIndex(0));
  rep.OnTimedOut(ValidatorIndex(1));
  EXPECT_TRUE(rep.Suspected(ValidatorIndex(0)));
  EXPECT_FALSE(rep.Suspected(ValidatorIndex(1)));
  EXPECT_EQ(rep.WaitMs(ValidatorIndex(1), 300), 300u);
  // Once the first is cleared, the next miss of the other suspects it.
  rep.OnCurrent(ValidatorIndex(0));
  rep.OnTimedOut(ValidatorIndex(1));
  EXPECT_TRUE(rep.Suspected(ValidatorIndex(1)));
  EXPECT_EQ(rep.suspects(), 1u);
}

TEST(LeaderReputation, ZeroMissesToSuspectAlwaysWaits) {
  LeaderReputation rep(4, 1, /*misses_to_suspect=*/0);
  for (int i = 0; i < 10; ++i) rep.OnTimedOut(ValidatorIndex(3));
  EXPECT_FALSE(rep.Suspected(ValidatorIndex(3)));
  EXPECT_EQ(rep.WaitMs(ValidatorIndex(3), 300), 300u);
}

}  // namespace
}  // namespace gridledger::consensus
