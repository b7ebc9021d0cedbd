// Point arithmetic, lift_x, the G tables and s*G - e*P of gpu/math/,
// compiled for the host, against libsecp256k1's public API.
#include "gpu/math/group.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <array>
#include <optional>

#include "core/crypto/schnorr.h"
#include "gpu/math/ecmult.h"
#include "gpu/math/host_context.h"
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

const secp256k1_context* Ctx() { return SecpContext(); }

// A valid secret key (1 <= k < n) from the runs-favouring RNG.
Bytes32 RandomSecret(TestRng& rng) {
  for (;;) {
    Bytes32 b;
    rng.FillMixed(b.data(), 32);
    if (secp256k1_ec_seckey_verify(Ctx(), b.data()) == 1) return b;
  }
}

// The affine point of a libsecp256k1 public key.
Ge GeFromPubkey(const secp256k1_pubkey& pk) {
  uint8_t ser[65];
  size_t len = sizeof(ser);
  EXPECT_EQ(secp256k1_ec_pubkey_serialize(Ctx(), ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED), 1);
  Ge g;
  EXPECT_TRUE(FeSetBytes(&g.x, ser + 1));
  EXPECT_TRUE(FeSetBytes(&g.y, ser + 33));
  g.infinity = false;
  return g;
}

std::optional<secp256k1_pubkey> MulG(const Bytes32& k) {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(Ctx(), &pk, k.data()) != 1) return std::nullopt;
  return pk;
}

std::optional<secp256k1_pubkey> Combine(const std::optional<secp256k1_pubkey>& a,
                                        const std::optional<secp256k1_pubkey>& b) {
  if (!a) return b;
  if (!b) return a;
  const secp256k1_pubkey* in[2] = {&*a, &*b};
  secp256k1_pubkey out;
  if (secp256k1_ec_pubkey_combine(Ctx(), &out, in, 2) != 1) return std::nullopt;
  return out;
}

// A Jacobian representation of an affine point with a random z.
Gej RandomJacobian(const Ge& a, TestRng& rng) {
  Fe z, z2, z3;
  Bytes32 zb;
  do {
    rng.Fill(zb.data(), 32);
  } while (!FeSetBytes(&z, zb.data()) || FeIsZero(z));
  FeSqr(&z2, z);
  FeMul(&z3, z2, z);
  Gej r;
  FeMul(&r.x, a.x, z2);
  FeMul(&r.y, a.y, z3);
  r.z = z;
  r.infinity = false;
  return r;
}

void ExpectSamePoint(const Gej& got, const std::optional<secp256k1_pubkey>& want, int i) {
  if (!want) {
    EXPECT_TRUE(got.infinity) << i;
    return;
  }
  ASSERT_FALSE(got.infinity) << i;
  Ge affine;
  GeSetGej(&affine, got);
  Ge expected = GeFromPubkey(*want);
  EXPECT_TRUE(FeEqual(affine.x, expected.x)) << i;
  EXPECT_TRUE(FeEqual(affine.y, expected.y)) << i;
}

TEST(GroupTest, GeneratorTablesMatchLibsecp) {
  const HostVerifyTables& t = GetHostVerifyTables();
  auto ctx = BnCtxNew();
  Bn lambda = BnFromHex("5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72");
  Bn k = BnNew(), kl = BnNew();
  for (int i = 0; i < kGTableSize; ++i) {
    BN_set_word(k.get(), 2 * i + 1);
    BN_mod_mul(kl.get(), k.get(), lambda.get(), OrderN(), ctx.get());
    Ge want = GeFromPubkey(*MulG(BnToBytes(k.get())));
    Ge want_lambda = GeFromPubkey(*MulG(BnToBytes(kl.get())));
    EXPECT_TRUE(FeEqual(t.g_table[i].x, want.x) && FeEqual(t.g_table[i].y, want.y)) << i;
    EXPECT_TRUE(FeEqual(t.g_lambda_table[i].x, want_lambda.x) &&
                FeEqual(t.g_lambda_table[i].y, want_lambda.y))
        << i;
  }
}

TEST(GroupTest, AddAndDoubleMatchLibsecp) {
  TestRng rng(20);
  for (int i = 0; i < 3000; ++i) {
    Bytes32 a = RandomSecret(rng), b = RandomSecret(rng);
    auto pa = MulG(a), pb = MulG(b);
    Ge ga = GeFromPubkey(*pa), gb = GeFromPubkey(*pb);
    Gej ja = RandomJacobian(ga, rng), jb = RandomJacobian(gb, rng), out;
    GejAdd(&out, ja, jb);
    ExpectSamePoint(out, Combine(pa, pb), i);
    GejAddGe(&out, ja, gb);
    ExpectSamePoint(out, Combine(pa, pb), i);
    // Doubling, reached through the addition formulas and directly.
    GejDouble(&out, ja);
    ExpectSamePoint(out, Combine(pa, pa), i);
    GejAdd(&out, ja, RandomJacobian(ga, rng));
    ExpectSamePoint(out, Combine(pa, pa), i);
    GejAddGe(&out, ja, ga);
    ExpectSamePoint(out, Combine(pa, pa), i);
    // P + (-P) = infinity, and infinity is the identity.
    Ge neg = ga;
    FeNegate(&neg.y, neg.y);
    GejAddGe(&out, ja, neg);
    EXPECT_TRUE(out.infinity) << i;
    Gej inf;
    GejSetInfinity(&inf);
    GejAdd(&out, inf, jb);
    ExpectSamePoint(out, pb, i);
    GejAddGe(&out, inf, gb);
    ExpectSamePoint(out, pb, i);
    GejDouble(&out, inf);
    EXPECT_TRUE(out.infinity);
  }
}

TEST(GroupTest, LiftXMatchesXonlyParse) {
  TestRng rng(21);
  int valid = 0, invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes32 x;
    rng.FillMixed(x.data(), 32);
    if (i < 8) x.fill(i % 2 ? 0xff : 0x00);
    secp256k1_xonly_pubkey xonly;
    const bool want = secp256k1_xonly_pubkey_parse(Ctx(), &xonly, x.data()) == 1;
    Fe fx;
    Ge got;
    const bool ok = FeSetBytes(&fx, x.data()) && GeLiftX(&got, fx);
    ASSERT_EQ(ok, want) << i;
    if (!ok) {
      ++invalid;
      continue;
    }
    ++valid;
    uint8_t compressed[33];
    compressed[0] = 0x02;
    std::copy(x.begin(), x.end(), compressed + 1);
    secp256k1_pubkey pk;
    ASSERT_EQ(secp256k1_ec_pubkey_parse(Ctx(), &pk, compressed, 33), 1);
    Ge want_point = GeFromPubkey(pk);
    ASSERT_TRUE(FeEqual(got.y, want_point.y)) << i;
    ASSERT_TRUE(GeIsOnCurve(got));
  }
  EXPECT_GT(valid, 5000);
  EXPECT_GT(invalid, 5000);
}

// s*G - e*P, including s = 0, e = 0 and results at infinity (s = e * a).
TEST(GroupTest, EcmultMatchesLibsecp) {
  TestRng rng(22);
  const VerifyContext& vc = HostVerifyContext();
  auto bctx = BnCtxNew();
  for (int i = 0; i < 3000; ++i) {
    Bytes32 a = RandomSecret(rng);
    auto pa = MulG(a);
    Ge p = GeFromPubkey(*pa);
    Bytes32 sb = RandomSecret(rng), eb = RandomSecret(rng);
    const int variant = i % 8;
    if (variant == 1) sb.fill(0);
    if (variant == 2) eb.fill(0);
    if (variant == 3) {  // s = e * a: the result is the point at infinity
      Bn s = BnNew();
      BN_mod_mul(s.get(), BnFromBytes(eb.data()).get(), BnFromBytes(a.data()).get(), OrderN(),
                 bctx.get());
      sb = BnToBytes(s.get());
    }
    Sc s, e;
    ScSetBytes(&s, sb.data());
    ScSetBytes(&e, eb.data());
    Gej got;
    EcmultSGMinusEP(&got, vc.g_table, vc.g_lambda_table, p, s, e);

    std::optional<secp256k1_pubkey> minus_ep;
    if (variant != 2) {
      secp256k1_pubkey t = *pa;
      ASSERT_EQ(secp256k1_ec_pubkey_tweak_mul(Ctx(), &t, eb.data()), 1);
      ASSERT_EQ(secp256k1_ec_pubkey_negate(Ctx(), &t), 1);
      minus_ep = t;
    }
    std::optional<secp256k1_pubkey> want = Combine(MulG(sb), minus_ep);
    if (variant == 3) {
      EXPECT_FALSE(want.has_value());
    }
    ExpectSamePoint(got, want, i);
  }
}

}  // namespace
}  // namespace gridledger::gpu
