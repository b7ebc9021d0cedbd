#include "core/tx/codec.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/xonly_key_cache.h"
#include "core/crypto/sha256.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

const KeyPair& Sender() {
  static const KeyPair kp = KeyPair::FromSeed(1);
  return kp;
}
PublicKey Other(uint64_t seed) { return KeyPair::FromSeed(100 + seed).public_key(); }

Transaction Envelope(TxBody body) {
  Transaction tx;
  tx.slice = SliceId(3);
  tx.nonce = Nonce(42);
  tx.sender = Sender().public_key();
  tx.body = std::move(body);
  return tx;
}

// The network these tests sign for, and another one.
const Digest kChain = Sha256(Bytes{'t', 'e', 's', 't'});
const Digest kOtherChain = Sha256(Bytes{'o', 't', 'h', 'e', 'r'});

Transaction Signed(Transaction tx) {
  SignTransaction(&tx, Sender(), kChain);
  return tx;
}

// One valid, signed transaction of each kind.
std::vector<Transaction> OneOfEachKind() {
  TxId order_id = Sha256(Bytes{1, 2, 3});
  return {
      Signed(Envelope(TransferBody{AccountRef{SliceId(4), Other(1)}, Amount(1'500'000)})),
      Signed(Envelope(OrderBody{OrderSide::kBid, IntervalId(1'900'000), EnergyWh(2500),
                                PricePerKwh(310'000)})),
      Signed(Envelope(CancelBody{order_id})),
      Signed(Envelope(MeterReadingBody{Other(2), IntervalId(1'900'001), EnergyWh(1200),
                                       EnergyWh(0)})),
      Signed(Envelope(RegisterBody{Other(3), AccountRole::kMeter, Other(4)})),
      Signed(Envelope(SetTariffBody{PricePerKwh(50'000), PricePerKwh(400'000),
                                    PricePerKwh(20'000)})),
  };
}

// Asserts a reject: InvalidArgument, message starting with `cls` and naming `field`.
void ExpectRejectWith(const absl::StatusOr<Transaction>& decoded, absl::string_view cls,
                      absl::string_view field) {
  ASSERT_FALSE(decoded.ok()) << "accepted: " << DescribeTransaction(*decoded);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(decoded.status().message());
  EXPECT_TRUE(absl::StartsWith(msg, cls)) << "message: " << msg << " expected class " << cls;
  EXPECT_TRUE(absl::StrContains(msg, field)) << "message: " << msg << " expected field " << field;
}

void ExpectReject(ByteSpan bytes, absl::string_view cls, absl::string_view field) {
  SCOPED_TRACE(HexEncode(bytes));
  ExpectRejectWith(Decode(bytes), cls, field);
}

// Encodes tx (which may violate a value rule) and expects Decode and
// ValidateTransaction to reject it the same way.
void ExpectStructReject(const Transaction& tx, absl::string_view cls, absl::string_view field) {
  SCOPED_TRACE(DescribeTransaction(tx));
  ExpectReject(Encode(tx), cls, field);
  absl::Status status = ValidateTransaction(tx);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), field)) << status;
}

TEST(TxCodecTest, RoundTripEveryKind) {
  std::vector<Transaction> txs = OneOfEachKind();
  ASSERT_EQ(txs.size(), 6u);
  std::vector<Bytes> encoded;
  for (size_t i = 0; i < txs.size(); ++i) {
    const Transaction& tx = txs[i];
    SCOPED_TRACE(TxKindName(tx.kind()));
    EXPECT_EQ(static_cast<size_t>(tx.kind()), i + 1);
    Bytes bytes = Encode(tx);
    EXPECT_EQ(bytes.size(), TxEncodedBytes(tx.kind()));
    EXPECT_LE(bytes.size(), kTxMaxBytes);
    Bytes unsigned_bytes = EncodeUnsigned(tx);
    EXPECT_EQ(unsigned_bytes, Bytes(bytes.begin(), bytes.end() - kTxSignatureBytes));

    auto decoded = Decode(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, tx);
    EXPECT_EQ(Encode(*decoded), bytes);
    EXPECT_TRUE(ValidateTransaction(tx).ok());
    EXPECT_TRUE(VerifyTransactionSignature(*decoded, kChain));
    EXPECT_EQ(TransactionId(*decoded), ComputeTxId(bytes));
    EXPECT_EQ(ComputeTxId(bytes), TaggedHash(kTagTxId, bytes));
    EXPECT_EQ(SigningHash(kChain, unsigned_bytes),
              TaggedHash(absl::StrCat(kTagTxSign, "/", kChain.Hex()), unsigned_bytes));
    // Deterministic signing: signing again gives the same id.
    Transaction again = tx;
    again.signature = Signature();
    SignTransaction(&again, Sender(), kChain);
    EXPECT_EQ(TransactionId(again), TransactionId(tx));
    encoded.push_back(std::move(bytes));
  }

  // The envelope layout is what the batch verifier (and the GPU) parse.
  CpuBatchVerifier verifier(2);
  std::vector<ByteSpan> spans(encoded.begin(), encoded.end());
  std::vector<Digest> ids(spans.size());
  std::vector<uint8_t> valid(spans.size());
  ASSERT_TRUE(
      verifier.VerifyTransactions(kChain, spans, absl::MakeSpan(ids), absl::MakeSpan(valid))
          .ok());
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(valid[i], 1) << i;
    EXPECT_EQ(ids[i], TransactionId(txs[i])) << i;
  }
}

// A transaction signed for one network is refused on every other: the chain
// id (genesis digest) is in the signing tag, the id still covers the bytes.
TEST(TxCodecSecurityTest, SignatureForAnotherNetworkDoesNotVerify) {
  CpuBatchVerifier verifier(1);
  for (const Transaction& tx : OneOfEachKind()) {
    SCOPED_TRACE(TxKindName(tx.kind()));
    EXPECT_TRUE(VerifyTransactionSignature(tx, kChain));
    EXPECT_FALSE(VerifyTransactionSignature(tx, kOtherChain));
    EXPECT_FALSE(VerifyTransactionSignature(tx, Digest()));
    const Bytes bytes = Encode(tx);
    std::vector<ByteSpan> spans{ByteSpan(bytes)};
    Digest id;
    uint8_t valid = 1;
    ASSERT_TRUE(verifier.VerifyTransactions(kOtherChain, spans, absl::MakeSpan(&id, 1),
                                            absl::MakeSpan(&valid, 1))
                    .ok());
    EXPECT_EQ(valid, 0);
    EXPECT_EQ(id, ComputeTxId(bytes));
    // Re-signed for the other network it verifies there and only there.
    Transaction other = tx;
    SignTransaction(&other, Sender(), kOtherChain);
    EXPECT_TRUE(VerifyTransactionSignature(other, kOtherChain));
    EXPECT_FALSE(VerifyTransactionSignature(other, kChain));
    EXPECT_NE(TransactionId(other), TransactionId(tx));
  }
}

TEST(TxCodecTest, SignTagNamesTheChain) {
  EXPECT_EQ(TxSignTag(kChain).view(), absl::StrCat("gridledger/tx/sign/", kChain.Hex()));
  EXPECT_EQ(TxSignTag(Digest()).view(),
            "gridledger/tx/sign/0000000000000000000000000000000000000000000000000000000000000000");
}

TEST(TxCodecTest, DecodeUnsignedRoundTripsAndIsStrict) {
  for (Transaction tx : OneOfEachKind()) {
    SCOPED_TRACE(TxKindName(tx.kind()));
    Bytes unsigned_bytes = EncodeUnsigned(tx);
    auto decoded = DecodeUnsigned(unsigned_bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    tx.signature = Signature();
    EXPECT_EQ(*decoded, tx);
    unsigned_bytes.push_back(0);
    ExpectRejectWith(DecodeUnsigned(unsigned_bytes), "trailing bytes: ", "body");
    unsigned_bytes.resize(unsigned_bytes.size() - 2);
    ExpectRejectWith(DecodeUnsigned(unsigned_bytes), "truncated: ", ".");
  }
  // A signed envelope is not an unsigned one, and vice versa.
  Bytes signed_bytes = Encode(OneOfEachKind()[0]);
  ExpectRejectWith(DecodeUnsigned(signed_bytes), "trailing bytes: ", "64 after TRANSFER body");
  ExpectReject(EncodeUnsigned(OneOfEachKind()[0]), "truncated: ", "signature");
}

TEST(TxCodecTest, TransferLayoutIsPinned) {
  Transaction tx = Envelope(TransferBody{AccountRef{SliceId(0x01020304), Other(1)},
                                         Amount(0x1122334455667788)});
  tx.slice = SliceId(0xa0b0c0d0);
  tx.nonce = Nonce(0x0102030405060708);
  std::string expected = absl::StrCat(
      "01", "01", "a0b0c0d0", "0102030405060708", Sender().public_key().Hex(),
      "01020304", Other(1).Hex(), "1122334455667788");
  EXPECT_EQ(HexEncode(EncodeUnsigned(tx)), expected);
  Bytes bytes = Encode(tx);
  EXPECT_EQ(PublicKey::FromSpan(ByteSpan(bytes).subspan(kTxSenderOffset, 32)), tx.sender);
  EXPECT_EQ(bytes.size(), kTxHeaderBytes + 44 + kTxSignatureBytes);
}

TEST(TxCodecTest, SignatureCoversEveryUnsignedByte) {
  Transaction tx = OneOfEachKind()[0];
  Bytes bytes = Encode(tx);
  Digest id;
  ASSERT_TRUE(VerifyTransactionEnvelope(kChain, bytes, &id));
  for (size_t i = 0; i < bytes.size() - kTxSignatureBytes; ++i) {
    Bytes changed = bytes;
    changed[i] ^= 0x01;
    EXPECT_FALSE(VerifyTransactionEnvelope(kChain, changed, &id)) << "byte " << i;
  }
}

TEST(TxCodecTest, KindNames) {
  EXPECT_EQ(TxKindName(TxKind::kMeterReading), "METER_READING");
  EXPECT_EQ(TxKindFromName("transfer"), TxKind::kTransfer);
  EXPECT_EQ(TxKindFromName("meter-reading"), TxKind::kMeterReading);
  EXPECT_EQ(TxKindFromName("SET_TARIFF"), TxKind::kSetTariff);
  EXPECT_EQ(TxKindFromName("bogus"), std::nullopt);
  EXPECT_EQ(TxKindFromName(""), std::nullopt);
}

TEST(TxCodecTest, DescribeNamesEveryField) {
  std::vector<Transaction> txs = OneOfEachKind();
  std::string text = DescribeTransaction(txs[0]);
  EXPECT_TRUE(absl::StrContains(text, "kind: TRANSFER\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "nonce: 42\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "transfer.to.slice: 4\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("transfer.to.key: ", Other(1).Hex()))) << text;
  EXPECT_TRUE(absl::StrContains(text, "transfer.amount: 1500000\n")) << text;
  text = DescribeTransaction(txs[1]);
  EXPECT_TRUE(absl::StrContains(text, "order.side: bid\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "order.limit_price: 310000\n")) << text;
  text = DescribeTransaction(txs[4]);
  EXPECT_TRUE(absl::StrContains(text, "register.role: meter\n")) << text;
  text = DescribeTransaction(txs[5]);
  EXPECT_TRUE(absl::StrContains(text, "set_tariff.shortfall_price: 400000\n")) << text;
}

// ---- malformed input, one test per class ---------------------------------------

TEST(TxCodecRejectTest, TooLarge) {
  Bytes bytes = Encode(OneOfEachKind()[0]);
  bytes.resize(kTxMaxBytes + 1, 0);
  ExpectReject(bytes, "too large: ", "257 bytes");
  bytes.resize(kTxMaxBytes);  // at the limit it is merely trailing bytes
  ExpectReject(bytes, "trailing bytes: ", "after signature");
}

TEST(TxCodecRejectTest, Truncated) {
  ExpectReject(Bytes{}, "truncated: ", "version");
  ExpectReject(Bytes{1}, "truncated: ", "kind");
  // Every proper prefix of every kind is truncated, naming the field it ends in.
  for (const Transaction& tx : OneOfEachKind()) {
    SCOPED_TRACE(TxKindName(tx.kind()));
    Bytes bytes = Encode(tx);
    for (size_t len = 2; len < bytes.size(); ++len) {
      auto decoded = Decode(ByteSpan(bytes.data(), len));
      ASSERT_FALSE(decoded.ok()) << len;
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(absl::StartsWith(decoded.status().message(), "truncated: "))
          << len << ": " << decoded.status();
    }
  }
  Bytes transfer = Encode(OneOfEachKind()[0]);
  ExpectReject(ByteSpan(transfer.data(), 5), "truncated: ", "slice");
  ExpectReject(ByteSpan(transfer.data(), 10), "truncated: ", "nonce");
  ExpectReject(ByteSpan(transfer.data(), 20), "truncated: ", "sender");
  ExpectReject(ByteSpan(transfer.data(), kTxHeaderBytes + 2), "truncated: ", "transfer.to.slice");
  ExpectReject(ByteSpan(transfer.data(), kTxHeaderBytes + 10), "truncated: ", "transfer.to.key");
  ExpectReject(ByteSpan(transfer.data(), kTxHeaderBytes + 40), "truncated: ",
               "transfer.amount needs 8 bytes, 4 left");
  ExpectReject(ByteSpan(transfer.data(), transfer.size() - 1), "truncated: ",
               "signature needs 64 bytes, 63 left");
  Bytes order = Encode(OneOfEachKind()[1]);
  ExpectReject(ByteSpan(order.data(), kTxHeaderBytes), "truncated: ", "order.side");
  Bytes reg = Encode(OneOfEachKind()[4]);
  ExpectReject(ByteSpan(reg.data(), kTxHeaderBytes + 32), "truncated: ", "register.role");
}

TEST(TxCodecRejectTest, TruncatedWinsOverOutOfRange) {
  Transaction tx = OneOfEachKind()[0];
  std::get<TransferBody>(tx.body).amount = Amount(0);
  Bytes bytes = Encode(tx);
  bytes.pop_back();
  ExpectReject(bytes, "truncated: ", "signature");
}

TEST(TxCodecRejectTest, TrailingBytes) {
  for (const Transaction& tx : OneOfEachKind()) {
    Bytes bytes = Encode(tx);
    bytes.push_back(0);
    ExpectReject(bytes, "trailing bytes: ", "1 after signature");
  }
}

TEST(TxCodecRejectTest, UnknownVersion) {
  Bytes bytes = Encode(OneOfEachKind()[0]);
  for (uint8_t version : {0, 2, 255}) {
    bytes[0] = version;
    ExpectReject(bytes, "unknown version: ", absl::StrCat(version));
  }
  ExpectReject(Bytes{0}, "unknown version: ", "0");
  Transaction tx = OneOfEachKind()[2];
  tx.version = 9;
  ExpectStructReject(tx, "unknown version: ", "9");
}

TEST(TxCodecRejectTest, UnknownKind) {
  Bytes bytes = Encode(OneOfEachKind()[0]);
  for (uint8_t kind : {0, 7, 200}) {
    bytes[1] = kind;
    ExpectReject(bytes, "unknown kind: ", absl::StrCat(kind));
  }
}

TEST(TxCodecRejectTest, OutOfRange) {
  std::vector<Transaction> txs = OneOfEachKind();
  PublicKey x_above_p;
  x_above_p.bytes.fill(0xff);  // x >= p: not a field element
  {
    Transaction tx = txs[0];
    std::get<TransferBody>(tx.body).amount = Amount(0);
    ExpectStructReject(tx, "out of range: ", "transfer.amount");
    tx = txs[0];
    std::get<TransferBody>(tx.body).to.key = x_above_p;
    ExpectStructReject(tx, "out of range: ", "transfer.to.key");
    std::get<TransferBody>(tx.body).to.key = PublicKey();  // x = 0: no curve point
    ExpectStructReject(tx, "out of range: ", "transfer.to.key");
  }
  {
    for (uint8_t side : {0, 3, 255}) {
      Transaction tx = txs[1];
      std::get<OrderBody>(tx.body).side = static_cast<OrderSide>(side);
      ExpectStructReject(tx, "out of range: ", "order.side");
    }
    Transaction tx = txs[1];
    std::get<OrderBody>(tx.body).energy = EnergyWh(0);
    ExpectStructReject(tx, "out of range: ", "order.energy_wh");
    std::get<OrderBody>(tx.body).energy = EnergyWh(kMaxEnergyWh + 1);
    ExpectStructReject(tx, "out of range: ", "order.energy_wh");
    tx = txs[1];
    std::get<OrderBody>(tx.body).interval = IntervalId(0);
    ExpectStructReject(tx, "out of range: ", "order.interval");
    tx = txs[1];
    std::get<OrderBody>(tx.body).limit_price = PricePerKwh(0);
    ExpectStructReject(tx, "out of range: ", "order.limit_price");
    std::get<OrderBody>(tx.body).limit_price = PricePerKwh(kMaxPricePerKwh + 1);
    ExpectStructReject(tx, "out of range: ", "order.limit_price");
    // The bounds themselves are accepted, and an ask may take any price.
    std::get<OrderBody>(tx.body) = OrderBody{OrderSide::kAsk, IntervalId(1),
                                             EnergyWh(kMaxEnergyWh), PricePerKwh(0)};
    EXPECT_TRUE(Decode(Encode(tx)).ok());
    std::get<OrderBody>(tx.body).limit_price = PricePerKwh(kMaxPricePerKwh);
    EXPECT_TRUE(Decode(Encode(tx)).ok());
  }
  {
    Transaction tx = txs[2];
    std::get<CancelBody>(tx.body).order_id = TxId();
    ExpectStructReject(tx, "out of range: ", "cancel.order_id");
  }
  {
    Transaction tx = txs[3];
    std::get<MeterReadingBody>(tx.body).interval = IntervalId(0);
    ExpectStructReject(tx, "out of range: ", "meter_reading.interval");
    tx = txs[3];
    std::get<MeterReadingBody>(tx.body).imported = EnergyWh(kMaxEnergyWh + 1);
    ExpectStructReject(tx, "out of range: ", "meter_reading.imported_wh");
    tx = txs[3];
    std::get<MeterReadingBody>(tx.body).exported = EnergyWh(kMaxEnergyWh + 1);
    ExpectStructReject(tx, "out of range: ", "meter_reading.exported_wh");
    tx = txs[3];
    std::get<MeterReadingBody>(tx.body).prosumer = x_above_p;
    ExpectStructReject(tx, "out of range: ", "meter_reading.prosumer");
    std::get<MeterReadingBody>(tx.body).prosumer = tx.sender;
    ExpectStructReject(tx, "out of range: ", "meter_reading.prosumer");
  }
  {
    for (uint8_t role : {0, 4, 255}) {
      Transaction tx = txs[4];
      auto& body = std::get<RegisterBody>(tx.body);
      body.role = static_cast<AccountRole>(role);
      body.bound_prosumer = PublicKey();
      ExpectStructReject(tx, "out of range: ", "register.role");
    }
    Transaction tx = txs[4];
    std::get<RegisterBody>(tx.body).bound_prosumer = PublicKey();
    ExpectStructReject(tx, "out of range: ", "register.bound_prosumer");
    std::get<RegisterBody>(tx.body).bound_prosumer = x_above_p;
    ExpectStructReject(tx, "out of range: ", "register.bound_prosumer");
    std::get<RegisterBody>(tx.body).bound_prosumer = std::get<RegisterBody>(tx.body).account;
    ExpectStructReject(tx, "out of range: ", "register.bound_prosumer");
    tx = txs[4];
    std::get<RegisterBody>(tx.body).account = x_above_p;
    ExpectStructReject(tx, "out of range: ", "register.account");
  }
  {
    Transaction tx = txs[5];
    std::get<SetTariffBody>(tx.body).grid_fee = PricePerKwh(kMaxPricePerKwh + 1);
    ExpectStructReject(tx, "out of range: ", "set_tariff.grid_fee");
    tx = txs[5];
    std::get<SetTariffBody>(tx.body).imbalance_shortfall_price = PricePerKwh(kMaxPricePerKwh + 1);
    ExpectStructReject(tx, "out of range: ", "set_tariff.shortfall_price");
    tx = txs[5];
    std::get<SetTariffBody>(tx.body).imbalance_surplus_price = PricePerKwh(kMaxPricePerKwh + 1);
    ExpectStructReject(tx, "out of range: ", "set_tariff.surplus_price");
    std::get<SetTariffBody>(tx.body) = SetTariffBody{};  // all zero is a valid tariff
    EXPECT_TRUE(Decode(Encode(tx)).ok());
  }
}

// Execution decodes certified batches without the curve check of body keys
// (a parsed-key lookup each); every other rule still applies, and Decode,
// the gate before a batch is acknowledged, still checks.
TEST(TxCodecTest, DecodeCertifiedSkipsOnlyTheKeyCurveCheck) {
  const std::vector<Transaction> txs = OneOfEachKind();
  for (const Transaction& tx : txs) {
    const Bytes bytes = Encode(tx);
    absl::StatusOr<Transaction> certified = DecodeCertified(bytes);
    ASSERT_TRUE(certified.ok()) << certified.status();
    EXPECT_EQ(*certified, tx);
  }
  Transaction off_curve = txs[0];
  std::get<TransferBody>(off_curve.body).to.key = PublicKey();  // x = 0: no curve point
  const Bytes off_curve_bytes = Encode(off_curve);
  EXPECT_FALSE(Decode(off_curve_bytes).ok());
  const XOnlyKeyCacheStats before = ProcessXOnlyKeyCacheStats();
  absl::StatusOr<Transaction> certified = DecodeCertified(off_curve_bytes);
  const XOnlyKeyCacheStats after = ProcessXOnlyKeyCacheStats();
  ASSERT_TRUE(certified.ok()) << certified.status();
  EXPECT_EQ(after.hits + after.misses, before.hits + before.misses);  // no key lookup

  Transaction zero_amount = txs[0];
  std::get<TransferBody>(zero_amount.body).amount = Amount(0);
  ExpectRejectWith(DecodeCertified(Encode(zero_amount)), "out of range: ", "transfer.amount");
  Bytes trailing = Encode(txs[0]);
  trailing.push_back(0);
  ExpectRejectWith(DecodeCertified(trailing), "trailing bytes: ", "");
}

TEST(TxCodecRejectTest, NonCanonical) {
  std::vector<Transaction> txs = OneOfEachKind();
  for (AccountRole role : {AccountRole::kProsumer, AccountRole::kDso}) {
    Transaction tx = txs[4];
    std::get<RegisterBody>(tx.body).role = role;
    ExpectStructReject(tx, "non-canonical: ", "register.bound_prosumer");
    std::get<RegisterBody>(tx.body).bound_prosumer = PublicKey();
    EXPECT_TRUE(Decode(Encode(tx)).ok());
  }
  Transaction tx = txs[0];
  std::get<TransferBody>(tx.body).to = AccountRef{tx.slice, tx.sender};
  ExpectStructReject(tx, "non-canonical: ", "transfer.to");
  // The same key in another slice is another account.
  std::get<TransferBody>(tx.body).to.slice = tx.slice + 1;
  EXPECT_TRUE(Decode(Encode(tx)).ok());
}

// ---- randomized: mutations never crash and never break canonicality -------------

TEST(TxCodecFuzzTest, MutationsEitherRoundTripExactlyOrFailCleanly) {
  std::mt19937_64 rng(0x6c656467);  // fixed seed: failures replay
  const std::vector<Transaction> txs = OneOfEachKind();
  const char* kClasses[] = {"too large: ", "truncated: ", "trailing bytes: ", "unknown version: ",
                            "unknown kind: ", "out of range: ", "non-canonical: "};
  int accepted = 0;
  int rejected = 0;
  constexpr int kRoundsPerKind = 4000;
  for (const Transaction& tx : txs) {
    const Bytes original = Encode(tx);
    for (int round = 0; round < kRoundsPerKind; ++round) {
      Bytes bytes = original;
      const int mutations = 1 + static_cast<int>(rng() % 3);
      for (int m = 0; m < mutations; ++m) {
        switch (rng() % 6) {
          case 0:  // flip a bit
            if (!bytes.empty()) bytes[rng() % bytes.size()] ^= uint8_t{1} << (rng() % 8);
            break;
          case 1:  // set a byte to an edge value or a random one
            if (!bytes.empty()) {
              const uint8_t values[] = {0x00, 0x01, 0x02, 0x03, 0x07, 0xff,
                                        static_cast<uint8_t>(rng())};
              bytes[rng() % bytes.size()] = values[rng() % 7];
            }
            break;
          case 2:  // truncate
            bytes.resize(rng() % (bytes.size() + 1));
            break;
          case 3:  // append
            bytes.resize(bytes.size() + 1 + rng() % 120, static_cast<uint8_t>(rng()));
            break;
          case 4:  // zero a run (unsets fields: all-zero keys, amounts, ids)
            if (!bytes.empty()) {
              size_t at = rng() % bytes.size();
              size_t len = std::min<size_t>(bytes.size() - at, 1 + rng() % 40);
              std::fill_n(bytes.begin() + at, len, 0);
            }
            break;
          case 5:  // change the kind: the body is then read with another layout
            if (bytes.size() > 1) bytes[1] = static_cast<uint8_t>(1 + rng() % 6);
            break;
        }
      }
      auto decoded = Decode(bytes);
      if (decoded.ok()) {
        ++accepted;
        ASSERT_EQ(Encode(*decoded), bytes) << HexEncode(bytes);
        ASSERT_TRUE(ValidateTransaction(*decoded).ok());
      } else {
        ++rejected;
        ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
        bool known_class = false;
        for (const char* cls : kClasses) {
          known_class |= absl::StartsWith(decoded.status().message(), cls);
        }
        ASSERT_TRUE(known_class) << decoded.status();
      }
    }
  }
  // Both outcomes must occur, or the mutations are not exercising the decoder.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace gridledger
