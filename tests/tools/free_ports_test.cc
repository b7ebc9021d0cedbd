#include "tools/loadgen/free_ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

namespace gridledger::loadgen {
namespace {

TEST(FreePorts, DistinctBindablePortsOutsideTheEphemeralRange) {
  uint32_t low = 0, high = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  auto ports = FreePorts(24);
  ASSERT_TRUE(ports.ok()) << ports.status();
  ASSERT_EQ(ports->size(), 24u);
  EXPECT_EQ(std::set<uint16_t>(ports->begin(), ports->end()).size(), 24u);
  for (uint16_t port : *ports) {
    EXPECT_GE(port, 10'000);
    // Below the range outgoing connections draw from (when it leaves room).
    if (low > 11'000) {
      EXPECT_LT(port, low);
    }
  }
  // Free once returned: each can be bound again. A port another process
  // takes in between is the race this reduces, not removes, so a failed
  // bind is counted, not asserted per port.
  size_t bound = 0;
  for (uint16_t port : *ports) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) ++bound;
    close(fd);
  }
  EXPECT_GE(bound, 23u);
}

}  // namespace
}  // namespace gridledger::loadgen
