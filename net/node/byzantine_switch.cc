#include "net/node/byzantine_switch.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gridledger::node {
namespace {

using Field = bool ByzantineBehaviours::*;
constexpr std::pair<absl::string_view, Field> kNames[] = {
    {"equivocate", &ByzantineBehaviours::equivocate},
    {"oversize_headers", &ByzantineBehaviours::oversize_headers},
    {"garbage_frames", &ByzantineBehaviours::garbage_frames},
    {"withhold_batches", &ByzantineBehaviours::withhold_batches},
    {"flood_batches", &ByzantineBehaviours::flood_batches},
};

}  // namespace

std::string ByzantineBehaviours::ToString() const {
  std::vector<absl::string_view> names;
  for (const auto& [name, field] : kNames) {
    if (this->*field) names.push_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

absl::StatusOr<ByzantineBehaviours> ParseByzantineBehaviours(absl::string_view text) {
  ByzantineBehaviours out;
  if (absl::StripAsciiWhitespace(text) == "all") {
    for (const auto& entry : kNames) out.*(entry.second) = true;
    return out;
  }
  for (absl::string_view raw : absl::StrSplit(text, ',')) {
    const absl::string_view name = absl::StripAsciiWhitespace(raw);
    bool found = false;
    for (const auto& [known, field] : kNames) {
      if (name != known) continue;
      if (out.*field) {
        return absl::InvalidArgumentError(absl::StrCat("byzantine: ", name, " given twice"));
      }
      out.*field = true;
      found = true;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "byzantine: unknown behaviour \"", name,
          "\" (expected all, or some of equivocate, oversize_headers, garbage_frames, "
          "withhold_batches, flood_batches)"));
    }
  }
  return out;
}

}  // namespace gridledger::node
