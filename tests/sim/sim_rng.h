// The simulator's only source of randomness: SplitMix64 seeded from the run's
// u64 seed. Every draw happens in a fixed order, so a seed replays exactly.
#ifndef GRIDLEDGER_TESTS_SIM_SIM_RNG_H_
#define GRIDLEDGER_TESTS_SIM_SIM_RNG_H_

#include <cstdint>

#include "core/common/check.h"

namespace gridledger::sim {

class SimRng {
 public:
  explicit SimRng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (inclusive).
  uint64_t Range(uint64_t lo, uint64_t hi) {
    GL_CHECK(lo <= hi);
    return lo + Next() % (hi - lo + 1);
  }
  // True with probability per_million / 1e6.
  bool Chance(uint64_t per_million) { return Next() % 1'000'000 < per_million; }
  // A new independent stream (for a sub-component), drawn from this one.
  SimRng Fork() { return SimRng(Next()); }

 private:
  uint64_t state_;
};

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_SIM_RNG_H_
