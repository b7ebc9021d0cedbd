// Seeded RNG for the GPU math tests. FillRuns favours long runs of 0 and 1
// bits (as libsecp256k1's testrand256_test does), so values near 0, near
// 2^256, near p and near n, and limb-boundary carries, come up often.
#ifndef GRIDLEDGER_TESTS_GPU_TEST_RNG_H_
#define GRIDLEDGER_TESTS_GPU_TEST_RNG_H_

#include <cstddef>
#include <cstdint>

namespace gridledger::gpu::testing {

class TestRng {
 public:
  explicit TestRng(uint64_t seed) {
    for (uint64_t& s : state_) s = SplitMix(&seed);
  }

  // xoshiro256**.
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  uint32_t Bits(int n) { return n == 0 ? 0 : static_cast<uint32_t>(Next() >> (64 - n)); }
  uint32_t Below(uint32_t bound) { return static_cast<uint32_t>(Next() % bound); }

  void Fill(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(Next() >> 56);
  }

  // Runs of equal bits with lengths from 1 to about 64.
  void FillRuns(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = 0;
    const size_t total_bits = n * 8;
    size_t bit = 0;
    while (bit < total_bits) {
      size_t run = 1 + (Bits(6) * Bits(5) + 16) / 31;
      const bool one = Bits(1) != 0;
      for (; run > 0 && bit < total_bits; --run, ++bit) {
        if (one) out[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
      }
    }
  }

  // Half the time uniform, half the time runs.
  void FillMixed(uint8_t* out, size_t n) {
    if (Bits(1)) {
      Fill(out, n);
    } else {
      FillRuns(out, n);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return x << k | x >> (64 - k); }
  static uint64_t SplitMix(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

}  // namespace gridledger::gpu::testing

#endif  // GRIDLEDGER_TESTS_GPU_TEST_RNG_H_
