#include "core/common/bytes.h"

#include "absl/strings/str_cat.h"

namespace gridledger {
namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string HexEncode(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

absl::StatusOr<Bytes> HexDecode(absl::string_view hex, absl::string_view field) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": odd number of hex digits (", hex.size(), ")"));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": not a hex digit at offset ", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

absl::StatusOr<uint64_t> ByteReader::Be(int n, absl::string_view field) {
  if (remaining() < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "truncated: ", field, " needs ", n, " bytes, ", remaining(), " left"));
  }
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | in_[pos_ + i];
  pos_ += n;
  return v;
}

absl::StatusOr<uint8_t> ByteReader::U8(absl::string_view field) {
  auto v = Be(1, field);
  if (!v.ok()) return v.status();
  return static_cast<uint8_t>(*v);
}
absl::StatusOr<uint16_t> ByteReader::U16(absl::string_view field) {
  auto v = Be(2, field);
  if (!v.ok()) return v.status();
  return static_cast<uint16_t>(*v);
}
absl::StatusOr<uint32_t> ByteReader::U32(absl::string_view field) {
  auto v = Be(4, field);
  if (!v.ok()) return v.status();
  return static_cast<uint32_t>(*v);
}
absl::StatusOr<uint64_t> ByteReader::U64(absl::string_view field) { return Be(8, field); }

absl::StatusOr<ByteSpan> ByteReader::Raw(size_t size, absl::string_view field) {
  if (remaining() < size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "truncated: ", field, " needs ", size, " bytes, ", remaining(), " left"));
  }
  ByteSpan out = in_.subspan(pos_, size);
  pos_ += size;
  return out;
}

absl::StatusOr<ByteSpan> ByteReader::VarBytes(size_t max_size, absl::string_view field) {
  auto size = U32(field);
  if (!size.ok()) return size.status();
  if (*size > max_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "out of range: ", field, " length ", *size, " exceeds ", max_size));
  }
  return Raw(*size, field);
}

absl::Status ByteReader::ExpectEnd(absl::string_view what) const {
  if (remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("trailing bytes: ", remaining(), " after ", what));
  }
  return absl::OkStatus();
}

}  // namespace gridledger
