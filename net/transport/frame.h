// Wire framing shared by every peer connection: a u32 big-endian payload
// length, then the payload. The length is checked against a per-transport
// maximum before any payload byte is buffered, so a peer cannot make us
// allocate more than that bound.
#ifndef GRIDLEDGER_NET_TRANSPORT_FRAME_H_
#define GRIDLEDGER_NET_TRANSPORT_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace gridledger::net {

inline constexpr size_t kFrameHeaderBytes = 4;
using FrameHeader = std::array<uint8_t, kFrameHeaderBytes>;

// Largest frame a transport accepts unless configured otherwise: a full batch
// (batch_bytes defaults well below this) plus headroom.
inline constexpr size_t kDefaultMaxFrameBytes = size_t{4} << 20;
// Hard ceiling for any configuration: the length prefix is a u32.
inline constexpr size_t kMaxConfigurableFrameBytes = uint32_t{0xFFFFFFFF};

FrameHeader EncodeFrameHeader(uint32_t payload_bytes);
uint32_t DecodeFrameHeader(const FrameHeader& header);

// OK when payload_bytes <= max_frame_bytes; otherwise InvalidArgument
// "frame length N exceeds max_frame_bytes M".
absl::Status CheckFrameLength(uint64_t payload_bytes, size_t max_frame_bytes);

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_TRANSPORT_FRAME_H_
