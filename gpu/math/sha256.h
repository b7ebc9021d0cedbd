// SHA-256 for the verification kernels: compression, a finish that starts from
// any midstate (so a tagged hash pays only for its message), and the tagged
// midstate SHA256(tag) || SHA256(tag) itself.
#ifndef GRIDLEDGER_GPU_MATH_SHA256_H_
#define GRIDLEDGER_GPU_MATH_SHA256_H_

#include "gpu/math/config.h"

namespace gridledger::gpu {

inline constexpr uint32_t kSha256BlockBytes = 64;

// The 64 round constants, listed once for the host and the device copies.
#define GL_SHA256_ROUND_CONSTANTS \
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, \
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, \
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, \
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, \
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, \
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, \
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, \
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, \
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, \
    0xc67178f2

inline constexpr uint32_t kSha256RoundConstants[64] = {GL_SHA256_ROUND_CONSTANTS};

#ifdef __CUDACC__
// Device copy: all threads of a warp read the same round constant, which the
// constant cache broadcasts.
static __constant__ uint32_t kSha256RoundConstantsDevice[64] = {GL_SHA256_ROUND_CONSTANTS};
#endif

GL_HD GL_FORCEINLINE uint32_t Sha256K(int i) {
#ifdef __CUDA_ARCH__
  return kSha256RoundConstantsDevice[i];
#else
  return kSha256RoundConstants[i];
#endif
}

GL_HD GL_FORCEINLINE uint32_t Rotr32(uint32_t x, int n) { return x >> n | x << (32 - n); }

GL_HD inline void Sha256Init(uint32_t h[8]) {
  h[0] = 0x6a09e667u;
  h[1] = 0xbb67ae85u;
  h[2] = 0x3c6ef372u;
  h[3] = 0xa54ff53au;
  h[4] = 0x510e527fu;
  h[5] = 0x9b05688cu;
  h[6] = 0x1f83d9abu;
  h[7] = 0x5be0cd19u;
}

GL_HD GL_FORCEINLINE uint32_t LoadBe32(const uint8_t* b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

// One 64-byte block given as 16 big-endian words (overwritten: the message
// schedule reuses them).
GL_HD inline void Sha256CompressWords(uint32_t h[8], uint32_t w[16]) {
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  GL_UNROLL
  for (int i = 0; i < 64; ++i) {
    uint32_t wi;
    if (i < 16) {
      wi = w[i];
    } else {
      uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
      uint32_t s0 = Rotr32(w15, 7) ^ Rotr32(w15, 18) ^ (w15 >> 3);
      uint32_t s1 = Rotr32(w2, 17) ^ Rotr32(w2, 19) ^ (w2 >> 10);
      wi = w[i & 15] + s0 + w[(i - 7) & 15] + s1;
      w[i & 15] = wi;
    }
    uint32_t t1 = hh + (Rotr32(e, 6) ^ Rotr32(e, 11) ^ Rotr32(e, 25)) + ((e & f) ^ (~e & g)) +
                  Sha256K(i) + wi;
    uint32_t t2 = (Rotr32(a, 2) ^ Rotr32(a, 13) ^ Rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

// One 64-byte block.
GL_HD inline void Sha256Compress(uint32_t h[8], const uint8_t* block) {
  uint32_t w[16];
  GL_UNROLL
  for (int i = 0; i < 16; ++i) w[i] = LoadBe32(block + 4 * i);
  Sha256CompressWords(h, w);
}

GL_HD inline void Sha256StateToBytes(uint8_t out[32], const uint32_t h[8]) {
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(h[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(h[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(h[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(h[i]);
  }
}

// Hashes `len` bytes of `data` starting from state `midstate`, which has
// already absorbed `prefix_bytes` (a multiple of 64), and writes the digest.
GL_HD inline void Sha256Finish(const uint32_t midstate[8], uint64_t prefix_bytes,
                               const uint8_t* data, uint32_t len, uint8_t out[32]) {
  uint32_t h[8];
  for (int i = 0; i < 8; ++i) h[i] = midstate[i];
  uint32_t done = 0;
  while (len - done >= kSha256BlockBytes) {
    Sha256Compress(h, data + done);
    done += kSha256BlockBytes;
  }
  uint8_t block[kSha256BlockBytes];
  uint32_t rest = len - done;
  for (uint32_t i = 0; i < rest; ++i) block[i] = data[done + i];
  block[rest] = 0x80;
  for (uint32_t i = rest + 1; i < kSha256BlockBytes; ++i) block[i] = 0;
  if (rest + 1 > kSha256BlockBytes - 8) {
    Sha256Compress(h, block);
    for (uint32_t i = 0; i < kSha256BlockBytes; ++i) block[i] = 0;
  }
  const uint64_t bits = (prefix_bytes + len) * 8;
  for (int i = 0; i < 8; ++i) block[56 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  Sha256Compress(h, block);
  Sha256StateToBytes(out, h);
}

// SHA-256 of the 96 bytes a || b || c (32 bytes each) from a midstate that
// absorbed `prefix_bytes` (a multiple of 64): the BIP-340 challenge
// r || P || m. The words are loaded straight from the three inputs, with no
// staging buffer (on the GPU a byte buffer indexed at run time lives on the
// stack). Result as 8 big-endian words.
GL_HD inline void Sha256Finish96(const uint32_t midstate[8], uint64_t prefix_bytes,
                                 const uint8_t* a, const uint8_t* b, const uint8_t* c,
                                 uint32_t out[8]) {
  GL_UNROLL
  for (int i = 0; i < 8; ++i) out[i] = midstate[i];
  uint32_t w[16];
  GL_UNROLL
  for (int i = 0; i < 8; ++i) {
    w[i] = LoadBe32(a + 4 * i);
    w[8 + i] = LoadBe32(b + 4 * i);
  }
  Sha256CompressWords(out, w);
  const uint64_t bits = (prefix_bytes + 96) * 8;
  GL_UNROLL
  for (int i = 0; i < 8; ++i) w[i] = LoadBe32(c + 4 * i);
  w[8] = 0x80000000u;
  GL_UNROLL
  for (int i = 9; i < 14; ++i) w[i] = 0;
  w[14] = static_cast<uint32_t>(bits >> 32);
  w[15] = static_cast<uint32_t>(bits);
  Sha256CompressWords(out, w);
}

GL_HD inline void Sha256(const uint8_t* data, uint32_t len, uint8_t out[32]) {
  uint32_t h[8];
  Sha256Init(h);
  Sha256Finish(h, 0, data, len, out);
}

// Midstate after SHA256(tag) || SHA256(tag): tagged hashes start from here
// with prefix_bytes = 64.
GL_HD inline void Sha256TaggedMidstate(uint32_t midstate[8], const uint8_t* tag, uint32_t tag_len) {
  uint8_t block[kSha256BlockBytes];
  Sha256(tag, tag_len, block);
  for (int i = 0; i < 32; ++i) block[32 + i] = block[i];
  Sha256Init(midstate);
  Sha256Compress(midstate, block);
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_SHA256_H_
