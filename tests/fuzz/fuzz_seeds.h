// Seed corpora for the libFuzzer targets are built by the project's own
// encoders, so they stay valid when a format changes: run a target with
// GL_FUZZ_WRITE_SEEDS=DIR and it writes its seeds there and exits
// (`make fuzz-seeds` refreshes tests/fuzz/corpus/ this way).
#ifndef GRIDLEDGER_TESTS_FUZZ_FUZZ_SEEDS_H_
#define GRIDLEDGER_TESTS_FUZZ_FUZZ_SEEDS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace gridledger::fuzz {

// A seed from an encoder's bytes.
inline std::string SeedOf(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Whether an encoder's output is exactly the fuzzer's input.
inline bool SameBytes(const std::vector<uint8_t>& encoded, const uint8_t* data, size_t size) {
  return encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data);
}

// Writes seeds[i] to DIR/seed-<i> when GL_FUZZ_WRITE_SEEDS is set, then exits
// the process (0 on success). Does nothing when the variable is unset.
inline void MaybeWriteSeeds(const std::vector<std::string>& seeds) {
  const char* dir = std::getenv("GL_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return;
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = std::string(dir) + "/seed-" + std::to_string(i);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(seeds[i].data(), 1, seeds[i].size(), f) != seeds[i].size()) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      std::exit(1);
    }
    std::fclose(f);
  }
  std::fprintf(stderr, "wrote %zu seeds to %s\n", seeds.size(), dir);
  std::exit(0);
}

// Defines libFuzzer's initializer to write `seeds_expr` (a
// std::vector<std::string>) when GL_FUZZ_WRITE_SEEDS is set.
#define GL_FUZZ_SEEDS(seeds_expr)                                \
  extern "C" int LLVMFuzzerInitialize(int*, char***) {          \
    ::gridledger::fuzz::MaybeWriteSeeds(seeds_expr);            \
    return 0;                                                   \
  }

// A failed property: print it and abort, so libFuzzer records the input.
#define GL_FUZZ_ASSERT(cond)                                                  \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond,       \
                   __FILE__, __LINE__);                                       \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

}  // namespace gridledger::fuzz

#endif  // GRIDLEDGER_TESTS_FUZZ_FUZZ_SEEDS_H_
