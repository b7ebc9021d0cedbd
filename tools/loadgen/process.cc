#include "tools/loadgen/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gridledger::loadgen {

ChildProcess::~ChildProcess() {
  if (running()) Stop(absl::Seconds(5));
}

absl::Status ChildProcess::Start() {
  if (running()) return absl::FailedPreconditionError(absl::StrCat(binary_, " already runs"));
  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::UnavailableError(absl::StrCat(log_path_, ": ", std::strerror(errno)));
  }
  struct stat st;
  log_offset_ = fstat(log_fd, &st) == 0 ? st.st_size : 0;
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary_.c_str()));
  for (std::string& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the harness died already
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    // A fresh signal mask and dispositions: the harness may block or catch signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(const std::string& prefix,
                                                      absl::Duration timeout,
                                                      const std::atomic<bool>* stop) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::ifstream in(log_path_, std::ios::binary);
    in.seekg(log_offset_);
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StartsWith(line, prefix) && !in.eof()) return line;  // a whole line
    }
    if (!running()) return absl::AbortedError(absl::StrCat(binary_, " is not running"));
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::AbortedError(absl::StrCat("process exited (status ", status,
                                             ") before printing '", prefix, "'; see ",
                                             log_path_));
    }
    if (stop != nullptr && stop->load()) return absl::AbortedError("stopped");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no '", prefix, "' line within ",
                                                      absl::FormatDuration(timeout), "; see ",
                                                      log_path_));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

bool ChildProcess::Reap(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void ChildProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  Reap(absl::InfiniteDuration());
}

void ChildProcess::Stop(absl::Duration grace) {
  if (!running()) return;
  kill(pid_, SIGTERM);
  if (Reap(grace)) return;
  Kill();
}

bool ParseProcStat(absl::string_view stat, ThreadCpu* out) {
  // "pid (comm) state ...": the name may hold spaces and parentheses, so it
  // ends at the last ')'. utime and stime are the 14th and 15th fields of
  // the whole line.
  const size_t open_paren = stat.find('(');
  const size_t close_paren = stat.rfind(')');
  if (open_paren == absl::string_view::npos || close_paren == absl::string_view::npos ||
      close_paren < open_paren || close_paren + 2 > stat.size()) {
    return false;
  }
  std::vector<absl::string_view> fields = absl::StrSplit(stat.substr(close_paren + 2), ' ');
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return false;
  }
  out->name = std::string(stat.substr(open_paren + 1, close_paren - open_paren - 1));
  out->cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return true;
}

namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

double ChildProcess::CpuSeconds() const {
  if (!running()) return 0;
  ThreadCpu cpu;
  return ParseProcStat(ReadWhole(absl::StrCat("/proc/", pid_, "/stat")), &cpu) ? cpu.cpu_s : 0;
}

absl::flat_hash_map<pid_t, ThreadCpu> ChildProcess::ThreadCpuSeconds() const {
  absl::flat_hash_map<pid_t, ThreadCpu> threads;
  if (!running()) return threads;
  // A thread may end between listing and reading: it is skipped. The
  // error_code forms throughout: the process may exit while it is listed.
  std::error_code error;
  for (std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid_, "/task"), error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    pid_t tid = 0;
    if (!absl::SimpleAtoi(it->path().filename().string(), &tid)) continue;
    ThreadCpu cpu;
    if (ParseProcStat(ReadWhole(it->path().string() + "/stat"), &cpu)) threads[tid] = cpu;
  }
  return threads;
}

}  // namespace gridledger::loadgen
