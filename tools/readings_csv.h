// Bulk meter readings for `gridledger market reading --csv=FILE`: one reading
// per line, `meter,interval,imported_wh,exported_wh` (meter: the meter's
// x-only public key, 64 hex digits; numbers canonical decimal); blank lines
// and lines starting with '#' are ignored. The METER_READING codec's bounds
// apply (interval > 0, energies <= kMaxEnergyWh), and a (meter, interval)
// appears once (the ledger would reject the second as duplicate_reading).
#ifndef GRIDLEDGER_TOOLS_READINGS_CSV_H_
#define GRIDLEDGER_TOOLS_READINGS_CSV_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/types.h"

namespace gridledger::tools {

inline constexpr size_t kMaxReadingsFileBytes = size_t{64} << 20;
inline constexpr size_t kMaxReadingLines = 1'000'000;

struct ReadingLine {
  size_t line = 0;  // 1-based, for messages
  PublicKey meter;
  uint64_t interval = 0;
  uint64_t imported_wh = 0;
  uint64_t exported_wh = 0;
};

// InvalidArgument "readings line N: <why>" for the first bad line.
absl::StatusOr<std::vector<ReadingLine>> ParseReadingsCsv(absl::string_view text);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_READINGS_CSV_H_
