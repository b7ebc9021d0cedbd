// The network a command signs or verifies for: `--chain_id=HEX` (the genesis
// digest, printed by `gridledger genesis`) or `--genesis=FILE` (its digest is
// computed). Every transaction signature is bound to it (core/tx/codec.h).
#ifndef GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_
#define GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "tools/cli.h"

namespace gridledger::tools {

struct ChainOptions {
  std::string chain_id_hex;
  std::string genesis_path;
};

// Declares --chain_id and --genesis (mutually exclusive) on `app`.
void AddChainOptions(CLI::App* app, ChainOptions* options);

// InvalidArgument when neither or both are given, the hex is not 64 digits,
// or the genesis file cannot be read or parsed (the reason names it).
absl::StatusOr<Digest> ChainIdFromOptions(const ChainOptions& options);

// The digest of the genesis file at `path` (bounded read, strict parse).
absl::StatusOr<Digest> ChainIdOfGenesisFile(const std::string& path);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_
