// `gridledger query node` against an archive node: its per-slice progress
// (NodeInfo.archive_slices) as "archive": true and "archive_slices": [...].
#ifndef GRIDLEDGER_TOOLS_QUERY_ARCHIVE_H_
#define GRIDLEDGER_TOOLS_QUERY_ARCHIVE_H_

#include "net/proto/ledger.pb.h"
#include "nlohmann/json.hpp"

namespace gridledger::tools {

void AddArchiveSlices(const gridledger::v1::NodeInfo& info, nlohmann::ordered_json* out);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_QUERY_ARCHIVE_H_
