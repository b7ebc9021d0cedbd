// `gridledger cluster --archives=A`: A archive processes (`gridledger archive`)
// beside the validators, each following every slice from all its validators.
// After the run: drained (bounded wait until each archive has the commits
// the validators had when the load ended), then, with every process
// stopped, their stores compared with the validators' stores.
//   agrees:         every archive's every slice has, at the last sequence
//                   both hold, the validators' state root and state summary
//                   (so the same accounts, results, nonce hold and market),
//                   and its running root equals the hash of its contents.
//   behind_commits: per slice, the validators' last commit minus the
//                   archive's, the largest over archives and slices, and
//                   the transactions those commits hold.
#ifndef GRIDLEDGER_TOOLS_CLUSTER_ARCHIVES_H_
#define GRIDLEDGER_TOOLS_CLUSTER_ARCHIVES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/loadgen/process.h"

namespace gridledger::tools {

inline constexpr char kArchiveReadyPrefix[] = "gridledger archive ready";
inline constexpr uint32_t kMaxClusterArchives = 8;
inline constexpr absl::Duration kArchiveDrainTimeout = absl::Seconds(30);
inline constexpr absl::Duration kArchiveReadyTimeout = absl::Seconds(60);

struct ClusterArchive {
  uint32_t index = 0;
  std::string grpc_address;
  std::string data_dir;
  std::unique_ptr<loadgen::ChildProcess> process;
};

// --kill=aK@TIME: archive K dies at TIME after the load starts.
struct ArchiveKill {
  uint32_t index = 0;
  absl::Duration at;
};
// InvalidArgument naming the form for anything but "a<K>@<duration>".
absl::StatusOr<ArchiveKill> ParseArchiveKill(absl::string_view text);

// Writes archive-K.toml for K < count (every validator of every slice a
// source, starting with validator K mod n so archives spread their reads).
absl::StatusOr<std::vector<ClusterArchive>> WriteArchives(
    const std::string& dir, uint32_t count,
    const std::vector<std::vector<std::string>>& grpc_by_slice);

// Starts (or restarts) `archive` and waits for its ready line, which names
// the port it serves on (grpc_address is set from it).
absl::Status StartArchive(ClusterArchive& archive, const std::atomic<bool>* stop);

// Until every running archive reports, for every slice, at least the last
// commit the running validators of `grpc_by_slice` report now; false at
// the timeout or on `stop`. `took`: how long the wait was.
bool DrainArchives(const std::vector<ClusterArchive>& archives,
                   const std::vector<std::vector<std::string>>& grpc_by_slice,
                   absl::Duration timeout, const std::atomic<bool>* stop, absl::Duration* took);

struct ArchiveReport {
  bool done = false;
  uint32_t archives = 0;
  bool agrees = false;
  uint64_t behind_commits = 0;
  // Transactions in those commits: the archives stop first, so a validator's
  // idle (empty) commit made meanwhile shows in behind_commits only.
  uint64_t behind_transactions = 0;
  uint64_t executed_min = 0;     // the fewest commits an archive holds of a slice
  absl::Duration drain;          // from the load's end until every archive had caught up
  // CPU (user + system) of the archive processes as they stop (a restarted
  // one: since its restart), and the transactions the run committed.
  double cpu_s = 0;
  uint64_t committed_txs = 0;
  std::vector<std::string> disagreements;  // one line each
};

// With every process stopped: the archives' stores against `store_dirs`
// (the validators' stores, by slice).
absl::StatusOr<ArchiveReport> CheckArchives(const std::vector<ClusterArchive>& archives,
                                            const std::vector<std::vector<std::string>>& store_dirs);

// "archive: 1 archive(s) agree with the validators, 0 commits behind" (and
// the disagreements); empty without archives.
std::string ArchiveSummaryText(const ArchiveReport& report);
// `json` (one JSON object) with "archive": {...} added as its last member.
std::string WithArchiveJson(const std::string& json, const ArchiveReport& report);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_CLUSTER_ARCHIVES_H_
