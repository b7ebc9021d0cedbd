// CpuBatchVerifier against one-by-one verification: seeded random batches with
// planted faults, for several pool sizes.
#include "core/verify/cpu_batch_verifier.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

// secp256k1 field prime p and group order n, big-endian.
constexpr char kFieldPrimeHex[] =
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
constexpr char kGroupOrderHex[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

std::array<uint8_t, 32> Be256(const char* hex) {
  auto bytes = HexDecodeFixed<32>(hex, "constant");
  GL_CHECK(bytes.ok());
  return *bytes;
}

// Adds a small value to a big-endian 256-bit number (no overflow for our inputs).
std::array<uint8_t, 32> PlusSmall(std::array<uint8_t, 32> v, uint8_t add) {
  unsigned carry = add;
  for (int i = 31; i >= 0 && carry != 0; --i) {
    unsigned sum = v[i] + carry;
    v[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  return v;
}

enum class Fault {
  kNone,
  kKeyBit,
  kMessageBit,
  kRBit,
  kSBit,
  kSAtLeastN,   // s = n + k, k in [0, 3]
  kKeyAtLeastP, // x = p + k: not a field element
  kRAtLeastP,   // R.x = p + k
  kCount,
};

class Batch {
 public:
  explicit Batch(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 8; ++i) keys_.push_back(KeyPair::FromSeed(seed * 16 + i));
  }

  // `size` items, about a quarter of them with a planted fault.
  void Make(size_t size) {
    items_.clear();
    planted_.clear();
    for (size_t i = 0; i < size; ++i) {
      const KeyPair& kp = keys_[rng_() % keys_.size()];
      Bytes m;
      ByteWriter(&m).U64(rng_());
      VerifyItem item{kp.public_key(), Sha256(m), {}};
      item.signature = kp.Sign(item.message);
      Fault fault = Fault::kNone;
      if (rng_() % 4 == 0) {
        fault = static_cast<Fault>(1 + rng_() % (static_cast<int>(Fault::kCount) - 1));
        Plant(fault, &item);
      }
      items_.push_back(item);
      planted_.push_back(fault);
    }
  }

  const std::vector<VerifyItem>& items() const { return items_; }
  const std::vector<Fault>& planted() const { return planted_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  void Plant(Fault fault, VerifyItem* item) {
    const uint8_t bit = uint8_t{1} << (rng_() % 8);
    const uint8_t k = static_cast<uint8_t>(rng_() % 4);
    switch (fault) {
      case Fault::kKeyBit: item->key.bytes[rng_() % 32] ^= bit; break;
      case Fault::kMessageBit: item->message.bytes[rng_() % 32] ^= bit; break;
      case Fault::kRBit: item->signature.bytes[rng_() % 32] ^= bit; break;
      case Fault::kSBit: item->signature.bytes[32 + rng_() % 32] ^= bit; break;
      case Fault::kSAtLeastN: {
        auto s = PlusSmall(Be256(kGroupOrderHex), k);
        std::copy(s.begin(), s.end(), item->signature.bytes.begin() + 32);
        break;
      }
      case Fault::kKeyAtLeastP:
        item->key = PublicKey(PlusSmall(Be256(kFieldPrimeHex), k));
        break;
      case Fault::kRAtLeastP: {
        auto r = PlusSmall(Be256(kFieldPrimeHex), k);
        std::copy(r.begin(), r.end(), item->signature.bytes.begin());
        break;
      }
      case Fault::kNone:
      case Fault::kCount:
        GL_CHECK(false);
    }
  }

  std::mt19937_64 rng_;
  std::vector<KeyPair> keys_;
  std::vector<VerifyItem> items_;
  std::vector<Fault> planted_;
};

std::vector<uint8_t> OneByOne(const std::vector<VerifyItem>& items) {
  std::vector<uint8_t> out;
  for (const VerifyItem& it : items) {
    out.push_back(SchnorrVerify(it.key, it.message, it.signature) ? 1 : 0);
  }
  return out;
}

TEST(CpuBatchVerifierTest, ThreadCounts) {
  EXPECT_EQ(CpuBatchVerifier(1).threads(), 1);
  EXPECT_EQ(CpuBatchVerifier(2).threads(), 2);
  EXPECT_GE(CpuBatchVerifier(0).threads(), 1);
}

TEST(CpuBatchVerifierTest, RandomBatchesEqualOneByOne) {
  Batch batch(2024);
  std::vector<size_t> sizes = {0, 1, 2, 17, 1000};
  for (int i = 0; i < 3; ++i) sizes.push_back(3 + batch.rng()() % 300);
  std::vector<std::unique_ptr<CpuBatchVerifier>> verifiers;
  for (int threads : {1, 2, 0}) verifiers.push_back(std::make_unique<CpuBatchVerifier>(threads));
  int planted_total = 0;
  for (size_t size : sizes) {
    batch.Make(size);
    const std::vector<uint8_t> expected = OneByOne(batch.items());
    // The reference agrees with the plan: a fault always fails, the rest pass.
    for (size_t i = 0; i < size; ++i) {
      EXPECT_EQ(expected[i], batch.planted()[i] == Fault::kNone ? 1 : 0)
          << "size " << size << " item " << i << " fault "
          << static_cast<int>(batch.planted()[i]);
      planted_total += batch.planted()[i] != Fault::kNone;
    }
    for (const auto& verifier : verifiers) {
      std::vector<uint8_t> results(size, 0xee);
      ASSERT_TRUE(verifier->Verify(batch.items(), absl::MakeSpan(results)).ok());
      EXPECT_EQ(results, expected) << "size " << size << " threads " << verifier->threads();
    }
  }
  EXPECT_GT(planted_total, 200);
}

TEST(CpuBatchVerifierTest, EveryFaultKindIsRejected) {
  Batch batch(7);
  batch.Make(400);
  std::vector<int> seen(static_cast<int>(Fault::kCount), 0);
  for (Fault f : batch.planted()) ++seen[static_cast<int>(f)];
  for (int f = 0; f < static_cast<int>(Fault::kCount); ++f) {
    EXPECT_GT(seen[f], 0) << "fault kind " << f << " never planted";
  }
  CpuBatchVerifier verifier(2);
  std::vector<uint8_t> results(batch.items().size());
  ASSERT_TRUE(verifier.Verify(batch.items(), absl::MakeSpan(results)).ok());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i], batch.planted()[i] == Fault::kNone ? 1 : 0) << i;
  }
}

TEST(CpuBatchVerifierDeathTest, SizeMismatchIsMisuse) {
  CpuBatchVerifier verifier(1);
  std::vector<VerifyItem> items(2);
  std::vector<uint8_t> results(1);
  EXPECT_DEATH((void)verifier.Verify(items, absl::MakeSpan(results)), "items.size");
}

// ---- transaction envelopes ------------------------------------------------------

enum class EnvelopeFault { kNone, kBodyByte, kSenderByte, kSignatureByte, kTooShort, kCount };

TEST(CpuBatchVerifierTest, VerifyTransactionsEqualsOneByOne) {
  const Digest chain_id = Sha256(Bytes{'c', 'p', 'u'});
  std::mt19937_64 rng(99);
  std::vector<KeyPair> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(KeyPair::FromSeed(500 + i));
  const KeyPair recipient = KeyPair::FromSeed(600);

  std::vector<Bytes> envelopes;
  std::vector<EnvelopeFault> planted;
  for (int i = 0; i < 300; ++i) {
    const KeyPair& kp = keys[rng() % keys.size()];
    Transaction tx;
    tx.slice = SliceId(static_cast<uint32_t>(rng() % 4));
    tx.nonce = Nonce(i + 1);
    tx.sender = kp.public_key();
    tx.body = TransferBody{AccountRef{SliceId(1), recipient.public_key()}, Amount(1 + rng() % 1000)};
    SignTransaction(&tx, kp, chain_id);
    Bytes bytes = Encode(tx);
    auto fault = static_cast<EnvelopeFault>(rng() % static_cast<int>(EnvelopeFault::kCount));
    const uint8_t bit = uint8_t{1} << (rng() % 8);
    switch (fault) {
      case EnvelopeFault::kBodyByte:
        bytes[kTxHeaderBytes + rng() % TxBodyBytes(TxKind::kTransfer)] ^= bit;
        break;
      case EnvelopeFault::kSenderByte:
        bytes[kTxSenderOffset + rng() % 32] ^= bit;
        break;
      case EnvelopeFault::kSignatureByte:
        bytes[bytes.size() - 1 - rng() % kTxSignatureBytes] ^= bit;
        break;
      case EnvelopeFault::kTooShort:
        // Shorter than header + signature, down to empty.
        bytes.resize(rng() % (kTxHeaderBytes + kTxSignatureBytes));
        break;
      case EnvelopeFault::kNone:
      case EnvelopeFault::kCount:
        break;
    }
    envelopes.push_back(std::move(bytes));
    planted.push_back(fault);
  }
  // Edge lengths: exactly one byte short of the minimum, and empty.
  envelopes.push_back(Bytes(kTxHeaderBytes + kTxSignatureBytes - 1, 0x5a));
  planted.push_back(EnvelopeFault::kTooShort);
  envelopes.push_back(Bytes{});
  planted.push_back(EnvelopeFault::kTooShort);

  std::vector<ByteSpan> spans(envelopes.begin(), envelopes.end());
  std::vector<Digest> expected_ids(spans.size());
  std::vector<uint8_t> expected_valid(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    expected_valid[i] = VerifyTransactionEnvelope(chain_id, spans[i], &expected_ids[i]) ? 1 : 0;
    EXPECT_EQ(expected_ids[i], ComputeTxId(spans[i])) << i;
    EXPECT_EQ(expected_valid[i], planted[i] == EnvelopeFault::kNone ? 1 : 0)
        << i << " fault " << static_cast<int>(planted[i]);
  }
  for (int threads : {1, 2, 0}) {
    CpuBatchVerifier verifier(threads);
    std::vector<Digest> ids(spans.size());
    std::vector<uint8_t> valid(spans.size(), 0xee);
    ASSERT_TRUE(
        verifier.VerifyTransactions(chain_id, spans, absl::MakeSpan(ids), absl::MakeSpan(valid))
            .ok());
    EXPECT_EQ(valid, expected_valid) << "threads " << threads;
    EXPECT_EQ(ids, expected_ids) << "threads " << threads;
  }
  // And an empty batch.
  CpuBatchVerifier verifier(2);
  EXPECT_TRUE(verifier.VerifyTransactions(chain_id, {}, {}, {}).ok());
}

}  // namespace
}  // namespace gridledger
