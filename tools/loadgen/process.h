// A child process the cluster harness started: spawned with its stdout and
// stderr appended to a log file, stopped by pid only. The child gets
// PR_SET_PDEATHSIG(SIGKILL), so it cannot outlive a harness that is itself
// killed.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_PROCESS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gridledger::loadgen {

// One thread of a process: its name (comm) and user + system CPU seconds.
struct ThreadCpu {
  std::string name;
  double cpu_s = 0;
};
// Parses a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line; false when
// it does not have the fields.
bool ParseProcStat(absl::string_view stat, ThreadCpu* out);

class ChildProcess {
 public:
  ChildProcess(std::string binary, std::vector<std::string> args, std::string log_path)
      : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~ChildProcess();  // stops the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts (or restarts) the child; FailedPrecondition while it runs.
  absl::Status Start();
  // Waits until the log, from where this start began, has a line starting
  // with `prefix` (returned). DeadlineExceeded after `timeout`; Aborted when
  // the child exits first or `stop` is set.
  absl::StatusOr<std::string> WaitForLine(const std::string& prefix, absl::Duration timeout,
                                          const std::atomic<bool>* stop);
  // SIGKILL now (fault injection); reaps the child.
  void Kill();
  // SIGTERM, then SIGKILL when it has not exited after `grace`; reaps it.
  void Stop(absl::Duration grace);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // user + system CPU seconds of the running child (/proc/<pid>/stat); 0 when not running.
  double CpuSeconds() const;
  // Each live thread of the running child by thread id (/proc/<pid>/task);
  // empty when not running. A thread that ended is not listed, and its CPU
  // is then only in CpuSeconds().
  absl::flat_hash_map<pid_t, ThreadCpu> ThreadCpuSeconds() const;
  const std::string& log_path() const { return log_path_; }

 private:
  bool Reap(absl::Duration timeout);

  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  long log_offset_ = 0;  // log size when the current run started
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_PROCESS_H_
