// The chaos runner (tools/loadgen/chaos.h) against real child processes:
// kills are restarted and waited for, pauses resumed, a fault beyond
// max_down is skipped and says so, and the end of the load ends every fault.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>
#include <string>

#include "absl/synchronization/notification.h"
#include "tools/loadgen/chaos.h"

namespace gridledger::loadgen {
namespace {

constexpr char kReady[] = "child ready";

// The state letter of /proc/<pid>/stat ('T' while stopped); '?' if unreadable.
char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Waits (bounded) until `pid`'s state is or is not 'T'.
bool WaitStopped(pid_t pid, bool stopped) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if ((ProcState(pid) == 'T') == stopped) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

class ChaosRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/gridledger-chaos-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    for (uint32_t i = 0; i < 2; ++i) {
      children_.push_back(std::make_unique<ChildProcess>(
          "/bin/sh", std::vector<std::string>{"-c", "echo child ready; exec sleep 60"},
          dir_ + "/child-" + std::to_string(i) + ".log"));
      ASSERT_TRUE(children_.back()->Start().ok());
      ASSERT_TRUE(children_.back()->WaitForLine(kReady, absl::Seconds(10), nullptr).ok());
      targets_.push_back(ChaosTarget{0, i, children_.back().get()});
    }
  }
  void TearDown() override {
    for (auto& c : children_) c->Stop(absl::Seconds(5));
    std::filesystem::remove_all(dir_);
  }
  ChaosRunOptions Options(uint32_t max_down, const absl::Notification* finish) {
    ChaosRunOptions o;
    o.start = absl::Now();
    o.ready_prefix = kReady;
    o.ready_timeout = absl::Seconds(10);
    o.max_down = max_down;
    o.finish = finish;
    return o;
  }

  std::string dir_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
  std::vector<ChaosTarget> targets_;
};

TEST_F(ChaosRunnerTest, KillsRestartAndPausesResume) {
  const pid_t first_pid = children_[0]->pid();
  const std::vector<PlannedFault> plan = {
      {absl::Milliseconds(50), 0, 0, FaultKind::kKill, absl::Milliseconds(200), false},
      {absl::Milliseconds(50), 0, 1, FaultKind::kPause, absl::Milliseconds(200), false},
  };
  const std::vector<InjectedFault> log = RunChaos(plan, targets_, Options(2, nullptr));
  ASSERT_EQ(log.size(), 2u);
  for (const InjectedFault& f : log) {
    EXPECT_TRUE(f.skipped.empty()) << DescribeFault(f);
    EXPECT_TRUE(f.error.empty()) << DescribeFault(f);
    EXPECT_GE(f.ended - f.started, absl::Milliseconds(200)) << DescribeFault(f);
  }
  EXPECT_GE(log[0].ready_after, absl::ZeroDuration());  // the restart printed its line
  ASSERT_TRUE(children_[0]->running());
  EXPECT_NE(children_[0]->pid(), first_pid);
  // The paused child runs again.
  ASSERT_TRUE(children_[1]->running());
  EXPECT_TRUE(WaitStopped(children_[1]->pid(), false)) << ProcState(children_[1]->pid());
}

TEST_F(ChaosRunnerTest, AFaultBeyondMaxDownIsSkippedAndSaysSo) {
  const std::vector<PlannedFault> plan = {
      {absl::Milliseconds(10), 0, 0, FaultKind::kPause, absl::Milliseconds(300), false},
      {absl::Milliseconds(20), 0, 1, FaultKind::kPause, absl::Milliseconds(100), false},
  };
  const std::vector<InjectedFault> log = RunChaos(plan, targets_, Options(1, nullptr));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(log[0].skipped.empty());
  EXPECT_EQ(log[1].skipped, "1 of its slice still down or restarting");
  EXPECT_NE(DescribeFault(log[1]).find("skipped"), std::string::npos);
}

TEST_F(ChaosRunnerTest, TheEndOfTheLoadEndsEveryFaultAtOnce) {
  const std::vector<PlannedFault> plan = {
      {absl::Milliseconds(10), 0, 0, FaultKind::kKill, absl::Seconds(60), false},
      {absl::Milliseconds(10), 0, 1, FaultKind::kPause, absl::Seconds(60), true},
      {absl::Seconds(50), 0, 1, FaultKind::kPause, absl::Seconds(1), false},  // never starts
  };
  absl::Notification finish;
  const pid_t paused = children_[1]->pid();
  bool saw_pause = false;
  std::thread ender([&] {
    // The load "ends" while both are down (the kill comes first in the plan).
    saw_pause = WaitStopped(paused, true);
    finish.Notify();
  });
  const absl::Time start = absl::Now();
  const std::vector<InjectedFault> log = RunChaos(plan, targets_, Options(1, &finish));
  ender.join();
  EXPECT_TRUE(saw_pause);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  ASSERT_EQ(log.size(), 2u);  // the third was never injected
  EXPECT_TRUE(log[0].error.empty()) << DescribeFault(log[0]);
  EXPECT_GE(log[0].ready_after, absl::ZeroDuration());
  EXPECT_LT(log[1].ended - log[1].started, absl::Seconds(10));
  EXPECT_TRUE(children_[0]->running());
  EXPECT_TRUE(WaitStopped(paused, false)) << ProcState(paused);
}

}  // namespace
}  // namespace gridledger::loadgen
