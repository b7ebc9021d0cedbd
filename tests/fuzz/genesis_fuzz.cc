// Genesis parser: no input crashes; an accepted genesis validates, and
// serialising it gives a text that parses to the same genesis (same digest).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::vector<std::string> Seeds() {
  Genesis genesis;
  genesis.dso = KeyPair::FromSeed(7).public_key();
  for (uint32_t s = 0; s < 2; ++s) {
    GenesisSlice slice;
    slice.id = SliceId(s);
    for (uint32_t i = 0; i < 4; ++i) {
      slice.validators.push_back(GenesisValidator{KeyPair::FromSeed(100 + 10 * s + i).public_key(),
                                                  "127.0.0.1", static_cast<uint16_t>(7000 + i)});
    }
    genesis.slices.push_back(std::move(slice));
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{SliceId(s), KeyPair::FromSeed(500 + s).public_key()},
                       Amount(1'000'000)});
  }
  return {SerializeGenesis(genesis)};
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  auto genesis = ParseGenesis(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!genesis.ok()) return 0;
  GL_FUZZ_ASSERT(ValidateGenesis(*genesis).ok());
  const std::string text = SerializeGenesis(*genesis);
  auto again = ParseGenesis(text);
  GL_FUZZ_ASSERT(again.ok());
  GL_FUZZ_ASSERT(*again == *genesis);
  GL_FUZZ_ASSERT(SerializeGenesis(*again) == text);
  GL_FUZZ_ASSERT(GenesisDigest(*again) == GenesisDigest(*genesis));
  return 0;
}
