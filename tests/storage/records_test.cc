// The fixed-size keys and records keep their byte layout: they are hashed
// into the state root and read by stores written before, so an encoder that
// builds them differently (an array instead of a ByteWriter) must give the
// same bytes.
#include "storage/records.h"

#include <string>

#include "gtest/gtest.h"

namespace gridledger::storage {
namespace {

template <typename Container>
std::string HexOf(const Container& bytes) {
  return HexEncode(ByteSpan(bytes.data(), bytes.size()));
}

PublicKey KeyOfBytes(uint8_t first) {
  PublicKey key;
  for (size_t i = 0; i < key.size(); ++i) key.bytes[i] = static_cast<uint8_t>(first + i);
  return key;
}

TEST(RecordsTest, FixedKeysAndRecordsKeepTheirByteLayout) {
  const PublicKey key = KeyOfBytes(0x10);
  const std::string key_hex = key.Hex();
  const AccountRef account{SliceId(0x01020304), key};
  EXPECT_EQ(HexOf(EncodeAccountKey(account)), "01020304" + key_hex);
  EXPECT_EQ(HexOf(EncodeAccountRecord(AccountState{Amount(0x0102030405060708), Nonce(9)})),
            "01" "0102030405060708" "0000000000000009");
  EXPECT_EQ(HexOf(EncodeCommitKey(0x0a0b0c0d0e0f1011)), "0a0b0c0d0e0f1011");
  const auto account_key = EncodeAccountKey(account);
  EXPECT_EQ(HexOf(EncodeAcctLogKey(7, account_key)), "0000000000000007" "01020304" + key_hex);
  TxId id;
  for (size_t i = 0; i < id.size(); ++i) id.bytes[i] = static_cast<uint8_t>(0xa0 + i);
  EXPECT_EQ(HexOf(EncodeTxLogKey(uint64_t{1} << 56, id)), "0100000000000000" + id.Hex());

  // And they decode back.
  EXPECT_EQ(*DecodeAccountKey(EncodeAccountKey(account)), account);
  EXPECT_EQ(*DecodeCommitKey(EncodeCommitKey(42)), 42u);
  const auto log_key = *DecodeTxLogKey(EncodeTxLogKey(5, id));
  EXPECT_EQ(log_key.first, 5u);
  EXPECT_EQ(log_key.second, id);
}

TEST(RecordsTest, ARecordViewPointsIntoTheRecordAndOwnsTheSameAsTheDecoder) {
  StoredTx tx;
  tx.code = TxResultCode::kInsufficientBalance;
  tx.reason = "balance 3 below amount 5";
  tx.commit_sequence = 11;
  tx.index = 4;
  tx.raw = Bytes{1, 2, 3, 4, 5};
  const Bytes record = *EncodeTxRecord(tx);
  const absl::StatusOr<StoredTxView> view = DecodeTxRecordView(record);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->reason, tx.reason);
  EXPECT_GE(reinterpret_cast<const uint8_t*>(view->reason.data()), record.data());
  EXPECT_EQ(view->raw.data() + view->raw.size(), record.data() + record.size());
  EXPECT_EQ(view->Own(), tx);
  EXPECT_EQ(*DecodeTxRecord(record), tx);

  // Its checks are the decoder's: a success with a reason is corrupt.
  Bytes bad = record;
  bad[1] = static_cast<uint8_t>(TxStatus::kCommitted);
  bad[2] = static_cast<uint8_t>(TxResultCode::kSuccess);
  EXPECT_EQ(DecodeTxRecordView(bad).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTxRecord(bad).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gridledger::storage
