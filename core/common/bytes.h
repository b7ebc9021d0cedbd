// Byte buffers, strict hex, and a bounds-checked big-endian reader/writer used by
// every wire format (transactions, consensus messages, storage records).
#ifndef GRIDLEDGER_CORE_COMMON_BYTES_H_
#define GRIDLEDGER_CORE_COMMON_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace gridledger {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;

std::string HexEncode(ByteSpan bytes);
// Strict: even length, [0-9a-fA-F] only. InvalidArgument names `field`.
absl::StatusOr<Bytes> HexDecode(absl::string_view hex,
                                absl::string_view field = "hex");
// Decodes exactly N bytes or fails with a reason naming `field`.
template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> HexDecodeFixed(absl::string_view hex,
                                                      absl::string_view field);

// Appends big-endian integers and raw bytes.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) { Be(v, 2); }
  void U32(uint32_t v) { Be(v, 4); }
  void U64(uint64_t v) { Be(v, 8); }
  void Raw(ByteSpan bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }
  // u32 length prefix, then bytes.
  void VarBytes(ByteSpan bytes) {
    U32(static_cast<uint32_t>(bytes.size()));
    Raw(bytes);
  }

 private:
  void Be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes* out_;
};

// ByteWriter's big-endian form for a fixed-size key or record: `v`'s low
// `n` bytes into out[0..n), nothing to grow or allocate.
inline void PutBigEndian(uint64_t v, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
}

// Reads big-endian integers; every failure is InvalidArgument naming the field
// ("truncated: <field> needs N bytes, M left").
class ByteReader {
 public:
  explicit ByteReader(ByteSpan in) : in_(in) {}
  absl::StatusOr<uint8_t> U8(absl::string_view field);
  absl::StatusOr<uint16_t> U16(absl::string_view field);
  absl::StatusOr<uint32_t> U32(absl::string_view field);
  absl::StatusOr<uint64_t> U64(absl::string_view field);
  absl::StatusOr<ByteSpan> Raw(size_t size, absl::string_view field);
  template <size_t N>
  absl::StatusOr<std::array<uint8_t, N>> Fixed(absl::string_view field) {
    auto span = Raw(N, field);
    if (!span.ok()) return span.status();
    std::array<uint8_t, N> out;
    std::copy(span->begin(), span->end(), out.begin());
    return out;
  }
  // u32 length prefix (at most max_size bytes), then bytes.
  absl::StatusOr<ByteSpan> VarBytes(size_t max_size, absl::string_view field);
  // InvalidArgument "trailing bytes after <what>" unless everything was read.
  absl::Status ExpectEnd(absl::string_view what) const;
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  absl::StatusOr<uint64_t> Be(int n, absl::string_view field);
  ByteSpan in_;
  size_t pos_ = 0;
};

template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> HexDecodeFixed(absl::string_view hex,
                                                      absl::string_view field) {
  auto bytes = HexDecode(hex, field);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != N) {
    return absl::InvalidArgumentError(
        std::string(field) + ": expected " + std::to_string(N) + " bytes, got " +
        std::to_string(bytes->size()));
  }
  std::array<uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_BYTES_H_
