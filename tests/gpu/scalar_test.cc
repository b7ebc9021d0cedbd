// Scalar arithmetic mod n, the GLV split and wNAF of gpu/math/, compiled for
// the host, against OpenSSL BIGNUM.
#include "gpu/math/scalar.h"

#include <array>
#include <vector>

#include "gpu/math/ecmult.h"
#include "gtest/gtest.h"
#include "tests/gpu/bn_ref.h"
#include "tests/gpu/test_rng.h"

namespace gridledger::gpu {
namespace {

using testing::Bn;
using testing::BnCtxNew;
using testing::BnFromBytes;
using testing::BnFromHex;
using testing::BnNew;
using testing::BnToBytes;
using testing::OrderN;
using testing::TestRng;
using Bytes32 = std::array<uint8_t, 32>;

constexpr int kScalarRandomCases = 20000;
constexpr const char* kLambdaHex =
    "5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72";

std::vector<Bytes32> ScalarEdgeValues() {
  const char* hex[] = {
      "0", "1", "2", "FFFFFFFF", "100000000", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      "100000000000000000000000000000000",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140",  // n - 1
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",  // n
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142",  // n + 1
      "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0",  // n / 2
      "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A1",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      "8000000000000000000000000000000000000000000000000000000000000000",
      kLambdaHex,
  };
  std::vector<Bytes32> out;
  for (const char* h : hex) out.push_back(BnToBytes(BnFromHex(h).get()));
  return out;
}

// Any 256-bit value (not reduced).
Bytes32 RandomBytes(TestRng& rng, const std::vector<Bytes32>& edges) {
  if (rng.Below(8) == 0) return edges[rng.Below(static_cast<uint32_t>(edges.size()))];
  Bytes32 b;
  rng.FillMixed(b.data(), 32);
  return b;
}

Bytes32 FromSc(const Sc& s) {
  Bytes32 b;
  ScGetBytes(b.data(), s);
  return b;
}

Bn ModN(const Bytes32& b) {
  auto ctx = BnCtxNew();
  Bn v = BnFromBytes(b.data());
  BN_nnmod(v.get(), v.get(), OrderN(), ctx.get());
  return v;
}

TEST(ScalarTest, SetBytesReportsOverflowAndReduces) {
  TestRng rng(10);
  auto edges = ScalarEdgeValues();
  for (int i = 0; i < kScalarRandomCases; ++i) {
    Bytes32 b = RandomBytes(rng, edges);
    Sc s;
    const bool overflow = ScSetBytes(&s, b.data());
    Bn v = BnFromBytes(b.data());
    ASSERT_EQ(overflow, BN_cmp(v.get(), OrderN()) >= 0) << i;
    ASSERT_EQ(FromSc(s), BnToBytes(ModN(b).get())) << i;
  }
}

// The word form (a digest from Sha256Finish96) agrees with the byte form,
// edge values (n, n - 1, 2^256 - 1, ...) included.
TEST(ScalarTest, SetBigEndianWordsMatchesSetBytes) {
  TestRng rng(12);
  auto edges = ScalarEdgeValues();
  for (int i = 0; i < kScalarRandomCases; ++i) {
    Bytes32 b = RandomBytes(rng, edges);
    uint32_t words[8];
    for (int w = 0; w < 8; ++w) {
      words[w] = uint32_t{b[4 * w]} << 24 | uint32_t{b[4 * w + 1]} << 16 |
                 uint32_t{b[4 * w + 2]} << 8 | b[4 * w + 3];
    }
    Sc from_bytes, from_words;
    const bool overflow_bytes = ScSetBytes(&from_bytes, b.data());
    ASSERT_EQ(ScSetBigEndianWords(&from_words, words), overflow_bytes) << i;
    ASSERT_EQ(FromSc(from_words), FromSc(from_bytes)) << i;
  }
}

TEST(ScalarTest, AddNegMulIsHighMatchBignum) {
  TestRng rng(11);
  auto edges = ScalarEdgeValues();
  auto ctx = BnCtxNew();
  Bn r = BnNew(), zero = BnNew(), half = BnNew();
  BN_zero(zero.get());
  BN_rshift1(half.get(), OrderN());
  for (int i = 0; i < kScalarRandomCases; ++i) {
    Bytes32 ab = RandomBytes(rng, edges), bb = RandomBytes(rng, edges);
    Sc a, b, out;
    ScSetBytes(&a, ab.data());
    ScSetBytes(&b, bb.data());
    Bn an = ModN(ab), bn = ModN(bb);
    ScAdd(&out, a, b);
    BN_mod_add(r.get(), an.get(), bn.get(), OrderN(), ctx.get());
    ASSERT_EQ(FromSc(out), BnToBytes(r.get())) << "add " << i;
    ScNegate(&out, a);
    BN_mod_sub(r.get(), zero.get(), an.get(), OrderN(), ctx.get());
    ASSERT_EQ(FromSc(out), BnToBytes(r.get())) << "neg " << i;
    ScMul(&out, a, b);
    BN_mod_mul(r.get(), an.get(), bn.get(), OrderN(), ctx.get());
    ASSERT_EQ(FromSc(out), BnToBytes(r.get())) << "mul " << i;
    ASSERT_EQ(ScIsHigh(a), BN_cmp(an.get(), half.get()) > 0) << "high " << i;
  }
}

// |k1|, |k2| < 2^128 and k1 + k2 * lambda == k (mod n), for edges and random k.
TEST(ScalarTest, GlvSplitIsCorrectAndShort) {
  TestRng rng(12);
  auto edges = ScalarEdgeValues();
  auto ctx = BnCtxNew();
  Bn lambda = BnFromHex(kLambdaHex), t = BnNew(), bound = BnNew();
  BN_set_bit(bound.get(), 128);
  for (int i = 0; i < kScalarRandomCases; ++i) {
    Bytes32 kb = i < static_cast<int>(edges.size()) ? edges[i] : RandomBytes(rng, edges);
    Sc k, k1, k2;
    ScSetBytes(&k, kb.data());
    ScSplitLambda(&k1, &k2, k);
    Bn b1 = BnFromBytes(FromSc(k1).data()), b2 = BnFromBytes(FromSc(k2).data());
    BN_mod_mul(t.get(), b2.get(), lambda.get(), OrderN(), ctx.get());
    BN_mod_add(t.get(), t.get(), b1.get(), OrderN(), ctx.get());
    ASSERT_EQ(BnToBytes(t.get()), FromSc(k)) << i;
    for (const Sc* part : {&k1, &k2}) {
      Sc mag;
      bool neg;
      ScMagnitude(&mag, &neg, *part);
      Bn m = BnFromBytes(FromSc(mag).data());
      ASSERT_LT(BN_cmp(m.get(), bound.get()), 0) << i;
    }
  }
}

// sum digit_i 2^i == +-mag, digits odd and below 2^(w-1) in magnitude.
TEST(ScalarTest, WnafReconstructsMagnitude) {
  TestRng rng(13);
  for (int w : {kGWindow, kPWindow}) {
    for (int i = 0; i < 5000; ++i) {
      Bytes32 b{};
      rng.FillMixed(b.data() + 16, 16);  // magnitudes below 2^128
      Sc mag;
      ScSetBytes(&mag, b.data());
      const bool negate = rng.Bits(1) != 0;
      int8_t digits[kWnafBits];
      const int len = ScWnaf(digits, mag, w, negate);
      Bn sum = BnNew(), term = BnNew();
      BN_zero(sum.get());
      for (int j = kWnafBits - 1; j >= 0; --j) {
        BN_lshift1(sum.get(), sum.get());
        const int d = digits[j];
        if (j >= len) {
          ASSERT_EQ(d, 0);
        }
        if (d == 0) continue;
        ASSERT_EQ(d & 1, 1) << "even digit";
        ASSERT_LT(d < 0 ? -d : d, 1 << (w - 1));
        BN_set_word(term.get(), d < 0 ? -d : d);
        if (d < 0) {
          BN_sub(sum.get(), sum.get(), term.get());
        } else {
          BN_add(sum.get(), sum.get(), term.get());
        }
      }
      Bn expected = BnFromBytes(b.data());
      if (negate) BN_set_negative(expected.get(), !BN_is_zero(expected.get()));
      ASSERT_EQ(BN_cmp(sum.get(), expected.get()), 0) << "w=" << w << " case " << i;
    }
  }
}

}  // namespace
}  // namespace gridledger::gpu
