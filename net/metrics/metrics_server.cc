#include "net/metrics/metrics_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace gridledger::net {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& bind_address) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(bind_address, kMetricsServerThreads);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", bind_address, ": ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.size() != 1 || ports[0] <= 0 || ports[0] > 0xFFFF) {
    return absl::UnavailableError(absl::StrCat("metrics: ", bind_address, " bound ",
                                               ports.size(), " ports, expected one"));
  }
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), static_cast<uint16_t>(ports[0])));
}

void MetricsServer::Register(const std::shared_ptr<prometheus::Collectable>& collectable) {
  exposer_->RegisterCollectable(collectable);
}

void MetricsServer::Unregister(const std::shared_ptr<prometheus::Collectable>& collectable) {
  exposer_->RemoveCollectable(collectable);
}

}  // namespace gridledger::net
