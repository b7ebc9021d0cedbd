// Arithmetic modulo the group order n on 8 x 32-bit limbs (values < n), and
// the GLV split k = k1 + k2 * lambda with |k1|, |k2| < 2^128 (the lattice and
// rounding constants of libsecp256k1's scalar_split_lambda).
#ifndef GRIDLEDGER_GPU_MATH_SCALAR_H_
#define GRIDLEDGER_GPU_MATH_SCALAR_H_

#include "gpu/math/config.h"

namespace gridledger::gpu {

struct Sc {
  uint32_t v[8];  // little-endian limbs, value < n
};

// n = FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE BAAEDCE6 AF48A03B BFD25E8C D0364141.
GL_HD GL_FORCEINLINE uint32_t ScOrderLimb(int i) {
  switch (i) {
    case 0: return 0xD0364141u;
    case 1: return 0xBFD25E8Cu;
    case 2: return 0xAF48A03Bu;
    case 3: return 0xBAAEDCE6u;
    case 4: return 0xFFFFFFFEu;
    default: return 0xFFFFFFFFu;
  }
}

// 2^256 - n (129 bits, 5 limbs).
GL_HD GL_FORCEINLINE uint32_t ScOrderComplementLimb(int i) {
  switch (i) {
    case 0: return 0x2FC9BEBFu;
    case 1: return 0x402DA173u;
    case 2: return 0x50B75FC4u;
    case 3: return 0x45512319u;
    case 4: return 0x1u;
    default: return 0u;
  }
}

GL_HD inline void ScSetInt(Sc* r, uint32_t a) {
  r->v[0] = a;
  for (int i = 1; i < 8; ++i) r->v[i] = 0;
}

GL_HD inline bool ScLimbsGeN(const uint32_t v[8]) {
  for (int i = 7; i >= 0; --i) {
    uint32_t n = ScOrderLimb(i);
    if (v[i] != n) return v[i] > n;
  }
  return true;
}

// v -= n (mod 2^256).
GL_HD inline void ScSubN(uint32_t v[8]) {
  int64_t d = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    d += int64_t{v[i]} - ScOrderLimb(i);
    v[i] = static_cast<uint32_t>(d);
    d >>= 32;
  }
}

// Big-endian bytes reduced mod n; returns true when the input was >= n
// (libsecp256k1's scalar_set_b32 overflow flag).
GL_HD inline bool ScSetBytes(Sc* r, const uint8_t* bytes) {
  LimbsFromBytes(r->v, bytes);
  bool overflow = ScLimbsGeN(r->v);
  if (overflow) ScSubN(r->v);  // 2^256 < 2n: one subtraction suffices
  return overflow;
}

// The same from 8 big-endian 32-bit words (word 0 most significant), as
// Sha256Finish96 writes a digest.
GL_HD inline bool ScSetBigEndianWords(Sc* r, const uint32_t words[8]) {
  GL_UNROLL
  for (int i = 0; i < 8; ++i) r->v[i] = words[7 - i];
  bool overflow = ScLimbsGeN(r->v);
  if (overflow) ScSubN(r->v);
  return overflow;
}

GL_HD inline void ScGetBytes(uint8_t* bytes, const Sc& a) { LimbsToBytes(bytes, a.v); }

GL_HD inline bool ScIsZero(const Sc& a) {
  uint32_t acc = 0;
  for (int i = 0; i < 8; ++i) acc |= a.v[i];
  return acc == 0;
}

GL_HD inline void ScAdd(Sc* r, const Sc& a, const Sc& b) {
  uint64_t c = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    c += uint64_t{a.v[i]} + b.v[i];
    r->v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
  if (c != 0 || ScLimbsGeN(r->v)) ScSubN(r->v);
}

GL_HD inline void ScNegate(Sc* r, const Sc& a) {
  if (ScIsZero(a)) {
    *r = a;
    return;
  }
  int64_t d = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    d += int64_t{ScOrderLimb(i)} - a.v[i];
    r->v[i] = static_cast<uint32_t>(d);
    d >>= 32;
  }
}

// a > n/2.
GL_HD inline bool ScIsHigh(const Sc& a) {
  // n/2 = 7FFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 5D576E73 57A4501D DFE92F46 681B20A0.
  const uint32_t half[8] = {0x681B20A0u, 0xDFE92F46u, 0x57A4501Du, 0x5D576E73u,
                            0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0x7FFFFFFFu};
  return CompareLimbs(a.v, half, 8) > 0;
}

// Reduces a 512-bit value mod n by folding hi * (2^256 - n) into lo until the
// high half is zero (512 -> 385 -> 258 -> 256 bits: at most four rounds).
GL_HD inline void ScReduce512(Sc* r, uint32_t t[16]) {
  for (int round = 0; round < 5; ++round) {
    uint32_t high = 0;
    for (int i = 8; i < 16; ++i) high |= t[i];
    if (high == 0) break;
    uint32_t u[16];
    for (int i = 0; i < 8; ++i) u[i] = t[i];
    for (int i = 8; i < 16; ++i) u[i] = 0;
    for (int i = 0; i < 8; ++i) {
      uint32_t h = t[8 + i];
      if (h == 0) continue;
      uint64_t c = 0;
      for (int j = 0; j < 5; ++j) {
        c += uint64_t{u[i + j]} + uint64_t{h} * ScOrderComplementLimb(j);
        u[i + j] = static_cast<uint32_t>(c);
        c >>= 32;
      }
      for (int k = i + 5; k < 16 && c != 0; ++k) {
        c += u[k];
        u[k] = static_cast<uint32_t>(c);
        c >>= 32;
      }
    }
    for (int i = 0; i < 16; ++i) t[i] = u[i];
  }
  for (int i = 0; i < 8; ++i) r->v[i] = t[i];
  if (ScLimbsGeN(r->v)) ScSubN(r->v);
}

GL_HD inline void ScMul(Sc* r, const Sc& a, const Sc& b) {
  uint32_t t[16];
  MulLimbs8(t, a.v, b.v);
  ScReduce512(r, t);
}

// r = round(a * b / 2^384) (a, b < 2^256; the result fits in 128 bits).
GL_HD inline void ScMulShift384(Sc* r, const Sc& a, const uint32_t b[8]) {
  uint32_t t[16];
  MulLimbs8(t, a.v, b);
  uint64_t c = (t[11] >> 31);  // bit 383 rounds
  for (int i = 0; i < 4; ++i) {
    c += t[12 + i];
    r->v[i] = static_cast<uint32_t>(c);
    c >>= 32;
  }
  for (int i = 4; i < 8; ++i) r->v[i] = 0;
}

// lambda: a cube root of unity mod n with lambda * (x, y) = (beta * x, y).
GL_HD inline void ScLambda(Sc* r) {
  const uint32_t l[8] = {0x1B23BD72u, 0xDF02967Cu, 0x20816678u, 0x122E22EAu,
                         0x8812645Au, 0xA5261C02u, 0xC05C30E0u, 0x5363AD4Cu};
  for (int i = 0; i < 8; ++i) r->v[i] = l[i];
}

// k = k1 + k2 * lambda (mod n), with k1 and k2 each either below 2^128 or
// above n - 2^128 (that is, a negative number of at most 128 bits).
GL_HD inline void ScSplitLambda(Sc* k1, Sc* k2, const Sc& k) {
  const uint32_t g1[8] = {0x45DBB031u, 0xE893209Au, 0x71E8CA7Fu, 0x3DAA8A14u,
                          0x9284EB15u, 0xE86C90E4u, 0xA7D46BCDu, 0x3086D221u};
  const uint32_t g2[8] = {0x8AC47F71u, 0x1571B4AEu, 0x9DF506C6u, 0x221208ACu,
                          0x0ABFE4C4u, 0x6F547FA9u, 0x010E8828u, 0xE4437ED6u};
  Sc minus_b1 = {{0x0ABFE4C3u, 0x6F547FA9u, 0x010E8828u, 0xE4437ED6u, 0, 0, 0, 0}};
  Sc minus_b2 = {{0x3DB1562Cu, 0xD765CDA8u, 0x0774346Du, 0x8A280AC5u,
                  0xFFFFFFFEu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}};
  Sc c1, c2, lambda;
  ScMulShift384(&c1, k, g1);
  ScMulShift384(&c2, k, g2);
  ScMul(&c1, c1, minus_b1);
  ScMul(&c2, c2, minus_b2);
  ScAdd(k2, c1, c2);
  ScLambda(&lambda);
  Sc t;
  ScMul(&t, *k2, lambda);
  ScNegate(&t, t);
  ScAdd(k1, t, k);
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_SCALAR_H_
