// End to end: `gridledger cluster` starts four real validator processes on
// loopback, drives them with the load generator and checks their stores.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
  std::string csv;  // second,sent,committed,...
};

// Transactions committed in the CSV rows of seconds >= `from_second`.
int64_t CommittedFrom(const std::string& csv, int64_t from_second) {
  int64_t total = 0;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    int64_t second = 0, sent = 0, committed = 0;
    if (std::sscanf(line.c_str(), "%ld,%ld,%ld", &second, &sent, &committed) == 3 &&
        second >= from_second) {
      total += committed;
    }
  }
  return total;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ClusterRun RunCluster(const std::string& extra_args, const std::string& duration = "6s",
                      int slices = 1) {
  char dir_template[] = "/tmp/gridledger-e2e-XXXXXX";
  EXPECT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string json_path = dir + "/result.json";
  const std::string log_path = dir + "/output.txt";
  const std::string csv_path = dir + "/series.csv";
  const std::string command =
      absl::StrCat(GL_GRIDLEDGER_BINARY, " cluster --validators=4 --slices=", slices, " --duration=",
                   duration, " --rate=200 --drain=10s --json=", json_path, " --csv=", csv_path,
                   " ", extra_args, " > ", log_path,
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
  run.csv = ReadAll(csv_path);
  std::remove(csv_path.c_str());
  std::remove(json_path.c_str());
  std::remove(log_path.c_str());
  rmdir(dir.c_str());
  return run;
}

// Every commit the load generator saw is in each of `stores` stores, with the
// same result and position, and the stores agree at their common commits.
void ExpectStoresAgree(const ClusterRun& run, int stores) {
  EXPECT_NE(run.json.find("\"done\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "stores"), stores) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost_missing_from_store"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "result_mismatches"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "state_mismatches"), 0) << run.json;
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
  // Issue 12 item 6: the bound from this run, the steady window's cost and
  // the nodes' latency anatomy reach the summary and the JSON.
  EXPECT_NE(run.output.find(" Verification bound (measured this run): "), std::string::npos)
      << run.output;
  EXPECT_NE(run.json.find("\"verification_bound\":{\"tps\":"), std::string::npos) << run.json;
  EXPECT_NE(run.json.find("\"tps_to_bound\":"), std::string::npos) << run.json;
  EXPECT_NE(run.output.find("(steady window): "), std::string::npos) << run.output;
  EXPECT_NE(run.json.find("\"measured\":true"), std::string::npos) << run.json;
  EXPECT_NE(run.output.find("Latency anatomy (own batches, steady window"), std::string::npos)
      << run.output;
  EXPECT_NE(run.json.find("\"admit\":{\"count\":"), std::string::npos) << run.json;
  // Issue 12 item 5: the load generator's own CPU over its steady window,
  // submitting over the stream (node counters came over gRPC: see "admit").
  EXPECT_NE(run.output.find(" Load generator CPU (this process, steady window "),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.json.find("\"loadgen_cpu\":{\"measured\":true,\"submit_path\":\"stream\""),
            std::string::npos)
      << run.json;
}

// Issue 10: the microgrid market on four real validators with 2 s
// intervals: intervals clear with trades and settle, money is conserved on
// every store, and the stores agree (market figures and state summaries).
TEST(ClusterE2E, MicrogridMarketClearsSettlesAndConservesMoney) {
  const ClusterRun run = RunCluster("--workload=microgrid --prosumers=12", "20s");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GT(JsonInt(run.json, "intervals_cleared"), 0) << run.json;
  EXPECT_GT(JsonInt(run.json, "trades"), 0) << run.json;
  EXPECT_GT(JsonInt(run.json, "cleared_wh"), 0) << run.json;
  EXPECT_GT(JsonInt(run.json, "settled_intervals"), 0) << run.json;
  EXPECT_GT(JsonInt(run.json, "orders"), 0) << run.json;
  EXPECT_NE(run.json.find("\"money_conserved\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "stores_read"), 4) << run.json;
  EXPECT_EQ(JsonInt(run.json, "disagreements"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  ExpectStoresAgree(run, 4);
  EXPECT_NE(run.output.find(" + MARKET"), std::string::npos) << run.output;
}

TEST(ClusterE2E, KilledAndRestartedValidatorHoldsEveryCommit) {
  const ClusterRun run = RunCluster("--kill=1@2s --restart=4s");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_NE(run.output.find("SIGKILL validator 0/3"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("restart validator 0/3"), std::string::npos) << run.output;
  EXPECT_GT(JsonInt(run.json, "committed"), 0) << run.json;
  // Every transaction acknowledged as committed is in all four stores, with
  // the same result and position.
  ExpectStoresAgree(run, 4);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

// Issue 8: one real Byzantine process (every behaviour) cannot stop the
// three honest ones; the load goes to honest validators only.
TEST(ClusterE2E, ByzantineValidatorCannotStopTheHonestOnes) {
  char dir_template[] = "/tmp/gridledger-e2e-byz-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = std::string(dir_template) + "/cluster";
  const ClusterRun run = RunCluster("--byzantine=1 --dir=" + dir);
  const std::string byzantine_log = ReadAll(dir + "/node-0-3.log");
  std::string honest_logs;
  for (int i = 0; i < 3; ++i) honest_logs += ReadAll(absl::StrCat(dir, "/node-0-", i, ".log"));
  std::filesystem::remove_all(dir_template);
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // It really misbehaved, and the honest validators refused what it sent.
  EXPECT_NE(byzantine_log.find("TEST ONLY: Byzantine validator 3, behaviours equivocate,"
                               "oversize_headers,garbage_frames,withhold_batches,flood_batches"),
            std::string::npos) << byzantine_log.substr(0, 2000);
  EXPECT_NE(honest_logs.find("consensus refused"), std::string::npos);
  EXPECT_EQ(JsonInt(run.json, "sent"), 1200) << run.json;
  // The honest validators keep committing to the end of the load. (The 95%
  // of issue 8 is measured by the 20 s demo in docs/reliability.md; on a
  // contended CI machine the flood's cost varies, so the bound here only
  // catches a halt or a collapse.)
  EXPECT_GE(JsonInt(run.json, "committed"), 900) << run.json;  // >= 75%
  EXPECT_GT(CommittedFrom(run.csv, 4), 0) << run.csv;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  ExpectStoresAgree(run, 3);  // honest stores only
}

// Issue 9: a short seeded chaos campaign (kills restarted within ~1.5 s,
// pauses up to 2 s, never more than f = 1 down): nothing acknowledged is lost
// (ACCEPTED is durable: a killed validator restores what it acknowledged),
// every acknowledged commit is in all four stores, and the stores agree.
TEST(ClusterE2E, ChaosCampaignKeepsEveryStoreInAgreement) {
  const ClusterRun run = RunCluster("--chaos=1", "20s");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_NE(run.output.find("SIGKILL+restart down"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("SIGSTOP/SIGCONT down"), std::string::npos) << run.output;
  EXPECT_NE(run.json.find("\"fault_log\":[\"t="), std::string::npos) << run.json;
  EXPECT_EQ(run.output.find("never ready"), std::string::npos) << run.output;
  EXPECT_GT(JsonInt(run.json, "committed"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  ExpectStoresAgree(run, 4);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace

// Issue 11 item 3: an archive beside the validators, killed and restarted
// mid-run, ends equal to them (agrees) with nothing of the load missing.
TEST(ClusterE2E, KilledAndRestartedArchiveAgreesWithTheValidators) {
  const ClusterRun run = RunCluster("--archives=1 --kill=a0@2s --restart=4s");
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_NE(run.output.find("SIGKILL archive a0"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("restart archive a0"), std::string::npos) << run.output;
  EXPECT_NE(run.json.find("\"agrees\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "behind_transactions"), 0) << run.json;
  EXPECT_GT(JsonInt(run.json, "executed_min"), 0) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

// Issue 11 items 2 and 3 together: two slices with cross-slice transfers and
// an archive following both; it agrees with every validator's store (receipt
// imports included) and every receipt sent is credited.
TEST(ClusterE2E, ArchiveFollowsTwoSlicesWithCrossSliceTransfers) {
  const ClusterRun run = RunCluster("--archives=1 --cross_slice_percent=30", "6s", 2);
  ASSERT_FALSE(run.json.empty()) << run.output;
  EXPECT_NE(run.json.find("\"agrees\":true"), std::string::npos) << run.json;
  EXPECT_EQ(JsonInt(run.json, "behind_transactions"), 0) << run.json;
  const size_t cross = run.json.find("\"cross_slice\":");
  ASSERT_NE(cross, std::string::npos) << run.json;
  const std::string cross_json = run.json.substr(cross);
  EXPECT_GT(JsonInt(cross_json, "credited"), 0) << run.json;
  EXPECT_EQ(JsonInt(cross_json, "credited"), JsonInt(cross_json, "sent")) << run.json;
  EXPECT_EQ(JsonInt(run.json, "lost"), 0) << run.json;
  EXPECT_EQ(run.exit_code, 0) << run.output;
}
