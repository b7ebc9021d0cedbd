#include "gtest/gtest.h"
#include "net/node/commit_executor.h"

namespace gridledger::node {
namespace {

BlockTx Tx(uint8_t sender, uint64_t nonce, uint8_t tag) {
  BlockTx b;
  b.tx.sender.bytes.fill(sender);
  b.tx.nonce = Nonce(nonce);
  b.id.bytes.fill(tag);
  return b;
}

std::vector<uint8_t> Tags(const std::vector<BlockTx>& block) {
  std::vector<uint8_t> out;
  for (const BlockTx& b : block) out.push_back(b.id.bytes[0]);
  return out;
}

TEST(OrderSendersByNonceTest, SortsEachSenderWithinItsOwnPositions) {
  // Sender 1 at positions 0, 2, 4 with nonces 7, 5, 6; sender 2 at 1, 3 with 1, 0.
  std::vector<BlockTx> block = {Tx(1, 7, 10), Tx(2, 1, 20), Tx(1, 5, 11), Tx(2, 0, 21),
                                Tx(1, 6, 12), Tx(3, 9, 30)};
  OrderSendersByNonce(&block);
  EXPECT_EQ(Tags(block), (std::vector<uint8_t>{11, 21, 12, 20, 10, 30}));
}

TEST(OrderSendersByNonceTest, EqualNoncesKeepCommittedOrder) {
  std::vector<BlockTx> block = {Tx(1, 3, 1), Tx(1, 2, 2), Tx(1, 3, 3), Tx(1, 2, 4)};
  OrderSendersByNonce(&block);
  EXPECT_EQ(Tags(block), (std::vector<uint8_t>{2, 4, 1, 3}));
}

}  // namespace
}  // namespace gridledger::node
