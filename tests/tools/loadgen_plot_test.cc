// The benchmark picture: the gnuplot program written from the CSV header,
// gnuplot run with a bound on its time and its exit status checked, and (when
// gnuplot is installed) a real PNG from a real series.
#include "tools/loadgen/plot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/stats.h"

namespace gridledger::loadgen {
namespace {

// A fresh directory for one test, removed when it ends.
class ScopedDir {
 public:
  explicit ScopedDir(const std::string& name)
      : path_(absl::StrCat(testing::TempDir(), "/plot_", name, "_", getpid())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string SampleCsv() {
  TimeSeries series;
  for (int s = 0; s < 6; ++s) {
    SecondBucket& b = series.At(static_cast<int64_t>(s) * 1'000'000'000);
    b.sent = 100;
    b.committed = s == 2 ? 0 : 90 + s;  // second 2: no commit, so no latency
    if (b.committed > 0) b.latencies_us = {20'000u + 1000u * s, 45'000u + 3000u * s};
  }
  return SeriesCsv(series);
}

TEST(Plot, ColumnsAreFoundByNameInTheSeriesHeader) {
  const std::string csv = SampleCsv();
  auto columns = FindPlotColumns(csv.substr(0, csv.find('\n')));
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_EQ(columns->second, 1);
  EXPECT_EQ(columns->sent, 2);
  EXPECT_EQ(columns->committed, 3);
  EXPECT_EQ(columns->latency_p50_ms, 5);
  EXPECT_EQ(columns->latency_p99_ms, 6);

  auto reordered = FindPlotColumns("latency_p99_ms,committed,second,latency_p50_ms,sent\n");
  ASSERT_TRUE(reordered.ok());
  EXPECT_EQ(reordered->latency_p99_ms, 1);
  EXPECT_EQ(reordered->sent, 5);

  auto missing = FindPlotColumns("second,sent,committed,latency_p50_ms");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("latency_p99_ms"), std::string::npos);
}

TEST(Plot, ScriptReadsTheCsvAndWritesThePng) {
  const PlotColumns columns{1, 2, 3, 5, 6};
  auto script = GnuplotScript("/tmp/run's.csv", "/tmp/run.png", "4 validators", columns);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_NE(script->find("set terminal pngcairo"), std::string::npos);
  EXPECT_NE(script->find("set output '/tmp/run.png'\n"), std::string::npos);
  // A quote in a path is doubled, as gnuplot's single-quoted strings want.
  EXPECT_NE(script->find("plot '/tmp/run''s.csv' skip 1 using 1:3 "), std::string::npos);
  EXPECT_NE(script->find("using 1:2 "), std::string::npos);  // sent
  // Latency only where the second has commits.
  EXPECT_NE(script->find("using 1:((column(3) > 0) ? column(5) : NaN)"), std::string::npos);
  EXPECT_NE(script->find("using 1:((column(3) > 0) ? column(6) : NaN)"), std::string::npos);
  EXPECT_NE(script->find("set multiplot layout 2,1 title '4 validators'"), std::string::npos);

  EXPECT_EQ(GnuplotScript("/tmp/a\nset output 'x'", "/tmp/run.png", "t", columns)
                .status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GnuplotScript("/tmp/a.csv", "/tmp/run.png", "t\x1b", columns).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Plot, PngLiesBesideTheCsv) {
  EXPECT_EQ(PngPathFor("build/demo.csv"), "build/demo.png");
  EXPECT_EQ(PngPathFor("series"), "series.png");
  RunConfig config;
  config.validators = 4;
  config.slices = 1;
  config.rate_per_s = 1000;
  config.duration = absl::Seconds(20);
  EXPECT_EQ(PlotTitle(config), "4 validators x 1 slice, 1000 tx/s for 20s");
  config.slices = 2;
  config.faults = "kill 1@2s";
  EXPECT_EQ(PlotTitle(config), "4 validators x 2 slices, 1000 tx/s for 20s, faults: kill 1@2s");
}

TEST(Plot, HeaderOnlyCsvIsNotPlotted) {
  const ScopedDir scoped("empty");
  const std::string& dir = scoped.path();
  ASSERT_TRUE(WriteTextFile(dir + "/run.csv", SeriesCsv(TimeSeries())).ok());
  absl::Status s = RenderPlot("/bin/true", dir + "/run.csv", dir + "/run.png", "t",
                              absl::Seconds(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(RenderPlot("/bin/true", dir + "/absent.csv", dir + "/run.png", "t", absl::Seconds(5))
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(Plot, PlotterExitStatusAndMissingPngAreErrors) {
  const ScopedDir scoped("status");
  const std::string& dir = scoped.path();
  ASSERT_TRUE(WriteTextFile(dir + "/run.csv", SampleCsv()).ok());
  absl::Status failed = RenderPlot("/bin/false", dir + "/run.csv", dir + "/run.png", "t",
                                   absl::Seconds(10));
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << failed;
  EXPECT_NE(failed.message().find("exited with 1"), std::string::npos) << failed;
  // Exit 0 without a picture is not success either.
  absl::Status no_png = RenderPlot("/bin/true", dir + "/run.csv", dir + "/run.png", "t",
                                   absl::Seconds(10));
  EXPECT_EQ(no_png.code(), absl::StatusCode::kInternal) << no_png;
  EXPECT_TRUE(std::filesystem::exists(dir + "/run.gp"));  // the script is kept
}

TEST(Plot, PlotterThatHangsIsKilledAtTheBound) {
  const ScopedDir scoped("hang");
  const std::string& dir = scoped.path();
  ASSERT_TRUE(WriteTextFile(dir + "/run.csv", SampleCsv()).ok());
  const std::string hang = dir + "/hang.sh";
  ASSERT_TRUE(WriteTextFile(hang, "#!/bin/sh\nexec sleep 60\n").ok());
  ASSERT_EQ(chmod(hang.c_str(), 0755), 0);
  const absl::Time start = absl::Now();
  absl::Status s = RenderPlot(hang, dir + "/run.csv", dir + "/run.png", "t",
                              absl::Milliseconds(300));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));  // killed, not waited for
}

TEST(Plot, GnuplotDrawsAPng) {
  auto gnuplot = FindGnuplot();
  if (!gnuplot.ok()) GTEST_SKIP() << gnuplot.status().message();
  const ScopedDir scoped("real");
  const std::string& dir = scoped.path();
  ASSERT_TRUE(WriteTextFile(dir + "/run.csv", SampleCsv()).ok());
  absl::Status s = RenderPlot(*gnuplot, dir + "/run.csv", dir + "/run.png", "sample run",
                              kGnuplotTimeout);
  ASSERT_TRUE(s.ok()) << s;
  std::ifstream in(dir + "/run.png", std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  EXPECT_EQ(std::memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0);
  EXPECT_GT(std::filesystem::file_size(dir + "/run.png"), 1000u);
}

}  // namespace
}  // namespace gridledger::loadgen
