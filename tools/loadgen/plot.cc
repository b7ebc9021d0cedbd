#include "tools/loadgen/plot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gridledger::loadgen {
namespace {

constexpr size_t kOutputTailBytes = 2048;  // of gnuplot's output, kept for the error
constexpr int kPollPeriodMs = 50;
constexpr char kPngSignature[] = "\x89PNG\r\n\x1a\n";

}  // namespace

// A single-quoted gnuplot string: '' stands for one quote, nothing else is
// special. Control characters cannot be written in one.
absl::StatusOr<std::string> GnuplotQuote(absl::string_view text, absl::string_view what) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("plot: ", what, " holds a control character"));
    }
  }
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

namespace {

bool HasPngSignature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof(head));
  return in.gcount() == 8 && std::memcmp(head, kPngSignature, 8) == 0;
}

// Runs `argv` with stdout and stderr into a pipe; returns its exit code.
// `output` gets the last kOutputTailBytes it wrote.
absl::StatusOr<int> RunBounded(const std::vector<std::string>& args, absl::Duration timeout,
                               std::string* output) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {  // async-signal-safe calls only until exec
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  const absl::Time deadline = absl::Now() + timeout;
  auto keep = [output](const char* data, ssize_t n) {
    output->append(data, static_cast<size_t>(n));
    if (output->size() > kOutputTailBytes) output->erase(0, output->size() - kOutputTailBytes);
  };
  char buf[512];
  bool pipe_open = true;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(fds[0]);
      return absl::DeadlineExceededError(
          absl::StrCat(args[0], " did not finish within ", absl::FormatDuration(timeout)));
    }
    if (!pipe_open) {
      usleep(kPollPeriodMs * 1000);
      continue;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, kPollPeriodMs) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) keep(buf, n);
    if (n == 0 || (n < 0 && errno != EINTR)) pipe_open = false;
  }
  // The child has exited: what is left in the pipe is bounded by its size.
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  for (ssize_t n; pipe_open && (n = read(fds[0], buf, sizeof(buf))) > 0;) keep(buf, n);
  close(fds[0]);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

absl::StatusOr<PlotColumns> FindPlotColumns(absl::string_view csv_header) {
  csv_header = absl::StripAsciiWhitespace(csv_header);
  const std::vector<absl::string_view> names = absl::StrSplit(csv_header, ',');
  PlotColumns c;
  const std::pair<const char*, int*> wanted[] = {
      {"second", &c.second},
      {"sent", &c.sent},
      {"committed", &c.committed},
      {"latency_p50_ms", &c.latency_p50_ms},
      {"latency_p99_ms", &c.latency_p99_ms}};
  for (const auto& [name, column] : wanted) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) *column = static_cast<int>(i) + 1;
    }
    if (*column == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("plot: the CSV header has no column ", name));
    }
  }
  return c;
}

absl::StatusOr<std::string> GnuplotTwoPanelHead(const std::string& csv_path,
                                                const std::string& png_path,
                                                const std::string& title,
                                                absl::string_view source,
                                                std::string* quoted_csv) {
  auto csv = GnuplotQuote(csv_path, "the CSV path");
  if (!csv.ok()) return csv.status();
  auto png = GnuplotQuote(png_path, "the PNG path");
  if (!png.ok()) return png.status();
  auto quoted_title = GnuplotQuote(title, "the title");
  if (!quoted_title.ok()) return quoted_title.status();
  *quoted_csv = *csv;
  return absl::StrCat(
      "# Written by gridledger (", source, "); run `gnuplot FILE` to redraw.\n",
      "set terminal pngcairo size 1200,800 font 'sans,10'\n",
      "set output ", *png, "\n",
      "set datafile separator ','\n",
      "set multiplot layout 2,1 title ", *quoted_title, "\n");
}

absl::StatusOr<std::string> GnuplotScript(const std::string& csv_path,
                                          const std::string& png_path, const std::string& title,
                                          const PlotColumns& c) {
  std::string csv;
  auto head = GnuplotTwoPanelHead(csv_path, png_path, title, "tools/loadgen/plot.cc", &csv);
  if (!head.ok()) return head.status();
  // Seconds without a commit have no latency: drawn as gaps (NaN), not zeros.
  const std::string has_commits = absl::StrCat("(column(", c.committed, ") > 0)");
  return absl::StrCat(
      *head,
      "set grid\n",
      "set key top left\n",
      "set xlabel 'seconds since the load started'\n",
      "set ylabel 'transactions per second'\n",
      "set yrange [0:*]\n",
      "plot ", csv, " skip 1 using ", c.second, ":", c.committed,
      " with lines linewidth 2 title 'committed', \\\n",
      "     '' skip 1 using ", c.second, ":", c.sent,
      " with lines dashtype 2 title 'sent'\n",
      "set ylabel 'commit latency (ms)'\n",
      "plot ", csv, " skip 1 using ", c.second, ":(", has_commits, " ? column(",
      c.latency_p50_ms, ") : NaN) with linespoints pointtype 7 pointsize 0.5 title 'p50', \\\n",
      "     '' skip 1 using ", c.second, ":(", has_commits, " ? column(", c.latency_p99_ms,
      ") : NaN) with linespoints pointtype 7 pointsize 0.5 title 'p99'\n",
      "unset multiplot\n",
      "set output\n");
}

std::string PngPathFor(const std::string& csv_path) {
  absl::string_view stem = csv_path;
  absl::ConsumeSuffix(&stem, ".csv");
  return absl::StrCat(stem, ".png");
}

std::string PlotTitle(const RunConfig& config) {
  const std::string load = config.workload == "transfer"
                               ? absl::StrCat(config.rate_per_s, " tx/s")
                               : config.workload;
  return absl::StrCat(config.validators, " validators x ", config.slices,
                      config.slices == 1 ? " slice, " : " slices, ", load,
                      " for ", absl::FormatDuration(config.duration),
                      config.faults.empty() ? "" : ", faults: ", config.faults);
}

absl::StatusOr<std::string> FindGnuplot() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/gnuplot");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError("gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
}

absl::Status RenderPlot(const std::string& gnuplot, const std::string& csv_path,
                        const std::string& png_path, const std::string& title,
                        absl::Duration timeout) {
  std::ifstream in(csv_path);
  std::string header, first_row;
  if (!in || !std::getline(in, header)) {
    return absl::NotFoundError(absl::StrCat(csv_path, ": cannot read"));
  }
  if (!std::getline(in, first_row) || absl::StripAsciiWhitespace(first_row).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(csv_path, ": no data rows to plot"));
  }
  auto columns = FindPlotColumns(header);
  if (!columns.ok()) return columns.status();
  auto script = GnuplotScript(csv_path, png_path, title, *columns);
  if (!script.ok()) return script.status();
  return RunGnuplotScript(gnuplot, *script, png_path, timeout);
}

absl::Status RunGnuplotScript(const std::string& gnuplot, const std::string& script,
                              const std::string& png_path, absl::Duration timeout) {
  absl::string_view stem = png_path;
  absl::ConsumeSuffix(&stem, ".png");
  const std::string script_path = absl::StrCat(stem, ".gp");
  if (absl::Status s = WriteTextFile(script_path, script); !s.ok()) return s;
  std::remove(png_path.c_str());  // a stale picture must not pass for this run's
  std::string output;
  auto code = RunBounded({gnuplot, script_path}, timeout, &output);
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("gnuplot exited with ", *code, ": ", absl::StripAsciiWhitespace(output)));
  }
  if (!HasPngSignature(png_path)) {
    return absl::InternalError(absl::StrCat("gnuplot left no PNG at ", png_path));
  }
  return absl::OkStatus();
}

void PlotBesideCsv(const std::string& csv_path, const RunConfig& config) {
  const std::string png_path = PngPathFor(csv_path);
  auto gnuplot = FindGnuplot();
  absl::Status s = gnuplot.status();
  if (gnuplot.ok()) s = RenderPlot(*gnuplot, csv_path, png_path, PlotTitle(config), kGnuplotTimeout);
  if (s.ok()) {
    std::printf("plot: %s (committed TPS and latency p50/p99 per second)\n", png_path.c_str());
  } else {
    std::printf("plot: skipped (%s)\n", std::string(s.message()).c_str());
  }
  std::fflush(stdout);
}

}  // namespace gridledger::loadgen
