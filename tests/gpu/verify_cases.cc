#include "tests/gpu/verify_cases.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <algorithm>
#include <array>
#include <thread>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "tests/gpu/bn_ref.h"
#include "tests/gpu/test_rng.h"

namespace gridledger::gpu::testing {
namespace {

using Bytes32 = std::array<uint8_t, 32>;

const secp256k1_context* Ctx() { return SecpContext(); }

Bytes32 RandomSecret(TestRng& rng) {
  for (;;) {
    Bytes32 b;
    rng.FillMixed(b.data(), 32);
    if (secp256k1_ec_seckey_verify(Ctx(), b.data()) == 1) return b;
  }
}

// A valid signature by a fresh key over item->message.
void SignMessage(TestRng& rng, VerifyItem* item) {
  Bytes32 secret = RandomSecret(rng), aux;
  rng.Fill(aux.data(), 32);
  secp256k1_keypair pair;
  GL_CHECK(secp256k1_keypair_create(Ctx(), &pair, secret.data()) == 1);
  secp256k1_xonly_pubkey xonly;
  GL_CHECK(secp256k1_keypair_xonly_pub(Ctx(), &xonly, nullptr, &pair) == 1);
  GL_CHECK(secp256k1_xonly_pubkey_serialize(Ctx(), item->key.data(), &xonly) == 1);
  GL_CHECK(secp256k1_schnorrsig_sign32(Ctx(), item->signature.data(), item->message.data(),
                                       &pair, aux.data()) == 1);
}

// A valid signature by a fresh key over a runs-favouring message.
void SignRandom(TestRng& rng, VerifyItem* item) {
  rng.FillMixed(item->message.data(), 32);
  SignMessage(rng, item);
}

void FlipBit(TestRng& rng, uint8_t* bytes, size_t size) {
  const uint32_t bit = rng.Below(static_cast<uint32_t>(size * 8));
  bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
}

// A 256-bit value >= `floor_hex` (p or n): floor + a small or runs offset,
// capped at 2^256 - 1.
void ValueAtLeast(TestRng& rng, const BIGNUM* floor, uint8_t* out) {
  Bn v = BnNew(), offset = BnNew(), max = BnNew();
  uint8_t buf[32];
  rng.FillRuns(buf, 32);
  if (rng.Bits(1)) {
    BN_set_word(offset.get(), rng.Below(1u << 20));
  } else {
    BN_bin2bn(buf, 32, offset.get());
  }
  BN_add(v.get(), floor, offset.get());
  BN_set_bit(max.get(), 256);
  if (BN_cmp(v.get(), max.get()) >= 0) BN_sub(v.get(), max.get(), BN_value_one());
  BN_bn2binpad(v.get(), out, 32);
}

// Hand-made signature with nonce k: R = kG (either parity), e from the
// challenge, s = k + e * a' where P = a'G has even y. Verifies exactly when
// R.y is even. With `at_infinity`, s = e * a' instead, so s*G - e*P = 0.
void SignManual(TestRng& rng, VerifyItem* item, bool at_infinity) {
  auto ctx = BnCtxNew();
  Bytes32 secret = RandomSecret(rng), nonce = RandomSecret(rng);
  rng.FillMixed(item->message.data(), 32);
  secp256k1_pubkey pk, rk;
  GL_CHECK(secp256k1_ec_pubkey_create(Ctx(), &pk, secret.data()) == 1);
  GL_CHECK(secp256k1_ec_pubkey_create(Ctx(), &rk, nonce.data()) == 1);
  uint8_t ser[33];
  size_t len = 33;
  GL_CHECK(secp256k1_ec_pubkey_serialize(Ctx(), ser, &len, &pk, SECP256K1_EC_COMPRESSED) == 1);
  std::copy(ser + 1, ser + 33, item->key.data());
  Bn a = BnFromBytes(secret.data());
  if (ser[0] == 0x03) BN_sub(a.get(), OrderN(), a.get());
  len = 33;
  GL_CHECK(secp256k1_ec_pubkey_serialize(Ctx(), ser, &len, &rk, SECP256K1_EC_COMPRESSED) == 1);
  std::copy(ser + 1, ser + 33, item->signature.data());
  uint8_t challenge_input[96];
  std::copy(item->signature.data(), item->signature.data() + 32, challenge_input);
  std::copy(item->key.data(), item->key.data() + 32, challenge_input + 32);
  std::copy(item->message.data(), item->message.data() + 32, challenge_input + 64);
  Digest e_hash = TaggedHash("BIP0340/challenge", ByteSpan(challenge_input, 96));
  Bn e = BnFromBytes(e_hash.data()), s = BnNew();
  BN_nnmod(e.get(), e.get(), OrderN(), ctx.get());
  BN_mod_mul(s.get(), e.get(), a.get(), OrderN(), ctx.get());
  if (!at_infinity) {
    BN_mod_add(s.get(), s.get(), BnFromBytes(nonce.data()).get(), OrderN(), ctx.get());
  }
  BN_bn2binpad(s.get(), item->signature.data() + 32, 32);
}

void AllSame(TestRng& rng, VerifyItem* item, uint8_t fill) {
  SignRandom(rng, item);
  switch (rng.Below(6)) {
    case 0: item->key.bytes.fill(fill); break;
    case 1: item->signature.bytes.fill(fill); break;
    case 2: std::fill_n(item->signature.data(), 32, fill); break;
    case 3: std::fill_n(item->signature.data() + 32, 32, fill); break;
    case 4:  // a valid signature over the constant message
      item->message.bytes.fill(fill);
      SignMessage(rng, item);
      break;
    default:
      item->key.bytes.fill(fill);
      item->message.bytes.fill(fill);
      item->signature.bytes.fill(fill);
  }
}

VerifyCase MakeCase(uint64_t seed, size_t index) {
  TestRng rng(seed * 0x9E3779B97F4A7C15ull ^ (index + 1) * 0xD1B54A32D192ED03ull);
  VerifyCase c;
  c.kind = static_cast<CaseKind>(index % static_cast<size_t>(CaseKind::kCount));
  VerifyItem* it = &c.item;
  switch (c.kind) {
    case CaseKind::kValid: SignRandom(rng, it); break;
    case CaseKind::kFlipKey: SignRandom(rng, it); FlipBit(rng, it->key.data(), 32); break;
    case CaseKind::kFlipMessage: SignRandom(rng, it); FlipBit(rng, it->message.data(), 32); break;
    case CaseKind::kFlipR: SignRandom(rng, it); FlipBit(rng, it->signature.data(), 32); break;
    case CaseKind::kFlipS:
      SignRandom(rng, it);
      FlipBit(rng, it->signature.data() + 32, 32);
      break;
    case CaseKind::kSAtLeastN:
      SignRandom(rng, it);
      ValueAtLeast(rng, OrderN(), it->signature.data() + 32);
      break;
    case CaseKind::kRAtLeastP:
      SignRandom(rng, it);
      ValueAtLeast(rng, FieldP(), it->signature.data());
      break;
    case CaseKind::kXAtLeastP:
      SignRandom(rng, it);
      ValueAtLeast(rng, FieldP(), it->key.data());
      break;
    case CaseKind::kAllZero: AllSame(rng, it, 0x00); break;
    case CaseKind::kAllOnes: AllSame(rng, it, 0xff); break;
    case CaseKind::kRandomRuns:
      rng.FillRuns(it->key.data(), 32);
      rng.FillRuns(it->message.data(), 32);
      rng.FillRuns(it->signature.data(), 64);
      break;
    case CaseKind::kManualNonce: SignManual(rng, it, /*at_infinity=*/false); break;
    case CaseKind::kRAtInfinity: SignManual(rng, it, /*at_infinity=*/true); break;
    case CaseKind::kNegatedS: {
      SignRandom(rng, it);
      Bn s = BnFromBytes(it->signature.data() + 32);
      BN_sub(s.get(), OrderN(), s.get());
      BN_bn2binpad(s.get(), it->signature.data() + 32, 32);
      break;
    }
    case CaseKind::kCount: GL_CHECK(false);
  }
  return c;
}

}  // namespace

const char* CaseKindName(CaseKind kind) {
  static const char* kNames[] = {"valid",   "flip_key",   "flip_message", "flip_r",
                                 "flip_s",  "s_ge_n",     "r_ge_p",       "x_ge_p",
                                 "all_zero", "all_ones",  "random_runs",  "manual_nonce",
                                 "r_at_infinity", "negated_s"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(CaseKind::kCount));
  return kNames[static_cast<size_t>(kind)];
}

std::vector<VerifyCase> MakeVerifyCases(uint64_t seed, size_t first, size_t count) {
  std::vector<VerifyCase> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(MakeCase(seed, first + i));
  return out;
}

std::vector<VerifyCase> MakeVerifyCasesParallel(uint64_t seed, size_t first, size_t count,
                                                int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<VerifyCase> out(count);
  std::vector<std::thread> workers;
  const size_t per = (count + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const size_t begin = std::min(count, per * t), end = std::min(count, begin + per);
    workers.emplace_back([&, begin, end] {
      for (size_t i = begin; i < end; ++i) out[i] = MakeCase(seed, first + i);
    });
  }
  for (auto& w : workers) w.join();
  return out;
}

}  // namespace gridledger::gpu::testing
