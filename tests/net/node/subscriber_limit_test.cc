#include "net/node/subscriber_limit.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

TEST(SubscriberLimitTest, RefusesPastTheBoundAndFreesOnRelease) {
  SubscriberLimit limit(3);
  std::vector<SubscriberLimit::Slot> held;
  for (int i = 0; i < 3; ++i) {
    std::optional<SubscriberLimit::Slot> slot = limit.TryAcquire();
    ASSERT_TRUE(slot.has_value()) << i;
    held.push_back(std::move(*slot));
  }
  EXPECT_EQ(limit.active(), 3u);
  EXPECT_FALSE(limit.TryAcquire().has_value());
  held.pop_back();  // one subscriber leaves
  EXPECT_EQ(limit.active(), 2u);
  std::optional<SubscriberLimit::Slot> again = limit.TryAcquire();
  EXPECT_TRUE(again.has_value());
  EXPECT_EQ(limit.active(), 3u);
}

}  // namespace
}  // namespace gridledger::node
