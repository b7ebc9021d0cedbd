#include "tools/readings_csv.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/bytes.h"
#include "core/tx/transaction.h"
#include "tools/decimal.h"

namespace gridledger::tools {
namespace {

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("readings line ", line, ": ", what));
}

}  // namespace

absl::StatusOr<std::vector<ReadingLine>> ParseReadingsCsv(absl::string_view text) {
  std::vector<ReadingLine> out;
  // (meter, interval) -> the line that first named it.
  absl::flat_hash_map<std::pair<PublicKey, uint64_t>, size_t> seen;
  size_t line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    const absl::string_view content = absl::StripAsciiWhitespace(raw);
    if (content.empty() || content[0] == '#') continue;
    if (out.size() >= kMaxReadingLines) {
      return LineError(line, absl::StrCat("more than ", kMaxReadingLines, " readings"));
    }
    std::vector<absl::string_view> f = absl::StrSplit(content, ',');
    if (f.size() != 4) {
      return LineError(line, absl::StrCat("expected 4 fields meter,interval,imported_wh,"
                                          "exported_wh, got ", f.size()));
    }
    for (absl::string_view& field : f) field = absl::StripAsciiWhitespace(field);
    ReadingLine r;
    r.line = line;
    auto meter = HexDecodeFixed<PublicKey::kSize>(f[0], "meter");
    if (!meter.ok()) return LineError(line, meter.status().message());
    r.meter = PublicKey(*meter);
    if (!ParseCanonicalU64(f[1], UINT64_MAX, &r.interval) || r.interval == 0) {
      return LineError(line, absl::StrCat("interval '", f[1], "' is not a decimal number > 0"));
    }
    if (!ParseCanonicalU64(f[2], kMaxEnergyWh, &r.imported_wh)) {
      return LineError(line, absl::StrCat("imported_wh '", f[2], "' is not in [0, ",
                                          kMaxEnergyWh, "]"));
    }
    if (!ParseCanonicalU64(f[3], kMaxEnergyWh, &r.exported_wh)) {
      return LineError(line, absl::StrCat("exported_wh '", f[3], "' is not in [0, ",
                                          kMaxEnergyWh, "]"));
    }
    auto [it, fresh] = seen.emplace(std::make_pair(r.meter, r.interval), line);
    if (!fresh) {
      return LineError(line, absl::StrCat("meter ", r.meter.ShortHex(), " interval ", r.interval,
                                          " repeats line ", it->second));
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace gridledger::tools
