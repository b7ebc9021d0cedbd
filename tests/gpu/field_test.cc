// Field arithmetic mod p of gpu/math/field.h, compiled for the host, against
// OpenSSL BIGNUM.
#include "gpu/math/field.h"

#include <array>
#include <vector>

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
using testing::FieldP;
using testing::TestRng;
using Bytes32 = std::array<uint8_t, 32>;

constexpr int kRandomCases = 20000;

// Values next to the limb, carry and modulus boundaries.
std::vector<Bytes32> EdgeValues() {
  const char* hex[] = {
      "0", "1", "2", "3D1", "1000003D0", "1000003D1", "FFFFFFFF", "100000000",
      "FFFFFFFFFFFFFFFF", "10000000000000000",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2E",  // p - 1
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2D",  // p - 2
      "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7FFFFE17",  // (p - 1) / 2
      "8000000000000000000000000000000000000000000000000000000000000000",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE00000000",
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC00",
      "00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF",
      "FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000",
  };
  std::vector<Bytes32> out;
  for (const char* h : hex) out.push_back(BnToBytes(BnFromHex(h).get()));
  return out;
}

Bytes32 RandomFieldBytes(TestRng& rng, const std::vector<Bytes32>& edges) {
  if (rng.Below(8) == 0) return edges[rng.Below(static_cast<uint32_t>(edges.size()))];
  Bytes32 b;
  rng.FillMixed(b.data(), 32);
  Bn v = BnFromBytes(b.data());
  if (BN_cmp(v.get(), FieldP()) >= 0) BN_sub(v.get(), v.get(), FieldP());
  return BnToBytes(v.get());
}

Fe ToFe(const Bytes32& b) {
  Fe f;
  EXPECT_TRUE(FeSetBytes(&f, b.data()));
  return f;
}

Bytes32 FromFe(const Fe& f) {
  Bytes32 b;
  FeGetBytes(b.data(), f);
  return b;
}

TEST(FieldTest, SetBytesRejectsValuesNotBelowP) {
  Fe f;
  EXPECT_TRUE(FeSetBytes(&f, BnToBytes(BnFromHex(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2E").get()).data()));
  for (const char* hex : {"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F",
                          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
                          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000",
                          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}) {
    EXPECT_FALSE(FeSetBytes(&f, BnToBytes(BnFromHex(hex).get()).data())) << hex;
  }
}

TEST(FieldTest, RoundTripsBytes) {
  TestRng rng(1);
  auto edges = EdgeValues();
  for (int i = 0; i < 1000; ++i) {
    Bytes32 b = RandomFieldBytes(rng, edges);
    EXPECT_EQ(FromFe(ToFe(b)), b);
  }
}

TEST(FieldTest, AddSubNegMulSqrMatchBignum) {
  TestRng rng(2);
  auto edges = EdgeValues();
  auto ctx = BnCtxNew();
  Bn r = BnNew(), zero_bn = BnNew();
  BN_zero(zero_bn.get());
  int failures = 0;
  for (int i = 0; i < kRandomCases && failures < 10; ++i) {
    Bytes32 ab = RandomFieldBytes(rng, edges), bb = RandomFieldBytes(rng, edges);
    Fe a = ToFe(ab), b = ToFe(bb), out;
    Bn an = BnFromBytes(ab.data()), bn = BnFromBytes(bb.data());
    FeAdd(&out, a, b);
    BN_mod_add(r.get(), an.get(), bn.get(), FieldP(), ctx.get());
    failures += FromFe(out) != BnToBytes(r.get());
    EXPECT_EQ(FromFe(out), BnToBytes(r.get())) << "add " << i;
    FeSub(&out, a, b);
    BN_mod_sub(r.get(), an.get(), bn.get(), FieldP(), ctx.get());
    failures += FromFe(out) != BnToBytes(r.get());
    EXPECT_EQ(FromFe(out), BnToBytes(r.get())) << "sub " << i;
    FeNegate(&out, a);
    BN_mod_sub(r.get(), zero_bn.get(), an.get(), FieldP(), ctx.get());
    failures += FromFe(out) != BnToBytes(r.get());
    EXPECT_EQ(FromFe(out), BnToBytes(r.get())) << "neg " << i;
    FeMul(&out, a, b);
    BN_mod_mul(r.get(), an.get(), bn.get(), FieldP(), ctx.get());
    failures += FromFe(out) != BnToBytes(r.get());
    EXPECT_EQ(FromFe(out), BnToBytes(r.get())) << "mul " << i;
    FeSqr(&out, a);
    BN_mod_sqr(r.get(), an.get(), FieldP(), ctx.get());
    failures += FromFe(out) != BnToBytes(r.get());
    EXPECT_EQ(FromFe(out), BnToBytes(r.get())) << "sqr " << i;
  }
}

TEST(FieldTest, InverseMatchesBignum) {
  TestRng rng(3);
  auto edges = EdgeValues();
  auto ctx = BnCtxNew();
  Bn r = BnNew();
  Fe zero, out;
  FeSetInt(&zero, 0);
  FeInv(&out, zero);
  EXPECT_TRUE(FeIsZero(out));
  for (int i = 0; i < 2000; ++i) {
    Bytes32 ab = RandomFieldBytes(rng, edges);
    Fe a = ToFe(ab);
    if (FeIsZero(a)) continue;
    FeInv(&out, a);
    Bn an = BnFromBytes(ab.data());
    ASSERT_NE(BN_mod_inverse(r.get(), an.get(), FieldP(), ctx.get()), nullptr);
    ASSERT_EQ(FromFe(out), BnToBytes(r.get())) << i;
  }
}

TEST(FieldTest, SqrtMatchesBignum) {
  TestRng rng(4);
  auto edges = EdgeValues();
  auto ctx = BnCtxNew();
  Bn r = BnNew(), neg = BnNew();
  int squares = 0, non_squares = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes32 ab = RandomFieldBytes(rng, edges);
    Fe a = ToFe(ab), out;
    Bn an = BnFromBytes(ab.data());
    const bool is_square = FeSqrt(&out, a);
    // Euler's criterion: a^((p-1)/2) == 1 (or a == 0).
    Bn e = BnNew(), t = BnNew();
    BN_rshift1(e.get(), FieldP());
    BN_mod_exp(t.get(), an.get(), e.get(), FieldP(), ctx.get());
    const bool expected = BN_is_zero(an.get()) || BN_is_one(t.get());
    ASSERT_EQ(is_square, expected) << i;
    if (!is_square) {
      ++non_squares;
      continue;
    }
    ++squares;
    ASSERT_NE(BN_mod_sqrt(r.get(), an.get(), FieldP(), ctx.get()), nullptr);
    BN_mod_sub(neg.get(), FieldP(), r.get(), FieldP(), ctx.get());
    Bytes32 got = FromFe(out);
    ASSERT_TRUE(got == BnToBytes(r.get()) || got == BnToBytes(neg.get())) << i;
  }
  EXPECT_GT(squares, 500);
  EXPECT_GT(non_squares, 500);
}

}  // namespace
}  // namespace gridledger::gpu
