// After a cluster run: the market as the validators' stores hold it (not as
// the load generator believes it sent it), and the money check. Every store
// of a slice is read; their figures must agree, and on every store
// balances + open escrow - debt must equal the slice's genesis supply.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_MARKET_REPORT_H_
#define GRIDLEDGER_TOOLS_LOADGEN_MARKET_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/execution/genesis.h"
#include "tools/loadgen/json_writer.h"
#include "tools/loadgen/report.h"

namespace gridledger::loadgen {

// One cleared interval of one slice.
struct IntervalFigures {
  uint32_t slice = 0;
  uint64_t interval = 0;
  std::optional<uint64_t> price_per_kwh;  // nullopt: nothing crossed
  uint64_t cleared_wh = 0;
  uint32_t orders = 0;
  uint32_t trades = 0;
  bool settled = false;
  bool operator==(const IntervalFigures&) const = default;
};

struct MarketReport {
  bool done = false;
  uint64_t intervals_cleared = 0;  // went through gate closure (with or without trades)
  uint64_t intervals_traded = 0;   // cleared with at least one trade
  uint64_t orders = 0;             // in the cleared books
  uint64_t trades = 0;
  uint64_t cleared_wh = 0;
  std::optional<uint64_t> price_min;
  std::optional<uint64_t> price_max;
  uint64_t settled_intervals = 0;
  uint64_t settlements = 0;        // (prosumer, interval) settlement records
  uint64_t shortfall_paid = 0;     // imbalance paid to the DSO, micro-units
  uint64_t surplus_paid = 0;       // imbalance paid by the DSO
  uint64_t missing_readings = 0;   // settlements flagged MISSING_READING
  std::vector<IntervalFigures> intervals;  // slice-major, ascending
  // Money, on every store read.
  uint64_t stores = 0;
  bool money_conserved = false;
  std::vector<std::string> money_errors;  // "slice 0 validator 2: 10 != supply 12"
  // Stores whose market figures differ from validator 0's of their slice.
  uint64_t disagreements = 0;
  // Cross-slice receipts (core/execution/receipt_records.h), from validator
  // 0's store of each slice: given at the sources, credited at the
  // destinations, and the rest in flight. Each store's money check adds
  // what its slice sent and subtracts what it credited; in_flight_amount is
  // summed from the outgoing receipts not yet credited and must equal sent
  // minus credited amounts (else money_conserved is false).
  struct CrossSlice {
    uint64_t sent = 0;
    uint64_t credited = 0;
    uint64_t in_flight = 0;
    uint64_t in_flight_amount = 0;
  } cross_slice;
};

// store_dirs[s][i]: the LMDB directory of validator i of slice s (stopped).
absl::StatusOr<MarketReport> ReadMarketFromStores(
    const std::vector<std::vector<std::string>>& store_dirs, const Genesis& genesis);

// The summary's market section (`market_section`), or only its money line.
std::string MarketSummaryText(const MarketReport& report, bool market_section);
// Top-level "money_conserved" and the "market" object, into an open object.
void WriteMarketJson(JsonWriter& w, const MarketReport& report);
// "slice,interval,step,price_per_kwh,cleared_kwh,orders,trades\n", one row
// per cleared interval; step counts intervals from the slice's first; an
// interval where nothing crossed has an empty price.
std::string MarketCsv(const MarketReport& report);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_MARKET_REPORT_H_
