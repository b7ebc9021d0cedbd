#include "tools/loadgen/metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gridledger::loadgen {

namespace {

// One sample line of `name`: its label text (without braces) and value.
// False when the line is another metric's.
struct Sample {
  absl::string_view labels;
  absl::string_view value;
};
std::optional<Sample> ParseSample(absl::string_view line, absl::string_view name) {
  if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) return std::nullopt;
  absl::string_view rest = line.substr(name.size());
  // The name must end here: a label set or the value follows.
  if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) return std::nullopt;
  Sample sample;
  if (rest[0] == '{') {
    const size_t close = rest.find('}');
    if (close == absl::string_view::npos) return std::nullopt;
    sample.labels = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  }
  const size_t space = line.rfind(' ');
  sample.value = space == absl::string_view::npos ? absl::string_view() : line.substr(space + 1);
  return sample;
}

// The value of label `key` in `labels` (a="x",b="y"); empty when absent.
absl::string_view LabelValue(absl::string_view labels, absl::string_view key) {
  for (absl::string_view pair : absl::StrSplit(labels, ',')) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || pair.substr(0, eq) != key) continue;
    absl::string_view v = pair.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  }
  return {};
}

absl::Status BadValue(absl::string_view line) {
  return absl::InvalidArgumentError(absl::StrCat("metrics line '", line, "': bad value"));
}

}  // namespace

absl::StatusOr<double> SumMetric(absl::string_view exposition, absl::string_view name) {
  return SumMetricWhere(exposition, name, "", "");
}

absl::StatusOr<double> SumMetricWhere(absl::string_view exposition, absl::string_view name,
                                      absl::string_view label, absl::string_view value) {
  double sum = 0;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    const std::optional<Sample> sample = ParseSample(line, name);
    if (!sample.has_value()) continue;
    if (!label.empty() && LabelValue(sample->labels, label) != value) continue;
    double v = 0;
    if (!absl::SimpleAtod(sample->value, &v)) return BadValue(line);
    sum += v;
    found = true;
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no metric ", name));
  return sum;
}

absl::StatusOr<HistogramBuckets> ReadHistogram(absl::string_view exposition,
                                               absl::string_view name, absl::string_view label,
                                               absl::string_view value) {
  const std::string bucket_name = absl::StrCat(name, "_bucket");
  std::vector<std::pair<double, double>> buckets;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    const std::optional<Sample> sample = ParseSample(line, bucket_name);
    if (!sample.has_value() || LabelValue(sample->labels, label) != value) continue;
    const absl::string_view le = LabelValue(sample->labels, "le");
    double upper = 0, count = 0;
    if (le == "+Inf") {
      upper = std::numeric_limits<double>::infinity();
    } else if (!absl::SimpleAtod(le, &upper)) {
      return BadValue(line);
    }
    if (!absl::SimpleAtod(sample->value, &count)) return BadValue(line);
    buckets.emplace_back(upper, count);
  }
  if (buckets.empty()) {
    return absl::NotFoundError(absl::StrCat("no histogram ", name, "{", label, "=", value, "}"));
  }
  std::sort(buckets.begin(), buckets.end());
  HistogramBuckets out;
  for (const auto& [upper, count] : buckets) {
    out.upper.push_back(upper);
    out.cumulative.push_back(count);
  }
  return out;
}

std::optional<double> QuantileBetween(const HistogramBuckets& before,
                                      const HistogramBuckets& after, double q) {
  const size_t n = after.upper.size();
  if (n == 0 || after.cumulative.size() != n ||
      (!before.upper.empty() && before.upper != after.upper)) {
    return std::nullopt;
  }
  auto count = [&](size_t i) {
    return after.cumulative[i] - (before.upper.empty() ? 0.0 : before.cumulative[i]);
  };
  const double total = count(n - 1);
  if (total <= 0) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * total;
  for (size_t i = 0; i < n; ++i) {
    if (count(i) < rank) continue;
    if (std::isinf(after.upper[i])) return i > 0 ? after.upper[i - 1] : 0.0;
    const double lower = i > 0 ? after.upper[i - 1] : 0.0;
    const double below = i > 0 ? count(i - 1) : 0.0;
    const double in_bucket = count(i) - below;
    if (in_bucket <= 0) return after.upper[i];
    return lower + (after.upper[i] - lower) * (rank - below) / in_bucket;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> FetchMetrics(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  uint32_t port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) ||
      port == 0 || port > 65535 || inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("metrics address '", host_port, "'"));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("socket failed");
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string response;
  absl::Status status;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    status = absl::UnavailableError(absl::StrCat(host_port, ": connect: ", std::strerror(errno)));
  } else {
    const std::string request =
        absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      status = absl::UnavailableError(absl::StrCat(host_port, ": send failed"));
    }
    char buffer[16384];
    while (status.ok()) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      response.append(buffer, static_cast<size_t>(n));
      if (response.size() > kMaxScrapeBytes) {
        status = absl::ResourceExhaustedError(absl::StrCat(host_port, ": metrics too large"));
      }
    }
  }
  close(fd);
  if (!status.ok()) return status;
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return absl::UnavailableError(host_port + ": no HTTP body");
  return response.substr(body + 4);
}

absl::StatusOr<double> ScrapeMetricSum(const std::string& host_port, absl::string_view name) {
  auto text = FetchMetrics(host_port);
  if (!text.ok()) return text.status();
  return SumMetric(*text, name);
}

}  // namespace gridledger::loadgen
