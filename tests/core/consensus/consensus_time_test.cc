// Consensus time: the header timestamp is signed (encoding and digest), and
// the anchor's time, the median of its parents' timestamps, stays between the
// honest timestamps whatever f Byzantine authors put in theirs.
#include <cstdint>
#include <random>
#include <vector>

#include "core/consensus/consensus_time.h"
#include "core/consensus/messages.h"
#include "gtest/gtest.h"

namespace gridledger::consensus {
namespace {

TEST(ConsensusTimeTest, HeaderTimestampIsEncodedAndInTheDigest) {
  Header h;
  h.slice = SliceId(0);
  h.author = ValidatorIndex(1);
  h.round = Round(3);
  h.timestamp_ms = 1'700'000'000'123;
  const Bytes bytes = EncodeMessage(h);
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<Header>(*decoded).timestamp_ms, h.timestamp_ms);
  Header later = h;
  later.timestamp_ms += 1;
  EXPECT_NE(HeaderDigest(h), HeaderDigest(later));
  // A header cut before its timestamp is rejected, not misread.
  Bytes truncated(bytes.begin(), bytes.end() - 64 - 8);
  EXPECT_FALSE(DecodeMessage(truncated).ok());
}

TEST(ConsensusTimeTest, MedianIsTheUpperMiddleElement) {
  EXPECT_EQ(MedianMs({}), 0u);
  EXPECT_EQ(MedianMs({5}), 5u);
  EXPECT_EQ(MedianMs({9, 1, 5}), 5u);
  EXPECT_EQ(MedianMs({4, 1, 3, 2}), 3u);
}

// n = 3f + 1 validators; an anchor has between 2f + 1 and n parents, of which
// up to f are Byzantine with any timestamp (0, UINT64_MAX, or in between).
TEST(ConsensusTimeTest, FByzantineTimestampsCannotMoveTheMedianOutsideTheHonestRange) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20'000; ++trial) {
    const uint64_t f = 1 + rng() % 5;
    const uint64_t n = 3 * f + 1;
    const uint64_t parents = 2 * f + 1 + rng() % (n - 2 * f);
    const uint64_t byzantine = rng() % (f + 1);
    std::vector<uint64_t> times;
    uint64_t honest_min = UINT64_MAX;
    uint64_t honest_max = 0;
    for (uint64_t i = 0; i < parents - byzantine; ++i) {
      const uint64_t t = 1'000'000 + rng() % 5'000;
      honest_min = std::min(honest_min, t);
      honest_max = std::max(honest_max, t);
      times.push_back(t);
    }
    for (uint64_t i = 0; i < byzantine; ++i) {
      const uint64_t pick = rng() % 3;
      times.push_back(pick == 0 ? 0 : pick == 1 ? UINT64_MAX : rng());
    }
    std::shuffle(times.begin(), times.end(), rng);
    const uint64_t median = MedianMs(times);
    ASSERT_GE(median, honest_min) << "trial " << trial;
    ASSERT_LE(median, honest_max) << "trial " << trial;
  }
}

}  // namespace
}  // namespace gridledger::consensus
