// The one multiplication a BIP-340 verification needs: s*G - e*P. Both
// scalars are split with the GLV endomorphism into four ~128-bit halves, each
// written in wNAF, and all four run in one double-and-add loop (Shamir's
// trick): 128 doublings instead of 512. G uses precomputed affine odd
// multiples (window 8); P gets a per-call table (window 5) in "effective
// affine" form: all its entries share one Z, so they are affine on an
// isomorphic curve and each addition of one is a mixed addition
// (libsecp256k1's ecmult does the same).
#ifndef GRIDLEDGER_GPU_MATH_ECMULT_H_
#define GRIDLEDGER_GPU_MATH_ECMULT_H_

#include "gpu/math/group.h"
#include "gpu/math/scalar.h"

namespace gridledger::gpu {

inline constexpr int kGWindow = 8;
inline constexpr int kGTableSize = 1 << (kGWindow - 2);  // G, 3G, ..., 127G
inline constexpr int kPWindow = 5;
inline constexpr int kPTableSize = 1 << (kPWindow - 2);  // P, 3P, ..., 15P
// GLV halves are below 2^128 (see ScSplitLambda); two spare bits absorb the
// final wNAF carry.
inline constexpr int kWnafBits = 130;

GL_HD GL_FORCEINLINE uint32_t ScGetBits(const Sc& a, int pos, int count) {
  int limb = pos >> 5;
  int shift = pos & 31;
  uint64_t x = a.v[limb];
  if (limb + 1 < 8) x |= uint64_t{a.v[limb + 1]} << 32;
  return static_cast<uint32_t>(x >> shift) & ((1u << count) - 1);
}

// Width-w NAF of a magnitude below 2^128: out[i] is 0 or odd with
// |out[i]| < 2^(w-1), and sum out[i] 2^i = +-mag (sign from `negate`).
// Returns the number of digits up to the highest nonzero one.
GL_HD inline int ScWnaf(int8_t out[kWnafBits], const Sc& mag, int w, bool negate) {
  for (int i = 0; i < kWnafBits; ++i) out[i] = 0;
  int carry = 0;
  int bit = 0;
  int last = -1;
  while (bit < kWnafBits) {
    if (static_cast<int>(ScGetBits(mag, bit, 1)) == carry) {
      ++bit;
      continue;
    }
    int now = w;
    if (now > kWnafBits - bit) now = kWnafBits - bit;
    int word = static_cast<int>(ScGetBits(mag, bit, now)) + carry;
    carry = (word >> (w - 1)) & 1;
    word -= carry << w;
    out[bit] = static_cast<int8_t>(negate ? -word : word);
    last = bit;
    bit += now;
  }
  return last + 1;
}

// |a| as a signed number in (-n/2, n/2].
GL_HD inline void ScMagnitude(Sc* mag, bool* negative, const Sc& a) {
  *negative = ScIsHigh(a);
  if (*negative) {
    ScNegate(mag, a);
  } else {
    *mag = a;
  }
}

// Odd multiples (2i+1)G for i < kGTableSize, and the same times lambda.
// Runs once on the host; the CUDA backend copies the result to the device.
inline void BuildGTables(GeStorage g_table[kGTableSize], GeStorage g_lambda_table[kGTableSize]) {
  Ge g;
  GeGenerator(&g);
  Gej cur, twice;
  GejSetGe(&cur, g);
  GejDouble(&twice, cur);
  Fe beta;
  FeBeta(&beta);
  for (int i = 0; i < kGTableSize; ++i) {
    Ge a;
    GeSetGej(&a, cur);
    g_table[i].x = a.x;
    g_table[i].y = a.y;
    FeMul(&g_lambda_table[i].x, a.x, beta);
    g_lambda_table[i].y = a.y;
    GejAdd(&cur, cur, twice);
  }
}

GL_HD GL_FORCEINLINE int WnafIndex(int digit) { return ((digit < 0 ? -digit : digit) - 1) >> 1; }

// The odd multiples P, 3P, ..., 15P of a finite affine P, all with one common
// Z: pre[i] = ((2i+1)P.x * zc^2, (2i+1)P.y * zc^3). Seen on the curve
// isomorphic to secp256k1 by (x, y) -> (x zc^2, y zc^3) (same addition and
// doubling formulas: they do not use b), the entries are affine.
// 2P = (X, Y, Z) is affine on the curve scaled by Z, so the chain adds it
// with mixed additions there; their z ratios then bring every entry to the
// last entry's Z.
GL_HD inline void OddMultiplesCommonZ(GeStorage pre[kPTableSize], Fe* zc, const Ge& p) {
  Gej d;
  GejSetGe(&d, p);
  GejDouble(&d, d);  // finite: secp256k1 has no point of order 2
  Fe dz2, dz3;
  FeSqr(&dz2, d.z);
  FeMul(&dz3, dz2, d.z);
  const Ge d_affine{d.x, d.y, false};
  Gej acc;
  FeMul(&acc.x, p.x, dz2);
  FeMul(&acc.y, p.y, dz3);
  FeSetInt(&acc.z, 1);
  acc.infinity = false;
  pre[0].x = acc.x;
  pre[0].y = acc.y;
  // (2i+1)P never equals +-2P below n, so each step is a plain addition.
  Fe zr[kPTableSize];
  GL_UNROLL
  for (int i = 1; i < kPTableSize; ++i) {
    GejAddGe(&acc, acc, d_affine, &zr[i]);
    pre[i].x = acc.x;
    pre[i].y = acc.y;
  }
  // Entry i has Z z_i; scale it to z_last by f = z_last / z_i = zr[i+1]...zr[last].
  Fe f, f2, f3;
  FeSetInt(&f, 1);
  GL_UNROLL
  for (int i = kPTableSize - 2; i >= 0; --i) {
    FeMul(&f, f, zr[i + 1]);
    FeSqr(&f2, f);
    FeMul(&f3, f2, f);
    FeMul(&pre[i].x, pre[i].x, f2);
    FeMul(&pre[i].y, pre[i].y, f3);
  }
  FeMul(zc, d.z, acc.z);
}

// r = s*G - e*P for an affine, finite P.
GL_HD inline void EcmultSGMinusEP(Gej* r, const GeStorage* g_table,
                                  const GeStorage* g_lambda_table, const Ge& p, const Sc& s,
                                  const Sc& e) {
  // The accumulator lives on the curve scaled by zc, where the table of P is
  // affine; G's entries are mapped there (x zc^2, y zc^3) as they are added,
  // and the result is mapped back at the end (Z times zc). The table is built
  // before the digit arrays exist: its scratch never adds to their peak.
  GeStorage pre[kPTableSize];
  Fe zc, zc2, zc3;
  OddMultiplesCommonZ(pre, &zc, p);
  FeSqr(&zc2, zc);
  FeMul(&zc3, zc2, zc);

  Sc ne, s1, s2, e1, e2, mag;
  ScNegate(&ne, e);
  ScSplitLambda(&s1, &s2, s);
  ScSplitLambda(&e1, &e2, ne);
  int8_t w_s1[kWnafBits], w_s2[kWnafBits], w_e1[kWnafBits], w_e2[kWnafBits];
  bool neg;
  int len = 0, l;
  ScMagnitude(&mag, &neg, s1);
  l = ScWnaf(w_s1, mag, kGWindow, neg);
  len = l > len ? l : len;
  ScMagnitude(&mag, &neg, s2);
  l = ScWnaf(w_s2, mag, kGWindow, neg);
  len = l > len ? l : len;
  ScMagnitude(&mag, &neg, e1);
  l = ScWnaf(w_e1, mag, kPWindow, neg);
  len = l > len ? l : len;
  ScMagnitude(&mag, &neg, e2);
  l = ScWnaf(w_e2, mag, kPWindow, neg);
  len = l > len ? l : len;

  Fe beta;
  FeBeta(&beta);
  GejSetInfinity(r);
  for (int i = len - 1; i >= 0; --i) {
    GejDouble(r, *r);
    int d = w_e1[i];
    if (d != 0) {
      const GeStorage& st = pre[WnafIndex(d)];
      Ge t{st.x, st.y, false};
      if (d < 0) FeNegate(&t.y, t.y);
      GejAddGe(r, *r, t);
    }
    d = w_e2[i];
    if (d != 0) {
      const GeStorage& st = pre[WnafIndex(d)];
      Ge t{st.x, st.y, false};
      FeMul(&t.x, t.x, beta);
      if (d < 0) FeNegate(&t.y, t.y);
      GejAddGe(r, *r, t);
    }
    d = w_s1[i];
    if (d != 0) {
      const GeStorage& st = g_table[WnafIndex(d)];
      Ge t;
      FeMul(&t.x, st.x, zc2);
      FeMul(&t.y, st.y, zc3);
      t.infinity = false;
      if (d < 0) FeNegate(&t.y, t.y);
      GejAddGe(r, *r, t);
    }
    d = w_s2[i];
    if (d != 0) {
      const GeStorage& st = g_lambda_table[WnafIndex(d)];
      Ge t;
      FeMul(&t.x, st.x, zc2);
      FeMul(&t.y, st.y, zc3);
      t.infinity = false;
      if (d < 0) FeNegate(&t.y, t.y);
      GejAddGe(r, *r, t);
    }
  }
  if (!r->infinity) FeMul(&r->z, r->z, zc);
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_ECMULT_H_
