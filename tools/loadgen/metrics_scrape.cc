#include "tools/loadgen/metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gridledger::loadgen {

absl::StatusOr<double> SumMetric(absl::string_view exposition, absl::string_view name) {
  double sum = 0;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) continue;
    const absl::string_view rest = line.substr(name.size());
    // The name must end here: a label set or the value follows.
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      return absl::InvalidArgumentError(absl::StrCat("metrics line '", line, "': bad value"));
    }
    sum += value;
    found = true;
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no metric ", name));
  return sum;
}

absl::StatusOr<double> ScrapeMetricSum(const std::string& host_port, absl::string_view name) {
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
  return SumMetric(absl::string_view(response).substr(body + 4), name);
}

}  // namespace gridledger::loadgen
