// Raw bytes held in a std::string (protobuf `bytes` fields, gRPC payloads)
// viewed as bytes, and bytes copied into one. One place for the cast that
// every service and client of the ledger API needs.
#ifndef GRIDLEDGER_CORE_COMMON_STRING_BYTES_H_
#define GRIDLEDGER_CORE_COMMON_STRING_BYTES_H_

#include <cstdint>
#include <string>

#include "core/common/bytes.h"

namespace gridledger {

// A view of `s`'s bytes; valid while `s` lives unchanged.
inline ByteSpan SpanOf(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string StringOf(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_STRING_BYTES_H_
