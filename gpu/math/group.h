// secp256k1 points (y^2 = x^3 + 7): affine Ge and Jacobian Gej (x = X/Z^2,
// y = Y/Z^3). Additions handle every edge case (infinity, P + P, P + -P), so
// crafted inputs cannot steer the multiplication into a wrong result.
#ifndef GRIDLEDGER_GPU_MATH_GROUP_H_
#define GRIDLEDGER_GPU_MATH_GROUP_H_

#include "gpu/math/field.h"

namespace gridledger::gpu {

struct Ge {
  Fe x, y;
  bool infinity;
};

// Affine point without the infinity flag, for tables (64 bytes).
struct GeStorage {
  Fe x, y;
};

struct Gej {
  Fe x, y, z;
  bool infinity;
};

// beta: a cube root of unity mod p; (beta * x, y) = lambda * (x, y).
GL_HD inline void FeBeta(Fe* r) {
  const uint32_t b[8] = {0x719501EEu, 0xC1396C28u, 0x12F58995u, 0x9CF04975u,
                         0xAC3434E9u, 0x6E64479Eu, 0x657C0710u, 0x7AE96A2Bu};
  for (int i = 0; i < 8; ++i) r->v[i] = b[i];
}

GL_HD inline void GeGenerator(Ge* r) {
  const uint32_t gx[8] = {0x16F81798u, 0x59F2815Bu, 0x2DCE28D9u, 0x029BFCDBu,
                          0xCE870B07u, 0x55A06295u, 0xF9DCBBACu, 0x79BE667Eu};
  const uint32_t gy[8] = {0xFB10D4B8u, 0x9C47D08Fu, 0xA6855419u, 0xFD17B448u,
                          0x0E1108A8u, 0x5DA4FBFCu, 0x26A3C465u, 0x483ADA77u};
  for (int i = 0; i < 8; ++i) {
    r->x.v[i] = gx[i];
    r->y.v[i] = gy[i];
  }
  r->infinity = false;
}

GL_HD inline void GejSetInfinity(Gej* r) {
  FeSetInt(&r->x, 0);
  FeSetInt(&r->y, 1);
  FeSetInt(&r->z, 0);
  r->infinity = true;
}

GL_HD inline void GejSetGe(Gej* r, const Ge& a) {
  r->x = a.x;
  r->y = a.y;
  FeSetInt(&r->z, 1);
  r->infinity = a.infinity;
}

// Affine from Jacobian (one inversion).
GL_HD inline void GeSetGej(Ge* r, const Gej& a) {
  if (a.infinity) {
    FeSetInt(&r->x, 0);
    FeSetInt(&r->y, 0);
    r->infinity = true;
    return;
  }
  Fe zi, zi2, zi3;
  FeInv(&zi, a.z);
  FeSqr(&zi2, zi);
  FeMul(&zi3, zi2, zi);
  FeMul(&r->x, a.x, zi2);
  FeMul(&r->y, a.y, zi3);
  r->infinity = false;
}

// x^3 + 7.
GL_HD inline void GeCurveRhs(Fe* r, const Fe& x) {
  Fe x2, seven;
  FeSqr(&x2, x);
  FeMul(r, x2, x);
  FeSetInt(&seven, 7);
  FeAdd(r, *r, seven);
}

GL_HD inline bool GeIsOnCurve(const Ge& a) {
  if (a.infinity) return false;
  Fe y2, rhs;
  FeSqr(&y2, a.y);
  GeCurveRhs(&rhs, a.x);
  return FeEqual(y2, rhs);
}

// BIP-340 lift_x: the point with x coordinate x and even y; false when x^3 + 7
// is not a square (x >= p is refused earlier, when the bytes are parsed).
GL_HD inline bool GeLiftX(Ge* r, const Fe& x) {
  Fe rhs;
  GeCurveRhs(&rhs, x);
  if (!FeSqrt(&r->y, rhs)) return false;
  if (FeIsOdd(r->y)) FeNegate(&r->y, r->y);
  r->x = x;
  r->infinity = false;
  return true;
}

GL_HD inline void GejDouble(Gej* r, const Gej& a) {
  if (a.infinity) {
    GejSetInfinity(r);
    return;
  }
  // dbl-2009-l (a = 0); y is never 0 on secp256k1 (no point of order 2).
  Fe A, B, C, D, E, F, t;
  FeSqr(&A, a.x);
  FeSqr(&B, a.y);
  FeSqr(&C, B);
  FeAdd(&t, a.x, B);
  FeSqr(&t, t);
  FeSub(&t, t, A);
  FeSub(&t, t, C);
  FeAdd(&D, t, t);
  FeAdd(&E, A, A);
  FeAdd(&E, E, A);
  FeSqr(&F, E);
  Fe z3;
  FeMul(&z3, a.y, a.z);
  FeAdd(&r->z, z3, z3);
  FeSub(&r->x, F, D);
  FeSub(&r->x, r->x, D);
  Fe c8;
  FeAdd(&c8, C, C);
  FeAdd(&c8, c8, c8);
  FeAdd(&c8, c8, c8);
  FeSub(&t, D, r->x);
  FeMul(&t, E, t);
  FeSub(&r->y, t, c8);
  r->infinity = false;
}

// r = a + b with b affine (b.x, b.y, 1). When `zr` is given and a and b are
// finite with a != -b, *zr = r.z / a.z (the z ratio that lets a chain of
// additions be brought to one common Z, see OddMultiplesCommonZ).
GL_HD inline void GejAddGe(Gej* r, const Gej& a, const Ge& b, Fe* zr = nullptr) {
  if (b.infinity) {
    *r = a;
    if (zr != nullptr) FeSetInt(zr, 1);
    return;
  }
  if (a.infinity) {
    GejSetGe(r, b);
    return;
  }
  Fe z2, u2, s2, h, rr;
  FeSqr(&z2, a.z);
  FeMul(&u2, b.x, z2);
  FeMul(&s2, b.y, z2);
  FeMul(&s2, s2, a.z);
  FeSub(&h, u2, a.x);
  FeSub(&rr, s2, a.y);
  if (FeIsZero(h)) {
    if (FeIsZero(rr)) {
      if (zr != nullptr) FeAdd(zr, a.y, a.y);  // doubling: z3 = 2 y z
      GejDouble(r, a);
    } else {
      GejSetInfinity(r);
    }
    return;
  }
  if (zr != nullptr) *zr = h;
  Fe h2, h3, v, t;
  FeSqr(&h2, h);
  FeMul(&h3, h2, h);
  FeMul(&v, a.x, h2);
  Fe x3;
  FeSqr(&x3, rr);
  FeSub(&x3, x3, h3);
  FeSub(&x3, x3, v);
  FeSub(&x3, x3, v);
  FeSub(&t, v, x3);
  FeMul(&t, rr, t);
  Fe y1h3;
  FeMul(&y1h3, a.y, h3);
  FeMul(&r->z, a.z, h);
  FeSub(&r->y, t, y1h3);
  r->x = x3;
  r->infinity = false;
}

// r = a + b, both Jacobian.
GL_HD inline void GejAdd(Gej* r, const Gej& a, const Gej& b) {
  if (b.infinity) {
    *r = a;
    return;
  }
  if (a.infinity) {
    *r = b;
    return;
  }
  Fe z1s, z2s, u1, u2, s1, s2, h, rr;
  FeSqr(&z1s, a.z);
  FeSqr(&z2s, b.z);
  FeMul(&u1, a.x, z2s);
  FeMul(&u2, b.x, z1s);
  FeMul(&s1, a.y, z2s);
  FeMul(&s1, s1, b.z);
  FeMul(&s2, b.y, z1s);
  FeMul(&s2, s2, a.z);
  FeSub(&h, u2, u1);
  FeSub(&rr, s2, s1);
  if (FeIsZero(h)) {
    if (FeIsZero(rr)) {
      GejDouble(r, a);
    } else {
      GejSetInfinity(r);
    }
    return;
  }
  Fe h2, h3, v, t, x3;
  FeSqr(&h2, h);
  FeMul(&h3, h2, h);
  FeMul(&v, u1, h2);
  FeSqr(&x3, rr);
  FeSub(&x3, x3, h3);
  FeSub(&x3, x3, v);
  FeSub(&x3, x3, v);
  FeSub(&t, v, x3);
  FeMul(&t, rr, t);
  Fe s1h3;
  FeMul(&s1h3, s1, h3);
  Fe z3;
  FeMul(&z3, a.z, b.z);
  FeMul(&r->z, z3, h);
  FeSub(&r->y, t, s1h3);
  r->x = x3;
  r->infinity = false;
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_GROUP_H_
