// The market's picture (issue 14 item 4): the market CSV (MarketCsv) drawn by
// gnuplot as a PNG beside it, the clearing price per interval in the top
// panel and the cleared volume in the bottom one, one line per slice.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_MARKET_PLOT_H_
#define GRIDLEDGER_TOOLS_LOADGEN_MARKET_PLOT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/loadgen/report.h"

namespace gridledger::loadgen {

// The gnuplot program that reads the market CSV and writes `png_path`;
// InvalidArgument when a path or the title holds a control character.
absl::StatusOr<std::string> MarketGnuplotScript(const std::string& csv_path,
                                                const std::string& png_path,
                                                const std::string& title, uint32_t slices);

// "run.csv" -> "run-market.csv": where the market CSV goes beside the run's.
std::string MarketCsvPathFor(const std::string& csv_path);

// Writes `market_csv` to `csv_path`, renders the PNG beside it and prints
// "plot: PATH" or "plot: skipped (REASON)". Never fails the run.
void PlotMarketBesideCsv(const std::string& csv_path, const std::string& market_csv,
                         const RunConfig& config);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_MARKET_PLOT_H_
