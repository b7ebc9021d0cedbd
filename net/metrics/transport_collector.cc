#include "net/metrics/transport_collector.h"

#include <cstdint>
#include <string>

#include "core/common/check.h"

namespace gridledger::net {
namespace {

prometheus::MetricFamily CounterFamily(const char* name, const char* help,
                                       uint64_t value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric metric;
  metric.counter.value = static_cast<double>(value);
  family.metric.push_back(metric);
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> TransportCollector::Collect() const {
  GL_CHECK(transport_ != nullptr);
  const TransportCounters c = transport_->counters();
  return {
      CounterFamily("gridledger_transport_frames_in_total", "Frames received from peers",
                    c.frames_in),
      CounterFamily("gridledger_transport_frames_out_total", "Frames written to peers",
                    c.frames_out),
      CounterFamily("gridledger_transport_payload_bytes_in_total",
                    "Payload bytes received from peers", c.payload_bytes_in),
      CounterFamily("gridledger_transport_payload_bytes_out_total",
                    "Payload bytes written to peers", c.payload_bytes_out),
      CounterFamily("gridledger_transport_dials_total", "Outbound connection attempts",
                    c.dials),
      CounterFamily("gridledger_transport_handshakes_ok_total",
                    "Connections authenticated", c.handshakes_ok),
      CounterFamily("gridledger_transport_handshakes_refused_total",
                    "Handshakes refused (unknown key, bad signature, malformed, timeout)",
                    c.handshakes_refused),
      CounterFamily("gridledger_transport_oversized_frames_total",
                    "Connections closed for a frame over max_frame_bytes",
                    c.oversized_frames),
      CounterFamily("gridledger_transport_queue_full_rejections_total",
                    "Sends refused because the peer's send queue was full",
                    c.queue_full_rejections),
      CounterFamily("gridledger_transport_frames_lost_on_disconnect_total",
                    "Frames in a socket write when its connection failed",
                    c.frames_lost_on_disconnect),
  };
}

}  // namespace gridledger::net
