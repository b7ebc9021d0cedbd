// Node config parser: no input crashes; an accepted config has the fields a
// node needs (the parser's own promises, checked again here).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/node/config.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::vector<std::string> Seeds() {
  return {
      "# gridledger node config\n"
      "slice = 0\n"
      "validator_index = 1\n"
      "genesis = \"/tmp/d/genesis.toml\"\n"
      "key_file = '/tmp/d/validator-0-1.key'\n"
      "data_dir = \"/tmp/d/node-0-1\"\n"
      "grpc_address = \"127.0.0.1:7101\"\n"
      "metrics_address = \"127.0.0.1:9101\"\n"
      "backend = \"cpu\"\n",
  };
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  auto config = node::ParseNodeConfig(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (config.ok()) {
    GL_FUZZ_ASSERT(!config->genesis_path.empty());
    GL_FUZZ_ASSERT(!config->key_file.empty());
  }
  return 0;
}
