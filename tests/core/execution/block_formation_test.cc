// Block formation (core/execution/block_formation.h): commit order, receipt
// imports apart, undecodable entries skipped and counted, first occurrence
// of each id, each sender in nonce order.
#include "core/execution/block_formation.h"

#include <memory>
#include <vector>

#include "core/execution/receipt.h"
#include "gtest/gtest.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger {
namespace {

using testing::TestKey;
using testing::Transfer;

constexpr SliceId kFormSlice(0);

BlockTx NonceTx(uint8_t sender, uint64_t nonce, uint8_t tag) {
  BlockTx b;
  b.tx.sender.bytes.fill(sender);
  b.tx.nonce = Nonce(nonce);
  b.id.bytes.fill(tag);
  return b;
}

std::vector<uint8_t> FormedTags(const std::vector<BlockTx>& block) {
  std::vector<uint8_t> out;
  for (const BlockTx& b : block) out.push_back(b.id.bytes[0]);
  return out;
}

std::shared_ptr<const consensus::Batch> FormBatch(std::vector<Bytes> txs) {
  auto batch = std::make_shared<consensus::Batch>();
  batch->transactions = consensus::TxList(txs);
  return batch;
}

Bytes FormTransferBytes(uint64_t sender, uint64_t nonce) {
  return Transfer(kFormSlice, TestKey(sender), nonce, AccountRef{kFormSlice, TestKey(99)}, 1).raw;
}

TEST(OrderSendersByNonceTest, SortsEachSenderWithinItsOwnPositions) {
  // Sender 1 at positions 0, 2, 4 with nonces 7, 5, 6; sender 2 at 1, 3 with 1, 0.
  std::vector<BlockTx> block = {NonceTx(1, 7, 10), NonceTx(2, 1, 20), NonceTx(1, 5, 11),
                                NonceTx(2, 0, 21), NonceTx(1, 6, 12), NonceTx(3, 9, 30)};
  OrderSendersByNonce(&block);
  EXPECT_EQ(FormedTags(block), (std::vector<uint8_t>{11, 21, 12, 20, 10, 30}));
}

TEST(OrderSendersByNonceTest, EqualNoncesKeepCommittedOrder) {
  std::vector<BlockTx> block = {NonceTx(1, 3, 1), NonceTx(1, 2, 2), NonceTx(1, 3, 3),
                                NonceTx(1, 2, 4)};
  OrderSendersByNonce(&block);
  EXPECT_EQ(FormedTags(block), (std::vector<uint8_t>{2, 4, 1, 3}));
}

TEST(FormBlockTest, KeepsCommitOrderAcrossBatchesAndTheFirstOccurrenceOfEachId) {
  const Bytes a = FormTransferBytes(1, 0);
  const Bytes b = FormTransferBytes(2, 0);
  const Bytes c = FormTransferBytes(3, 0);
  const std::vector<std::shared_ptr<const consensus::Batch>> batches = {FormBatch({a, b}),
                                                                        FormBatch({b, c, a})};
  const FormedBlock formed = FormBlock(batches);
  ASSERT_EQ(formed.txs.size(), 3u);
  EXPECT_EQ(formed.txs[0].raw, a);
  EXPECT_EQ(formed.txs[1].raw, b);
  EXPECT_EQ(formed.txs[2].raw, c);
  EXPECT_EQ(formed.txs[0].id, ComputeTxId(a));
  EXPECT_EQ(formed.txs[2].tx.sender, TestKey(3));
  EXPECT_EQ(formed.undecodable, 0u);
  EXPECT_TRUE(formed.imports.empty());
}

TEST(FormBlockTest, SkipsAndCountsWhatDoesNotDecode) {
  const Bytes good = FormTransferBytes(1, 0);
  Bytes truncated = FormTransferBytes(2, 0);
  truncated.pop_back();
  const Bytes garbage = {0x01, 0x02, 0x03};
  const std::vector<std::shared_ptr<const consensus::Batch>> batches = {
      FormBatch({truncated, good, garbage, truncated})};
  const FormedBlock formed = FormBlock(batches);
  ASSERT_EQ(formed.txs.size(), 1u);
  EXPECT_EQ(formed.txs[0].raw, good);
  // Each occurrence is one skipped entry: an undecodable entry has no id to
  // de-duplicate by.
  EXPECT_EQ(formed.undecodable, 3u);
}

TEST(FormBlockTest, ReceiptImportsGoApartOncePerId) {
  const Bytes transfer = FormTransferBytes(1, 0);
  // Block formation only routes an import by its tag; execution decodes it.
  const Bytes import = {kReceiptImportTag, 0x10, 0x20};
  const Bytes other_import = {kReceiptImportTag, 0x30};
  const std::vector<std::shared_ptr<const consensus::Batch>> batches = {
      FormBatch({import, transfer}), FormBatch({other_import, import})};
  const FormedBlock formed = FormBlock(batches);
  ASSERT_EQ(formed.txs.size(), 1u);
  EXPECT_EQ(formed.txs[0].raw, transfer);
  ASSERT_EQ(formed.imports.size(), 2u);
  EXPECT_EQ(formed.imports[0], import);
  EXPECT_EQ(formed.imports[1], other_import);
  EXPECT_EQ(formed.import_ids, (std::vector<TxId>{ComputeTxId(import), ComputeTxId(other_import)}));
  EXPECT_EQ(formed.undecodable, 0u);
}

TEST(FormBlockTest, OrdersEachSendersTransactionsByNonce) {
  // One sender's nonces 1, 0 in two batches (acks reorder batches), another's in between.
  const Bytes one = FormTransferBytes(1, 1);
  const Bytes other = FormTransferBytes(2, 0);
  const Bytes zero = FormTransferBytes(1, 0);
  const std::vector<std::shared_ptr<const consensus::Batch>> batches = {FormBatch({one, other}),
                                                                        FormBatch({zero})};
  const FormedBlock formed = FormBlock(batches);
  ASSERT_EQ(formed.txs.size(), 3u);
  EXPECT_EQ(formed.txs[0].raw, zero);
  EXPECT_EQ(formed.txs[1].raw, other);
  EXPECT_EQ(formed.txs[2].raw, one);
}

}  // namespace
}  // namespace gridledger
