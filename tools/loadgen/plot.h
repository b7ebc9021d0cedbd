// A picture of a benchmark run: the per-second CSV (SeriesCsv) drawn by
// gnuplot as a PNG beside it, committed and sent TPS in the top panel and
// latency p50/p99 in the bottom one. gnuplot (Debian gnuplot-nox) runs as a
// child process with a bounded time; without it the run says so and goes on,
// since the JSON and CSV carry the same numbers.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_PLOT_H_
#define GRIDLEDGER_TOOLS_LOADGEN_PLOT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/loadgen/report.h"

namespace gridledger::loadgen {

inline constexpr absl::Duration kGnuplotTimeout = absl::Seconds(30);

// 1-based column numbers of the series the plot draws, found by name in the
// CSV header line.
struct PlotColumns {
  int second = 0;
  int sent = 0;
  int committed = 0;
  int latency_p50_ms = 0;
  int latency_p99_ms = 0;
};
// InvalidArgument naming the first column the header lacks.
absl::StatusOr<PlotColumns> FindPlotColumns(absl::string_view csv_header);

// The gnuplot program that reads `csv_path` and writes `png_path`.
// InvalidArgument when a path or the title holds a control character
// (a gnuplot string cannot carry it).
absl::StatusOr<std::string> GnuplotScript(const std::string& csv_path,
                                          const std::string& png_path, const std::string& title,
                                          const PlotColumns& columns);

// "run.csv" -> "run.png"; any other name gets ".png" appended.
std::string PngPathFor(const std::string& csv_path);
// "4 validators x 1 slice, 1000 tx/s for 20s".
std::string PlotTitle(const RunConfig& config);

// The gnuplot executable on PATH; NotFound when there is none.
absl::StatusOr<std::string> FindGnuplot();

// Writes the script to `png_path` with ".gp" in place of ".png" (kept, so an
// operator can restyle the picture) and runs `gnuplot` on it. NotFound when
// the CSV cannot be read; InvalidArgument when it has no data row;
// DeadlineExceeded when gnuplot outlives `timeout` (it is killed); Internal
// when it exits non-zero (with its last output) or leaves no PNG.
absl::Status RenderPlot(const std::string& gnuplot, const std::string& csv_path,
                        const std::string& png_path, const std::string& title,
                        absl::Duration timeout);

// Writes `script` to `png_path` with ".gp" in place of ".png" and runs
// gnuplot on it; the errors of RenderPlot.
absl::Status RunGnuplotScript(const std::string& gnuplot, const std::string& script,
                              const std::string& png_path, absl::Duration timeout);

// A single-quoted gnuplot string; InvalidArgument (naming `what`) when
// `text` holds a control character.
absl::StatusOr<std::string> GnuplotQuote(absl::string_view text, absl::string_view what);

// The start of a two-panel PNG program (header comment naming `source`,
// terminal, output, CSV separator, multiplot with the title); `quoted_csv`
// gets the CSV path as a gnuplot string. The errors of GnuplotQuote.
absl::StatusOr<std::string> GnuplotTwoPanelHead(const std::string& csv_path,
                                                const std::string& png_path,
                                                const std::string& title,
                                                absl::string_view source,
                                                std::string* quoted_csv);

// What the cluster and loadgen commands call after writing the CSV: renders
// the PNG beside it and prints "plot: PATH", or "plot: skipped (REASON)"
// when gnuplot is absent or fails. Never fails the run.
void PlotBesideCsv(const std::string& csv_path, const RunConfig& config);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_PLOT_H_
