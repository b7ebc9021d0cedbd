#include "net/transport/frame.h"

#include "absl/strings/str_cat.h"

namespace gridledger::net {

FrameHeader EncodeFrameHeader(uint32_t payload_bytes) {
  return FrameHeader{static_cast<uint8_t>(payload_bytes >> 24),
                     static_cast<uint8_t>(payload_bytes >> 16),
                     static_cast<uint8_t>(payload_bytes >> 8),
                     static_cast<uint8_t>(payload_bytes)};
}

uint32_t DecodeFrameHeader(const FrameHeader& header) {
  return (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
         (uint32_t{header[2]} << 8) | uint32_t{header[3]};
}

absl::Status CheckFrameLength(uint64_t payload_bytes, size_t max_frame_bytes) {
  if (payload_bytes > max_frame_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame length ", payload_bytes,
                                                   " exceeds max_frame_bytes ",
                                                   max_frame_bytes));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::net
