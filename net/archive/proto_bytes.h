// Raw bytes in proto `bytes` fields (std::string) and back.
#ifndef GRIDLEDGER_NET_ARCHIVE_PROTO_BYTES_H_
#define GRIDLEDGER_NET_ARCHIVE_PROTO_BYTES_H_

#include <string>

#include "core/common/bytes.h"

namespace gridledger::archive {

inline ByteSpan SpanOf(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string StringOf(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_PROTO_BYTES_H_
