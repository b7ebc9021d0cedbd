// The network a command signs or verifies for: `--chain_id=HEX` (the genesis
// digest, printed by `gridledger genesis`) or `--genesis=FILE` (its digest is
// computed). Every transaction signature is bound to it (core/tx/codec.h).
#ifndef GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_
#define GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "core/common/types.h"

ABSL_DECLARE_FLAG(std::string, chain_id);
ABSL_DECLARE_FLAG(std::string, genesis);

namespace gridledger::tools {

// InvalidArgument when neither or both flags are given, the hex is not 64
// digits, or the genesis file cannot be read or parsed (the reason names it).
absl::StatusOr<Digest> ChainIdFromFlags();

// The digest of the genesis file at `path` (bounded read, strict parse).
absl::StatusOr<Digest> ChainIdOfGenesisFile(const std::string& path);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_CHAIN_FLAGS_H_
