#include "tools/loadgen/free_ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace gridledger::loadgen {
namespace {

// Ports below this are left to services.
constexpr uint32_t kLowestPort = 10'000;
constexpr size_t kMaxProbesPerPort = 64;

// The first port of the kernel's ephemeral range, 32768 when unreadable.
uint32_t EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t low = 0, high = 0;
  if (in >> low >> high && low > 0) return low;
  return 32'768;
}

// Binds 127.0.0.1:`port` (0: any); returns the fd and sets `port`, or -1.
int BindLoopback(uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

absl::StatusOr<std::vector<uint16_t>> FreePorts(size_t count) {
  // All held at once while choosing, so they differ; released at the end.
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  absl::flat_hash_set<uint16_t> taken;
  const uint32_t low = EphemeralLow();
  const bool below = low > kLowestPort + 1'000;
  std::random_device seed;
  std::mt19937 rng(seed());
  std::uniform_int_distribution<uint32_t> pick(kLowestPort, below ? low - 1 : kLowestPort);
  for (size_t i = 0; i < count; ++i) {
    int fd = -1;
    for (size_t probe = 0; probe < kMaxProbesPerPort && fd < 0; ++probe) {
      uint16_t port = below ? static_cast<uint16_t>(pick(rng)) : 0;
      if (taken.contains(port)) continue;
      fd = BindLoopback(port);
      if (fd >= 0) {
        taken.insert(port);
        ports.push_back(port);
      }
    }
    if (fd < 0) break;
    fds.push_back(fd);
  }
  for (int fd : fds) close(fd);
  if (ports.size() < count) {
    return absl::UnavailableError(
        absl::StrCat("found only ", ports.size(), " of ", count, " free loopback ports"));
  }
  return ports;
}

}  // namespace gridledger::loadgen
