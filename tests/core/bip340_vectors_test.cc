// The official BIP-340 vectors (32-byte messages) against our libsecp256k1
// wrappers and the CPU batch verifier.
#include <cstring>
#include <string>
#include <vector>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "tests/testdata/bip340_vectors.h"

namespace gridledger {
namespace {

using testdata::Bip340Vector;
using testdata::kBip340Vectors;

template <typename Fixed>
Fixed FromHex(const char* hex, const char* field) {
  auto bytes = HexDecodeFixed<Fixed::kSize>(hex, field);
  GL_CHECK_MSG(bytes.ok(), "bad hex in bip340_vectors.h");
  return Fixed(*bytes);
}

VerifyItem ItemOf(const Bip340Vector& v) {
  return VerifyItem{FromHex<PublicKey>(v.pubkey_hex, "pubkey"),
                    FromHex<Digest>(v.msg_hex, "msg"),
                    FromHex<Signature>(v.sig_hex, "sig")};
}

TEST(Bip340VectorsTest, TableIsComplete) {
  ASSERT_EQ(kBip340Vectors.size(), 15u);
  int valid = 0;
  for (size_t i = 0; i < kBip340Vectors.size(); ++i) {
    EXPECT_EQ(kBip340Vectors[i].index, static_cast<int>(i));
    valid += kBip340Vectors[i].expected_valid ? 1 : 0;
  }
  EXPECT_EQ(valid, 5);  // vectors 0-4 verify, 5-14 do not
}

TEST(Bip340VectorsTest, VerifyGivesExpectedResult) {
  for (const Bip340Vector& v : kBip340Vectors) {
    VerifyItem item = ItemOf(v);
    EXPECT_EQ(SchnorrVerify(item.key, item.message, item.signature), v.expected_valid)
        << "vector " << v.index << " " << v.comment;
  }
}

TEST(Bip340VectorsTest, SecretKeyGivesPubkeyAndExactSignature) {
  int signed_vectors = 0;
  for (const Bip340Vector& v : kBip340Vectors) {
    if (std::strlen(v.secret_hex) == 0) continue;
    SCOPED_TRACE(v.index);
    ++signed_vectors;
    auto kp = KeyPair::FromSecret(FromHex<SecretKey>(v.secret_hex, "secret"));
    ASSERT_TRUE(kp.ok()) << kp.status();
    EXPECT_EQ(kp->public_key(), FromHex<PublicKey>(v.pubkey_hex, "pubkey"));
    auto aux = HexDecodeFixed<32>(v.aux_hex, "aux");
    ASSERT_TRUE(aux.ok());
    Signature sig = kp->Sign(FromHex<Digest>(v.msg_hex, "msg"), *aux);
    EXPECT_EQ(sig, FromHex<Signature>(v.sig_hex, "sig"));
  }
  EXPECT_EQ(signed_vectors, 4);
}

TEST(Bip340VectorsTest, BatchEqualsOneByOne) {
  std::vector<VerifyItem> items;
  std::vector<uint8_t> expected;
  for (const Bip340Vector& v : kBip340Vectors) {
    items.push_back(ItemOf(v));
    expected.push_back(v.expected_valid ? 1 : 0);
  }
  for (int threads : {1, 2, 0}) {
    CpuBatchVerifier verifier(threads);
    std::vector<uint8_t> results(items.size(), 0xee);
    ASSERT_TRUE(verifier.Verify(items, absl::MakeSpan(results)).ok());
    EXPECT_EQ(results, expected) << "threads " << threads;
  }
}

}  // namespace
}  // namespace gridledger
