// TxList (core/consensus/tx_list.h): a batch's transactions in one buffer.
// The batch wire format stays byte-identical (pinned here), decoding stays
// strict, and two lists are equal only with the same split.
#include "core/consensus/tx_list.h"

#include <vector>

#include "absl/strings/match.h"
#include "core/consensus/messages.h"
#include "gtest/gtest.h"

namespace gridledger::consensus {
namespace {

TEST(TxListTest, HoldsEachTransactionInOrder) {
  TxList list;
  EXPECT_TRUE(list.empty());
  list.push_back(Bytes{1, 2, 3});
  list.push_back(Bytes{});
  list.push_back(Bytes{4});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.payload_bytes(), 4u);
  EXPECT_EQ(Bytes(list[0].begin(), list[0].end()), (Bytes{1, 2, 3}));
  EXPECT_TRUE(list[1].empty());
  EXPECT_EQ(Bytes(list.back().begin(), list.back().end()), Bytes{4});
  std::vector<Bytes> seen;
  for (ByteSpan tx : list) seen.emplace_back(tx.begin(), tx.end());
  EXPECT_EQ(seen, (std::vector<Bytes>{{1, 2, 3}, {}, {4}}));
  EXPECT_EQ(list.ToVector(), seen);
  EXPECT_EQ(TxList(seen), list);
}

TEST(TxListTest, EqualOnlyWithTheSameSplit) {
  EXPECT_EQ((TxList{{1, 2}, {3}}), (TxList{{1, 2}, {3}}));
  EXPECT_NE((TxList{{1, 2}, {3}}), (TxList{{1}, {2, 3}}));
  EXPECT_NE((TxList{{1, 2, 3}}), (TxList{{1, 2}, {3}}));
}

TEST(TxListTest, BatchWireFormatIsUnchanged) {
  const Batch batch{SliceId(1), ValidatorIndex(2), 3, TxList{{0xaa, 0xbb}, {0xcc}}};
  Bytes encoded;
  ByteWriter w(&encoded);
  EncodeBatch(batch, w);
  const Bytes expected = {0, 0, 0, 1,  0, 0, 0, 2,  0, 0, 0, 0, 0, 0, 0, 3,  0, 0, 0, 2,
                          0, 0, 0, 2,  0xaa, 0xbb,  0, 0, 0, 1,  0xcc};
  EXPECT_EQ(encoded, expected);
  EXPECT_EQ(BatchEncodedBytes(batch), expected.size());
  EXPECT_EQ(BatchDigest(batch), BatchDigestOfEncoding(expected));
  ByteReader r(expected);
  auto decoded = DecodeBatch(r);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, batch);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(TxListTest, BatchDecodingStaysStrict) {
  const Batch batch{SliceId(1), ValidatorIndex(2), 3, TxList{{0xaa, 0xbb}, {0xcc}}};
  Bytes encoded;
  ByteWriter w(&encoded);
  EncodeBatch(batch, w);
  // The second transaction cut short: refused, naming the field.
  Bytes cut(encoded.begin(), encoded.end() - 1);
  ByteReader short_reader(cut);
  auto refused = DecodeBatch(short_reader);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "batch.transaction"))
      << refused.status();
  // A transaction over kMaxTransactionBytes.
  Bytes big;
  ByteWriter bw(&big);
  EncodeBatch(Batch{SliceId(1), ValidatorIndex(2), 3,
                    TxList{Bytes(kMaxTransactionBytes + 1, 7)}},
              bw);
  ByteReader big_reader(big);
  EXPECT_FALSE(DecodeBatch(big_reader).ok());
  // A count over kMaxBatchTransactions, before any transaction is read.
  Bytes many = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
  ByteReader many_reader(many);
  auto too_many = DecodeBatch(many_reader);
  ASSERT_FALSE(too_many.ok());
  EXPECT_TRUE(absl::StrContains(too_many.status().message(), "batch.transactions"))
      << too_many.status();
}

}  // namespace
}  // namespace gridledger::consensus
