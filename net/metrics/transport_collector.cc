#include "net/metrics/transport_collector.h"

#include <cstdint>
#include <string>

#include "core/common/check.h"

namespace gridledger::net {
namespace {

// One sample, no labels: a counter or a gauge.
prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                uint64_t value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Gauge) {
    metric.gauge.value = static_cast<double>(value);
  } else {
    metric.counter.value = static_cast<double>(value);
  }
  family.metric.push_back(metric);
  return family;
}

prometheus::MetricFamily CounterFamily(const char* name, const char* help, uint64_t value) {
  return Family(name, help, prometheus::MetricType::Counter, value);
}

prometheus::MetricFamily GaugeFamily(const char* name, const char* help, uint64_t value) {
  return Family(name, help, prometheus::MetricType::Gauge, value);
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
                    "Handshakes refused (TLS, chain id, unknown key, bad signature, malformed, timeout)",
                    c.handshakes_refused),
      CounterFamily("gridledger_transport_refused_tls_total",
                    "Inbound or outbound TLS handshakes that failed", c.refused_tls),
      CounterFamily("gridledger_transport_refused_wrong_chain_total",
                    "Peers refused for authenticating on another chain id",
                    c.refused_wrong_chain),
      CounterFamily("gridledger_transport_refused_unknown_key_total",
                    "Peers refused for a key outside the committee",
                    c.refused_unknown_key),
      CounterFamily("gridledger_transport_refused_bad_signature_total",
                    "Peers refused for an auth signature that does not verify on its "
                    "TLS session (forged, relayed or replayed)",
                    c.refused_bad_signature),
      CounterFamily("gridledger_transport_handshake_timeouts_total",
                    "Connections closed for not authenticating within the deadline",
                    c.handshake_timeouts),
      CounterFamily("gridledger_transport_preauth_evictions_total",
                    "Unauthenticated connections closed to admit a newer one "
                    "(per-source or total pre-auth limit)",
                    c.preauth_evictions),
      CounterFamily("gridledger_transport_log_lines_suppressed_total",
                    "Log lines about unauthenticated connections dropped by the rate bound",
                    c.log_lines_suppressed),
      CounterFamily("gridledger_transport_oversized_frames_total",
                    "Connections closed for a frame over max_frame_bytes",
                    c.oversized_frames),
      CounterFamily("gridledger_transport_queue_full_rejections_total",
                    "Sends refused because the peer's send queue was full",
                    c.queue_full_rejections),
      CounterFamily("gridledger_transport_frames_lost_on_disconnect_total",
                    "Frames in a socket write when its connection failed",
                    c.frames_lost_on_disconnect),
      GaugeFamily("gridledger_transport_queued_frames",
                  "Frames waiting in the peers' send queues", c.queued_frames),
      GaugeFamily("gridledger_transport_queued_bytes",
                  "Payload bytes waiting in the peers' send queues (bounded per peer by "
                  "send_queue_max_bytes)",
                  c.queued_bytes),
  };
}

}  // namespace gridledger::net
