// The load generator's in-doubt bookkeeping (tools/loadgen/validator_epochs.h):
// an acknowledgement stamped before its validator's restart or broken
// connection is in doubt; one stamped after, or from another validator, is not.
#include "tools/loadgen/validator_epochs.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gridledger::loadgen {
namespace {

TEST(ValidatorEpochs, IsShapedLikeTheAddressesPerSlice) {
  const std::vector<std::vector<std::string>> addresses{{"a:1", "b:1", "c:1"}, {}, {"d:1"}};
  EXPECT_EQ(ValidatorEpochs::ShapeOf(addresses), (std::vector<uint32_t>{3, 0, 1}));
  ValidatorEpochs epochs(ValidatorEpochs::ShapeOf(addresses));
  EXPECT_EQ(epochs.validators_per_slice(), (std::vector<uint32_t>{3, 0, 1}));
  EXPECT_EQ(epochs.Stamp(2, 0), 0u);
}

TEST(ValidatorEpochs, AckBeforeARestartIsInDoubtAndOnlyForThatValidator) {
  ValidatorEpochs epochs({4, 3});
  const uint64_t victim = epochs.Stamp(1, 2);
  const uint64_t same_index_other_slice = epochs.Stamp(0, 2);
  const uint64_t neighbour = epochs.Stamp(1, 1);
  EXPECT_FALSE(epochs.InDoubt(1, 2, victim));

  epochs.MarkRestarted(1, 2);  // killed and wiped with no message in flight

  EXPECT_TRUE(epochs.InDoubt(1, 2, victim));
  EXPECT_FALSE(epochs.InDoubt(0, 2, same_index_other_slice));
  EXPECT_FALSE(epochs.InDoubt(1, 1, neighbour));
  // Acknowledged by the restarted validator: durable in its new store.
  EXPECT_FALSE(epochs.InDoubt(1, 2, epochs.Stamp(1, 2)));
}

TEST(ValidatorEpochs, ABrokenConnectionAndARestartBothCount) {
  ValidatorEpochs epochs({4});
  const uint64_t before = epochs.Stamp(0, 3);
  epochs.MarkConnectionBroke(0, 3);
  const uint64_t between = epochs.Stamp(0, 3);
  EXPECT_TRUE(epochs.InDoubt(0, 3, before));
  EXPECT_FALSE(epochs.InDoubt(0, 3, between));
  epochs.MarkRestarted(0, 3);
  EXPECT_TRUE(epochs.InDoubt(0, 3, before));
  EXPECT_TRUE(epochs.InDoubt(0, 3, between));
}

// The harness marks from its fault thread while the run's threads stamp and
// record breaks: no mark is lost.
TEST(ValidatorEpochs, MarksFromManyThreadsAllCount) {
  ValidatorEpochs epochs({2});
  constexpr int kThreads = 4;
  constexpr int kMarksPerThread = 1000;
  const uint64_t start = epochs.Stamp(0, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&epochs, t] {
      for (int i = 0; i < kMarksPerThread; ++i) {
        if (t % 2 == 0) {
          epochs.MarkRestarted(0, 1);
        } else {
          epochs.MarkConnectionBroke(0, 1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(epochs.Stamp(0, 1) - start, uint64_t{kThreads} * kMarksPerThread);
  EXPECT_EQ(epochs.Stamp(0, 0), 0u);
}

}  // namespace
}  // namespace gridledger::loadgen
