// Arithmetic modulo p = 2^256 - 2^32 - 977 on 8 x 32-bit limbs. Every function
// returns a fully reduced value in [0, p), so equality is limb equality.
// Reduction uses 2^256 = 2^32 + 977 (mod p): the high half of a product is
// folded in twice, then at most one subtraction of p remains.
#ifndef GRIDLEDGER_GPU_MATH_FIELD_H_
#define GRIDLEDGER_GPU_MATH_FIELD_H_

#include "gpu/math/config.h"

namespace gridledger::gpu {

struct Fe {
  uint32_t v[8];  // little-endian limbs, value < p
};

// 2^256 - p.
inline constexpr uint32_t kFieldC0 = 0x3D1;  // low limb of 0x1000003D1
inline constexpr uint32_t kFieldCMul = 977;

GL_HD inline void FeSetInt(Fe* r, uint32_t a) {
  r->v[0] = a;
  for (int i = 1; i < 8; ++i) r->v[i] = 0;
}

GL_HD inline bool FeLimbsGeP(const uint32_t v[8]) {
  uint32_t all = v[2] & v[3] & v[4] & v[5] & v[6] & v[7];
  if (all != 0xFFFFFFFFu) return false;
  if (v[1] != 0xFFFFFFFEu) return v[1] == 0xFFFFFFFFu;
  return v[0] >= 0xFFFFFC2Fu;
}

// v += 2^256 - p (mod 2^256): subtracts p from a value in [p, 2^256) or adds
// 2^256 - p to account for a carry out of bit 256.
GL_HD inline void FeAddC(uint32_t v[8]) {
  uint64_t c = uint64_t{v[0]} + kFieldC0;
  v[0] = static_cast<uint32_t>(c);
  c = (c >> 32) + v[1] + 1;
  v[1] = static_cast<uint32_t>(c);
  c >>= 32;
  GL_UNROLL
  for (int i = 2; i < 8; ++i) {
    c += v[i];
    v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
}

// Big-endian bytes; false when the value is not below p (libsecp256k1's
// fe_set_b32_limit), in which case *r is unspecified.
GL_HD inline bool FeSetBytes(Fe* r, const uint8_t* bytes) {
  LimbsFromBytes(r->v, bytes);
  return !FeLimbsGeP(r->v);
}

GL_HD inline void FeGetBytes(uint8_t* bytes, const Fe& a) { LimbsToBytes(bytes, a.v); }

GL_HD inline bool FeIsZero(const Fe& a) {
  uint32_t acc = 0;
  for (int i = 0; i < 8; ++i) acc |= a.v[i];
  return acc == 0;
}

GL_HD inline bool FeEqual(const Fe& a, const Fe& b) {
  uint32_t acc = 0;
  for (int i = 0; i < 8; ++i) acc |= a.v[i] ^ b.v[i];
  return acc == 0;
}

GL_HD inline bool FeIsOdd(const Fe& a) { return (a.v[0] & 1) != 0; }

GL_HD inline void FeAdd(Fe* r, const Fe& a, const Fe& b) {
  uint64_t c = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    c += uint64_t{a.v[i]} + b.v[i];
    r->v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
  if (c != 0 || FeLimbsGeP(r->v)) FeAddC(r->v);
}

GL_HD inline void FeSub(Fe* r, const Fe& a, const Fe& b) {
  int64_t borrow = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    int64_t d = int64_t{a.v[i]} - b.v[i] + borrow;
    r->v[i] = static_cast<uint32_t>(d);
    borrow = d >> 32;  // 0 or -1
  }
  if (borrow != 0) {
    // r + p = r - (2^256 - p) (mod 2^256).
    int64_t d = int64_t{r->v[0]} - kFieldC0;
    r->v[0] = static_cast<uint32_t>(d);
    d = (d >> 32) + int64_t{r->v[1]} - 1;
    r->v[1] = static_cast<uint32_t>(d);
    d >>= 32;
    GL_UNROLL
    for (int i = 2; i < 8; ++i) {
      d += r->v[i];
      r->v[i] = static_cast<uint32_t>(d);
      d >>= 32;
    }
  }
}

GL_HD inline void FeNegate(Fe* r, const Fe& a) {
  Fe zero;
  FeSetInt(&zero, 0);
  FeSub(r, zero, a);
}

// Reduces a 512-bit product t to [0, p).
GL_HD inline void FeReduce512(Fe* r, const uint32_t t[16]) {
  // Round 1: low + high * (2^32 + 977) -> 8 limbs plus a top word < 2^34.
  uint64_t c = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    c += uint64_t{t[i]} + uint64_t{t[8 + i]} * kFieldCMul;
    if (i > 0) c += t[7 + i];
    r->v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
  uint64_t top = c + t[15];
  // Round 2: fold top * (2^32 + 977) in.
  c = uint64_t{r->v[0]} + top * kFieldCMul;
  r->v[0] = static_cast<uint32_t>(c);
  c = (c >> 32) + r->v[1] + top;
  r->v[1] = static_cast<uint32_t>(c);
  c >>= 32;
  GL_UNROLL
  for (int i = 2; i < 8; ++i) {
    c += r->v[i];
    r->v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
  // A carry out here leaves a small value, so adding 2^256 - p cannot carry.
  if (c != 0) FeAddC(r->v);
  if (FeLimbsGeP(r->v)) FeAddC(r->v);
}

GL_HD inline void FeMul(Fe* r, const Fe& a, const Fe& b) {
  uint32_t t[16];
  MulLimbs8(t, a.v, b.v);
  FeReduce512(r, t);
}

// Squaring: cross products once, doubled, plus the diagonal.
GL_HD inline void FeSqr(Fe* r, const Fe& a) {
  uint32_t t[16];
  GL_UNROLL
  for (int i = 0; i < 16; ++i) t[i] = 0;
  GL_UNROLL
  for (int i = 0; i < 7; ++i) {
    uint64_t carry = 0;
    GL_UNROLL
    for (int j = i + 1; j < 8; ++j) {
      carry += uint64_t{t[i + j]} + uint64_t{a.v[i]} * a.v[j];
      t[i + j] = static_cast<uint32_t>(carry);
      carry >>= 32;
    }
    t[i + 8] = static_cast<uint32_t>(carry);
  }
  uint32_t prev = 0;
  GL_UNROLL
  for (int i = 0; i < 16; ++i) {
    uint32_t cur = t[i];
    t[i] = cur << 1 | prev >> 31;
    prev = cur;
  }
  uint64_t carry = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    uint64_t sq = uint64_t{a.v[i]} * a.v[i];
    carry += uint64_t{t[2 * i]} + static_cast<uint32_t>(sq);
    t[2 * i] = static_cast<uint32_t>(carry);
    carry >>= 32;
    carry += uint64_t{t[2 * i + 1]} + (sq >> 32);
    t[2 * i + 1] = static_cast<uint32_t>(carry);
    carry >>= 32;
  }
  FeReduce512(r, t);
}

// r = a^(2^n).
GL_HD inline void FeSqrN(Fe* r, const Fe& a, int n) {
  *r = a;
  for (int i = 0; i < n; ++i) FeSqr(r, *r);
}

// a^(2^223 - 1) and the intermediate a^(2^22 - 1), a^3, shared by inversion
// and square root (the addition chain of libsecp256k1's field code).
GL_HD inline void FePow223(Fe* x223, Fe* x22, Fe* x2, const Fe& a) {
  Fe x3, x6, x9, x11, x44, x88, x176, x220, t;
  FeSqr(&t, a);
  FeMul(x2, t, a);
  FeSqr(&t, *x2);
  FeMul(&x3, t, a);
  FeSqrN(&t, x3, 3);
  FeMul(&x6, t, x3);
  FeSqrN(&t, x6, 3);
  FeMul(&x9, t, x3);
  FeSqrN(&t, x9, 2);
  FeMul(&x11, t, *x2);
  FeSqrN(&t, x11, 11);
  FeMul(x22, t, x11);
  FeSqrN(&t, *x22, 22);
  FeMul(&x44, t, *x22);
  FeSqrN(&t, x44, 44);
  FeMul(&x88, t, x44);
  FeSqrN(&t, x88, 88);
  FeMul(&x176, t, x88);
  FeSqrN(&t, x176, 44);
  FeMul(&x220, t, x44);
  FeSqrN(&t, x220, 3);
  FeMul(x223, t, x3);
}

// r = a^(p-2) = 1/a (0 for a = 0).
GL_HD inline void FeInv(Fe* r, const Fe& a) {
  Fe x223, x22, x2, t;
  FePow223(&x223, &x22, &x2, a);
  FeSqrN(&t, x223, 23);
  FeMul(&t, t, x22);
  FeSqrN(&t, t, 5);
  FeMul(&t, t, a);
  FeSqrN(&t, t, 3);
  FeMul(&t, t, x2);
  FeSqrN(&t, t, 2);
  FeMul(r, t, a);
}

// r = a^((p+1)/4); returns whether r^2 == a (a is a square).
GL_HD inline bool FeSqrt(Fe* r, const Fe& a) {
  Fe x223, x22, x2, t;
  FePow223(&x223, &x22, &x2, a);
  FeSqrN(&t, x223, 23);
  FeMul(&t, t, x22);
  FeSqrN(&t, t, 6);
  FeMul(&t, t, x2);
  FeSqrN(r, t, 2);
  FeSqr(&t, *r);
  return FeEqual(t, a);
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_FIELD_H_
