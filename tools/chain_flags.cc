#include "tools/chain_flags.h"

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/execution/genesis.h"

namespace gridledger::tools {

void AddChainOptions(CLI::App* app, ChainOptions* options) {
  CLI::Option* hex = app->add_option(
      "--chain_id", options->chain_id_hex,
      "the network's chain id (64 hex digits: the genesis digest `gridledger genesis` prints)");
  CLI::Option* file =
      app->add_option("--genesis", options->genesis_path, "a genesis.toml whose digest is the "
                                                          "chain id (instead of --chain_id)");
  hex->excludes(file);
}

absl::StatusOr<Digest> ChainIdOfGenesisFile(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxGenesisFileBytes, "--genesis");
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  auto genesis = ParseGenesis(*text);
  if (!genesis.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--genesis: ", path, ": ", genesis.status().message()));
  }
  return GenesisDigest(*genesis);
}

absl::StatusOr<Digest> ChainIdFromOptions(const ChainOptions& options) {
  const std::string& hex = options.chain_id_hex;
  const std::string& path = options.genesis_path;
  if (hex.empty() == path.empty()) {
    return absl::InvalidArgumentError(
        "give the network: --chain_id=HEX (printed by `gridledger genesis`) or "
        "--genesis=FILE, exactly one");
  }
  if (!path.empty()) return ChainIdOfGenesisFile(path);
  GL_ASSIGN_OR_RETURN(auto bytes, HexDecodeFixed<Digest::kSize>(hex, "--chain_id"));
  return Digest(bytes);
}

}  // namespace gridledger::tools
