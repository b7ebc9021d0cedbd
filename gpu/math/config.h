// Portability macros for the verification math that runs both in CUDA kernels
// and on the host (where CI tests it against libsecp256k1 and OpenSSL).
// Everything under gpu/math/ is plain C++20 that g++ and nvcc both accept.
#ifndef GRIDLEDGER_GPU_MATH_CONFIG_H_
#define GRIDLEDGER_GPU_MATH_CONFIG_H_

#include <cstddef>
#include <cstdint>

#ifdef __CUDACC__
#define GL_HD __host__ __device__
#define GL_FORCEINLINE __forceinline__
#ifdef __CUDA_ARCH__
#define GL_UNROLL _Pragma("unroll")
#else
#define GL_UNROLL _Pragma("GCC unroll 8")
#endif
#else
#define GL_HD
#define GL_FORCEINLINE inline __attribute__((always_inline))
#define GL_UNROLL _Pragma("GCC unroll 8")
#endif

namespace gridledger::gpu {

// Little-endian 32-bit limbs; used by both field and scalar code.
GL_HD inline int CompareLimbs(const uint32_t* a, const uint32_t* b, int limbs) {
  for (int i = limbs - 1; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// Big-endian 32 bytes <-> 8 little-endian limbs.
GL_HD inline void LimbsFromBytes(uint32_t out[8], const uint8_t* bytes) {
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    const uint8_t* b = bytes + 4 * (7 - i);
    out[i] = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  }
}

GL_HD inline void LimbsToBytes(uint8_t* bytes, const uint32_t in[8]) {
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    uint8_t* b = bytes + 4 * (7 - i);
    b[0] = static_cast<uint8_t>(in[i] >> 24);
    b[1] = static_cast<uint8_t>(in[i] >> 16);
    b[2] = static_cast<uint8_t>(in[i] >> 8);
    b[3] = static_cast<uint8_t>(in[i]);
  }
}

// 8x8 limb schoolbook product into 16 limbs.
GL_HD inline void MulLimbs8(uint32_t t[16], const uint32_t a[8], const uint32_t b[8]) {
  GL_UNROLL
  for (int i = 0; i < 16; ++i) t[i] = 0;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    uint64_t carry = 0;
    GL_UNROLL
    for (int j = 0; j < 8; ++j) {
      carry += uint64_t{t[i + j]} + uint64_t{a[i]} * b[j];
      t[i + j] = static_cast<uint32_t>(carry);
      carry >>= 32;
    }
    t[i + 8] = static_cast<uint32_t>(carry);
  }
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_CONFIG_H_
