// End to end: `gridledger cluster` starts four real validator processes on
// loopback, drives them with the load generator and checks their stores.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

// The integer after "\"key\":" in a flat scan of the JSON (keys used here
// are unique in the document); -1 when absent.
int64_t JsonInt(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return -1;
  size_t end = at + needle.size();
  while (end < json.size() && (isdigit(json[end]) || json[end] == '.')) ++end;
  double value = 0;
  if (!absl::SimpleAtod(json.substr(at + needle.size(), end - at - needle.size()), &value)) {
    return -1;
  }
  return static_cast<int64_t>(value);
}

struct ClusterRun {
  int exit_code = -1;
  std::string json;
  std::string output;
};

ClusterRun RunCluster(const std::string& extra_args) {
  char dir_template[] = "/tmp/gridledger-e2e-XXXXXX";
  EXPECT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string json_path = dir + "/result.json";
  const std::string log_path = dir + "/output.txt";
  const std::string command =
      absl::StrCat(GL_GRIDLEDGER_BINARY, " cluster --validators=4 --slices=1 --duration=6s ",
                   "--rate=200 --drain=10s --json=", json_path, " ", extra_args, " > ", log_path,
                   " 2>&1");
  ClusterRun run;
  const int status = std::system(command.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream json(json_path);
  std::stringstream text;
  text << json.rdbuf();
  run.json = text.str();
  std::ifstream out(log_path);
  std::stringstream out_text;
  out_text << out.rdbuf();
  run.output = out_text.str();
  std::remove(json_path.c_str());
  std::remove(log_path.c_str());
  rmdir(dir.c_str());
  return run;
}

TEST(ClusterE2E, FourValidatorsCommitAndAgree) {
  const ClusterRun run = RunCluster("");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(JsonInt(run.json, "sent"), 1200) << run.json;
  EXPECT_GT(JsonInt(run.json, "committed"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "done"), -1);  // a bool, not an integer
  EXPECT_NE(run.json.find("\"done\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "stores"), 4) << run.json;
  EXPECT_EQ(JsonInt(run.json, "result_mismatches"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "state_mismatches"), 0) << run.json;
  EXPECT_NE(run.output.find(" SUMMARY:"), std::string::npos) << run.output;
}

TEST(ClusterE2E, KilledAndRestartedValidatorHoldsEveryCommit) {
  const ClusterRun run = RunCluster("--kill=1@2s --restart=4s");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_NE(run.output.find("SIGKILL validator 0/3"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("restart validator 0/3"), std::string::npos) << run.output;
  EXPECT_GT(JsonInt(run.json, "committed"), 0) << run.json;
  // Every transaction acknowledged as committed is in all four stores, with
  // the same result and position.
  EXPECT_NE(run.json.find("\"done\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "stores"), 4) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost_missing_from_store"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "result_mismatches"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "state_mismatches"), 0) << run.json;
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
