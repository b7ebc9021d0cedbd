#include "tools/chain_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/execution/genesis.h"

ABSL_FLAG(std::string, chain_id, "",
          "the network's chain id (64 hex digits: the genesis digest `gridledger genesis` prints)");
ABSL_FLAG(std::string, genesis, "", "a genesis.toml whose digest is the chain id");

namespace gridledger::tools {

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

absl::StatusOr<Digest> ChainIdFromFlags() {
  const std::string hex = absl::GetFlag(FLAGS_chain_id);
  const std::string path = absl::GetFlag(FLAGS_genesis);
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
