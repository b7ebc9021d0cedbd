#include "tools/cluster_archives.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "core/common/status_macros.h"
#include "net/archive/archive_config.h"
#include "net/proto/ledger.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "storage/node_store.h"
#include "tools/loadgen/args.h"
#include "tools/loadgen/report.h"

namespace gridledger::tools {
namespace {

namespace pb = ::gridledger::v1;

absl::StatusOr<pb::NodeInfo> Info(const std::string& address) {
  auto stub = pb::Ledger::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  pb::NodeInfo info;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status status = stub->GetNodeInfo(&context, pb::GetNodeInfoRequest(), &info);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return info;
}

absl::StatusOr<std::unique_ptr<storage::NodeStore>> OpenStore(const std::string& dir) {
  storage::LmdbOptions options;
  options.dir = dir;
  auto store = storage::NodeStore::Open(options);
  if (!store.ok()) {
    return absl::Status(store.status().code(), absl::StrCat(dir, ": ", store.status().message()));
  }
  return store;
}

}  // namespace

absl::StatusOr<ArchiveKill> ParseArchiveKill(absl::string_view text) {
  const absl::Status bad = absl::InvalidArgumentError(
      absl::StrCat("--kill: '", text, "' is not aK@TIME (archive K, e.g. a0@5s)"));
  const size_t at = text.find('@');
  uint32_t index = 0;
  if (text.size() < 2 || text[0] != 'a' || at == absl::string_view::npos || at < 2 ||
      !std::isdigit(static_cast<unsigned char>(text[1])) ||
      !absl::SimpleAtoi(text.substr(1, at - 1), &index)) {
    return bad;
  }
  // The time as --kill=COUNT@TIME reads it.
  auto spec = loadgen::ParseKillSpec(absl::StrCat("1", text.substr(at)));
  if (!spec.ok()) return spec.status();
  return ArchiveKill{index, spec->at};
}

absl::StatusOr<std::vector<ClusterArchive>> WriteArchives(
    const std::string& dir, uint32_t count,
    const std::vector<std::vector<std::string>>& grpc_by_slice) {
  std::vector<ClusterArchive> out;
  for (uint32_t k = 0; k < count; ++k) {
    ClusterArchive a;
    a.index = k;
    a.data_dir = absl::StrCat(dir, "/archive-", k);
    archive::ArchiveConfig config;
    config.genesis_path = dir + "/genesis.toml";
    config.data_dir = a.data_dir;
    for (uint32_t s = 0; s < grpc_by_slice.size(); ++s) {
      const size_t n = grpc_by_slice[s].size();
      for (size_t i = 0; i < n; ++i) {
        auto hp = node::ParseHostPort(grpc_by_slice[s][(k + i) % n], "validator");
        if (!hp.ok()) return hp.status();
        config.sources.push_back(archive::ArchiveSource{s, *hp});
      }
    }
    // The archive picks its port; its ready line says which.
    config.grpc_address = node::HostPort{"127.0.0.1", 0};
    const std::string path = absl::StrCat(dir, "/archive-", k, ".toml");
    GL_RETURN_IF_ERROR(loadgen::WriteTextFile(path, archive::SerializeArchiveConfig(config)));
    a.process = std::make_unique<loadgen::ChildProcess>(
        "/proc/self/exe", std::vector<std::string>{"archive", absl::StrCat("--config=", path)},
        absl::StrCat(dir, "/archive-", k, ".log"));
    out.push_back(std::move(a));
  }
  return out;
}

absl::Status StartArchive(ClusterArchive& archive, const std::atomic<bool>* stop) {
  GL_RETURN_IF_ERROR(archive.process->Start());
  auto line = archive.process->WaitForLine(kArchiveReadyPrefix, kArchiveReadyTimeout, stop);
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat("archive a", archive.index, ": ", line.status().message()));
  }
  const size_t at = line->find("grpc=");
  if (at == std::string::npos) {
    return absl::InternalError(absl::StrCat("archive a", archive.index, ": no grpc= in ", *line));
  }
  archive.grpc_address = std::string(absl::StripAsciiWhitespace(line->substr(at + 5)));
  return absl::OkStatus();
}

bool DrainArchives(const std::vector<ClusterArchive>& archives,
                   const std::vector<std::vector<std::string>>& grpc_by_slice,
                   absl::Duration timeout, const std::atomic<bool>* stop, absl::Duration* took) {
  const absl::Time start = absl::Now();
  std::vector<uint64_t> target(grpc_by_slice.size(), 0);
  for (size_t s = 0; s < grpc_by_slice.size(); ++s) {
    for (const std::string& address : grpc_by_slice[s]) {
      if (auto info = Info(address); info.ok()) {
        target[s] = std::max<uint64_t>(target[s], info->last_committed_sequence());
      }
    }
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && !stop->load()) {
    bool drained = true;
    for (const ClusterArchive& a : archives) {
      if (!a.process->running()) continue;
      auto info = Info(a.grpc_address);
      if (!info.ok() || info->archive_slices_size() != static_cast<int>(target.size())) {
        drained = false;
        break;
      }
      for (const pb::ArchiveSliceInfo& s : info->archive_slices()) {
        if (s.last_committed_sequence() < target[s.slice()]) drained = false;
      }
    }
    *took = absl::Now() - start;
    if (drained) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  *took = absl::Now() - start;
  return false;
}

absl::StatusOr<ArchiveReport> CheckArchives(
    const std::vector<ClusterArchive>& archives,
    const std::vector<std::vector<std::string>>& store_dirs) {
  ArchiveReport report;
  report.archives = static_cast<uint32_t>(archives.size());
  report.executed_min = UINT64_MAX;
  for (size_t s = 0; s < store_dirs.size(); ++s) {
    std::vector<std::unique_ptr<storage::NodeStore>> validators;
    for (const std::string& dir : store_dirs[s]) {
      GL_ASSIGN_OR_RETURN(auto store, OpenStore(dir));
      validators.push_back(std::move(store));
    }
    for (const ClusterArchive& a : archives) {
      GL_ASSIGN_OR_RETURN(auto ours, OpenStore(absl::StrCat(a.data_dir, "/slice-", s)));
      const uint64_t held = ours->last_committed_sequence();
      report.executed_min = std::min(report.executed_min, held);
      auto disagree = [&](std::string why) {
        report.disagreements.push_back(absl::StrCat("archive a", a.index, " slice ", s, ": ", why));
      };
      GL_ASSIGN_OR_RETURN(Digest running, ours->StateRoot());
      GL_ASSIGN_OR_RETURN(Digest recomputed, ours->RecomputeStateRoot());
      if (running != recomputed) disagree("its state root is not the hash of its contents");
      for (size_t v = 0; v < validators.size(); ++v) {
        const uint64_t theirs = validators[v]->last_committed_sequence();
        if (theirs > held) {
          report.behind_commits = std::max(report.behind_commits, theirs - held);
          uint64_t txs = 0;  // in the commits the archive lacks (idle commits hold none)
          for (uint64_t seq = held + 1; seq <= theirs; ++seq) {
            GL_ASSIGN_OR_RETURN(storage::CommitMeta meta, validators[v]->GetCommit(seq));
            txs += meta.num_txs;
          }
          report.behind_transactions = std::max(report.behind_transactions, txs);
        }
        const uint64_t at = std::min(theirs, held);
        if (at == 0) {
          if (theirs > 0) disagree("followed no commit");
          continue;
        }
        GL_ASSIGN_OR_RETURN(Digest root_a, ours->StateRootAt(at));
        GL_ASSIGN_OR_RETURN(Digest root_v, validators[v]->StateRootAt(at));
        GL_ASSIGN_OR_RETURN(storage::CommitMeta meta_a, ours->GetCommit(at));
        GL_ASSIGN_OR_RETURN(storage::CommitMeta meta_v, validators[v]->GetCommit(at));
        if (root_a != root_v || meta_a.state_summary != meta_v.state_summary ||
            meta_a.anchor != meta_v.anchor) {
          disagree(absl::StrCat("differs from ", store_dirs[s][v], " at sequence ", at));
        }
      }
    }
  }
  if (report.executed_min == UINT64_MAX) report.executed_min = 0;
  report.agrees = report.disagreements.empty();
  report.done = true;
  return report;
}

std::string ArchiveSummaryText(const ArchiveReport& report) {
  if (report.archives == 0) return "";
  if (!report.done) return "archive: not checked\n";
  std::string out = absl::StrCat(
      "archive: ", report.archives, " archive(s) ",
      report.agrees ? "agree with" : "DISAGREE with", " the validators; ",
      report.behind_commits, " commit(s) (", report.behind_transactions,
      " transaction(s)) behind after drain; each holds >= ",
      report.executed_min, " commits per slice; drained in ",
      absl::FormatDuration(absl::Trunc(report.drain, absl::Milliseconds(1))), "\n");
  if (report.committed_txs > 0) {
    absl::StrAppend(&out, "archive: CPU ", absl::SixDigits(report.cpu_s), " s, ",
                    absl::SixDigits(report.cpu_s * 1e6 / static_cast<double>(report.committed_txs) /
                                    report.archives),
                    " us per committed tx per archive\n");
  }
  for (const std::string& line : report.disagreements) absl::StrAppend(&out, "  ", line, "\n");
  return out;
}

std::string WithArchiveJson(const std::string& json, const ArchiveReport& report) {
  if (report.archives == 0) return json;
  // `json` is ours (ResultJson); not one object means nothing to add to.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(json, nullptr, false);
  if (!doc.is_object()) return json;
  doc["archive"] = nlohmann::ordered_json{{"archives", report.archives},
                                          {"checked", report.done},
                                          {"agrees", report.agrees},
                                          {"behind_commits", report.behind_commits},
                                          {"behind_transactions", report.behind_transactions},
                                          {"executed_min", report.executed_min},
                                          {"drain_ms", absl::ToInt64Milliseconds(report.drain)},
                                          {"cpu_s", report.cpu_s},
                                          {"disagreements", report.disagreements.size()}};
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gridledger::tools
