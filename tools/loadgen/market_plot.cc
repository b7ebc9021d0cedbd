#include "tools/loadgen/market_plot.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/loadgen/plot.h"

namespace gridledger::loadgen {

absl::StatusOr<std::string> MarketGnuplotScript(const std::string& csv_path,
                                                const std::string& png_path,
                                                const std::string& title, uint32_t slices) {
  std::string csv;
  auto head =
      GnuplotTwoPanelHead(csv_path, png_path, title, "tools/loadgen/market_plot.cc", &csv);
  if (!head.ok()) return head.status();
  // Columns: slice,interval,step,price_per_kwh,cleared_kwh,orders,trades. A
  // row of another slice, or an interval where nothing crossed (empty
  // price), is NaN: a gap, not a zero.
  const std::string last = absl::StrCat(slices == 0 ? 0 : slices - 1);
  const std::string price =
      "(column(1) == s && strlen(strcol(4)) > 0 ? column(4) : NaN)";
  const std::string volume = "(column(1) == s ? column(5) : NaN)";
  return absl::StrCat(
      *head,
      "set datafile missing ''\n",
      "set grid\n",
      "set key outside right top\n",
      // The same x range in both panels: the intervals, half a box either side.
      "stats ", csv, " skip 1 using 3 nooutput\n",
      "set xrange [STATS_min - 0.5 : STATS_max + 0.5]\n",
      "set xtics 1\n",
      "set xlabel 'market interval (from the first cleared)'\n",
      "set ylabel 'clearing price (per kWh)'\n",
      "plot for [s=0:", last, "] ", csv, " skip 1 using 3:", price,
      " with linespoints linewidth 2 pointtype 7 pointsize 0.7 title sprintf('slice %d', s)\n",
      "set ylabel 'cleared volume (kWh)'\n",
      "set yrange [0:*]\n",
      "set style fill solid 0.6\n",
      "set boxwidth 0.8 / ", slices == 0 ? 1 : slices, "\n",
      "plot for [s=0:", last, "] ", csv, " skip 1 using ($3 + (s - (", last,
      ") / 2.0) * 0.8 / ", slices == 0 ? 1 : slices, "):", volume,
      " with boxes title sprintf('slice %d', s)\n",
      "unset multiplot\n",
      "set output\n");
}

std::string MarketCsvPathFor(const std::string& csv_path) {
  absl::string_view stem = csv_path;
  absl::ConsumeSuffix(&stem, ".csv");
  return absl::StrCat(stem, "-market.csv");
}

void PlotMarketBesideCsv(const std::string& csv_path, const std::string& market_csv,
                         const RunConfig& config) {
  absl::Status s = WriteTextFile(csv_path, market_csv);
  if (s.ok() && market_csv.find('\n') + 1 >= market_csv.size()) {
    s = absl::InvalidArgumentError("no market interval was cleared");
  }
  const std::string png_path = PngPathFor(csv_path);
  auto gnuplot = FindGnuplot();
  if (s.ok()) s = gnuplot.status();
  if (s.ok()) {
    auto script = MarketGnuplotScript(csv_path, png_path,
                                      absl::StrCat("market: ", PlotTitle(config)), config.slices);
    s = script.ok() ? RunGnuplotScript(*gnuplot, *script, png_path, kGnuplotTimeout)
                    : script.status();
  }
  if (s.ok()) {
    std::printf("plot: %s (clearing price and volume per market interval)\n", png_path.c_str());
  } else {
    std::printf("plot: market skipped (%s)\n", std::string(s.message()).c_str());
  }
  std::fflush(stdout);
}

}  // namespace gridledger::loadgen
