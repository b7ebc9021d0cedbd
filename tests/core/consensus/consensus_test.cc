// Unit tests of the consensus core's rules (DESIGN.md §2).
#include <gtest/gtest.h>

#include "core/consensus/messages.h"

namespace gridledger::consensus {
namespace {

TEST(Messages, BatchRoundTripsThroughTheCodec) {
  Batch b{SliceId(3), ValidatorIndex(1), 7, {Bytes{1, 2, 3}, Bytes{4}}};
  auto decoded = DecodeMessage(EncodeMessage(Message(b)));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<Batch>(*decoded), b);
}

}  // namespace
}  // namespace gridledger::consensus
