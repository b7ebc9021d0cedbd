// The hosts file of `gridledger genesis --hosts` (operator input): no input
// crashes; an accepted file has exactly the expected number of entries, each
// an IPv4 literal the node config parser also accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/node/config.h"
#include "tests/fuzz/fuzz_seeds.h"
#include "tools/host_configs.h"

GL_FUZZ_SEEDS(
      {"# validators, slice-major\n10.0.0.1\n10.0.0.2:7100\n\n10.0.0.3\n10.0.0.4:7103\n"})

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr size_t kExpected = 4;
  auto entries = tools::ParseHostsFile(text, kExpected);
  if (!entries.ok()) return 0;
  GL_FUZZ_ASSERT(entries->size() == kExpected);
  for (const tools::HostsEntry& e : *entries) {
    GL_FUZZ_ASSERT(node::ParseHostPort(absl::StrCat(e.ip, ":1"), "fuzz").ok());
  }
  return 0;
}
