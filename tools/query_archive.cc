#include "tools/query_archive.h"

#include "tools/api_client.h"

namespace gridledger::tools {

void AddArchiveSlices(const gridledger::v1::NodeInfo& info, nlohmann::ordered_json* out) {
  (*out)["archive"] = true;
  nlohmann::ordered_json slices = nlohmann::ordered_json::array();
  for (const gridledger::v1::ArchiveSliceInfo& s : info.archive_slices()) {
    slices.push_back({{"slice", s.slice()},
                      {"last_committed_sequence", s.last_committed_sequence()},
                      {"state_root", HexOfBytesField(s.state_root())},
                      {"verified_through", s.verified_through()},
                      {"behind_commits", s.behind_commits()},
                      {"source", s.source()},
                      {"answers_refused", s.answers_refused()},
                      {"checkpoints_refused", s.checkpoints_refused()},
                      {"root_mismatches", s.root_mismatches()},
                      {"source_switches", s.source_switches()}});
  }
  (*out)["archive_slices"] = std::move(slices);
}

}  // namespace gridledger::tools
