// deploy/grafana/gridledger.json queries only metrics the node defines: every
// gridledger_* name in a panel's PromQL is a name registered in net/ (a
// histogram's _bucket/_sum/_count series counting as its name), so a renamed
// metric breaks this test rather than a DSO's dashboard. Also checks the
// Prometheus config names the job and labels the dashboard filters on.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

enum class Kind { kCounter, kGauge, kHistogram, kSummary, kUnknown };

// Metric names registered in the node's sources: string literals
// "gridledger_..." in net/, each with the kind of the nearest builder call
// before it (prometheus-cpp BuildX(), or the transport's CounterFamily()).
std::map<std::string, Kind> DefinedMetrics() {
  std::map<std::string, Kind> defined;
  const std::regex literal("\"(gridledger_[a-z0-9_]+)\"");
  const std::vector<std::pair<std::string, Kind>> builders = {
      {"BuildCounter", Kind::kCounter},     {"BuildGauge", Kind::kGauge},
      {"BuildHistogram", Kind::kHistogram}, {"BuildSummary", Kind::kSummary},
      {"CounterFamily(", Kind::kCounter},   {"GaugeFamily(", Kind::kGauge}};
  const std::filesystem::path root = std::filesystem::path(GL_SOURCE_DIR) / "net";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    const std::string text = ReadFile(entry.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), literal);
         it != std::sregex_iterator(); ++it) {
      const size_t at = static_cast<size_t>(it->position(0));
      Kind kind = Kind::kUnknown;
      size_t nearest = 0;
      for (const auto& [token, k] : builders) {
        const size_t pos = text.rfind(token, at);
        if (pos != std::string::npos && pos >= nearest) {
          nearest = pos;
          kind = k;
        }
      }
      defined.emplace((*it)[1].str(), kind);
    }
  }
  return defined;
}

bool IsDefined(const std::string& name, const std::map<std::string, Kind>& defined) {
  if (defined.count(name) > 0) return true;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    auto it = defined.find(name.substr(0, name.size() - suffix.size()));
    if (it == defined.end()) continue;
    if (it->second == Kind::kHistogram) return true;
    if (it->second == Kind::kSummary && suffix != "_bucket") return true;
  }
  return false;
}

void CollectExprs(const nlohmann::json& node, std::vector<std::string>* exprs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) exprs->push_back(value.get<std::string>());
      else CollectExprs(value, exprs);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) CollectExprs(value, exprs);
  }
}

nlohmann::json Dashboard() {
  const std::string text =
      ReadFile(std::filesystem::path(GL_SOURCE_DIR) / "deploy/grafana/gridledger.json");
  return nlohmann::json::parse(text);  // throws (test fails) on malformed JSON
}

TEST(Dashboard, SourcesDefineTheNodeMetrics) {
  const auto defined = DefinedMetrics();
  // The scan itself must work, or every later check passes vacuously.
  ASSERT_GE(defined.size(), 10u);
  EXPECT_EQ(defined.at("gridledger_verify_batch_size"), Kind::kHistogram);
  EXPECT_EQ(defined.at("gridledger_round"), Kind::kGauge);
  EXPECT_EQ(defined.at("gridledger_transport_dials_total"), Kind::kCounter);
  EXPECT_FALSE(IsDefined("gridledger_round_count", defined));
  EXPECT_TRUE(IsDefined("gridledger_verify_batch_size_bucket", defined));
}

TEST(Dashboard, EveryQueriedMetricIsOneTheNodeDefines) {
  const auto defined = DefinedMetrics();
  std::vector<std::string> exprs;
  CollectExprs(Dashboard(), &exprs);
  ASSERT_GE(exprs.size(), 10u);
  const std::regex metric("gridledger_[a-z0-9_]+");
  std::set<std::string> queried;
  for (const std::string& expr : exprs) {
    bool any = false;
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric);
         it != std::sregex_iterator(); ++it) {
      queried.insert(it->str());
      EXPECT_TRUE(IsDefined(it->str(), defined)) << it->str() << " in: " << expr;
      any = true;
    }
    // The only other series a panel may read is Prometheus's own `up`.
    if (!any) {
      EXPECT_EQ(expr.rfind("up{", 0), 0u) << expr;
    }
  }
  // The areas each have a panel: throughput, rounds, commit lag,
  // verifier batch sizes and latency, peer links, rejections by reason.
  for (const char* name :
       {"gridledger_committed_transactions_total", "gridledger_round",
        "gridledger_last_committed_sequence", "gridledger_verify_batch_size_bucket",
        "gridledger_verify_batch_latency_seconds_bucket", "gridledger_transport_dials_total",
        "gridledger_transport_refused_wrong_chain_total"}) {
    EXPECT_EQ(queried.count(name), 1u) << name << " has no panel";
  }
}

TEST(Dashboard, PanelsHaveUniqueIdsAndTheSliceVariableExists) {
  const nlohmann::json dashboard = Dashboard();
  std::set<int> ids;
  for (const auto& panel : dashboard.at("panels")) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << panel.at("id");
    EXPECT_FALSE(panel.at("title").get<std::string>().empty());
  }
  bool has_slice = false;
  for (const auto& variable : dashboard.at("templating").at("list")) {
    has_slice |= variable.at("name") == "slice";
  }
  EXPECT_TRUE(has_slice);
}

TEST(Dashboard, PrometheusConfigHasTheJobAndLabelsTheDashboardUses) {
  const std::string config =
      ReadFile(std::filesystem::path(GL_SOURCE_DIR) / "deploy/prometheus/prometheus.yml");
  EXPECT_NE(config.find("job_name: gridledger"), std::string::npos);
  EXPECT_NE(config.find("slice:"), std::string::npos);
  EXPECT_NE(config.find("validator:"), std::string::npos);
  EXPECT_NE(config.find("metrics_path: /metrics"), std::string::npos);
}

}  // namespace
