// After a cluster run: every commit the load generator saw acknowledged must
// be in the store of every validator of its slice, with the same result and
// position, and the stores of a slice must agree on their common commits.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_STORE_CHECK_H_
#define GRIDLEDGER_TOOLS_LOADGEN_STORE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/report.h"

namespace gridledger::loadgen {

// store_dirs[s][i]: the LMDB directory of validator i of slice s. The stores
// must not be open elsewhere (the nodes are stopped).
absl::StatusOr<StoreCheck> CheckStores(const std::vector<std::vector<std::string>>& store_dirs,
                                       const std::vector<AckedCommit>& acked);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_STORE_CHECK_H_
