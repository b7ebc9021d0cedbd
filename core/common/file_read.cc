#include "core/common/file_read.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace gridledger {

absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes,
                                            absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot open"));
  constexpr size_t kChunkBytes = size_t{64} << 10;
  std::string text;
  while (in) {
    const size_t old_size = text.size();
    // One byte past the bound is enough to know the file is too large.
    const size_t want = std::min(kChunkBytes, max_bytes + 1 - old_size);
    text.resize(old_size + want);
    in.read(text.data() + old_size, static_cast<std::streamsize>(want));
    text.resize(old_size + static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", path, ": larger than ", max_bytes, " bytes"));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(what, " ", path, ": read error"));
  return text;
}

}  // namespace gridledger
