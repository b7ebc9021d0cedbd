// Serves Prometheus text exposition on its own port (GET /metrics) through
// prometheus-cpp's Exposer. Exceptions from the embedded HTTP server stay
// inside: callers see absl::Status.
#ifndef GRIDLEDGER_NET_METRICS_METRICS_SERVER_H_
#define GRIDLEDGER_NET_METRICS_METRICS_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace gridledger::net {

// HTTP worker threads; scrapes are rare and cheap.
inline constexpr size_t kMetricsServerThreads = 2;

class MetricsServer {
 public:
  // bind_address is "ip:port"; port 0 lets the OS pick (read it with port()).
  // Unavailable when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& bind_address);

  uint16_t port() const { return port_; }
  // The server keeps a weak reference: the caller owns `collectable`.
  void Register(const std::shared_ptr<prometheus::Collectable>& collectable);
  // Returns once no scrape is reading `collectable`.
  void Unregister(const std::shared_ptr<prometheus::Collectable>& collectable);

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, uint16_t port)
      : exposer_(std::move(exposer)), port_(port) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_;
};

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_METRICS_METRICS_SERVER_H_
