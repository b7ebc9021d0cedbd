#include "core/crypto/key_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"

namespace gridledger {

absl::StatusOr<KeyPair> ReadKeyFile(const std::string& path, absl::string_view what) {
  GL_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, kMaxKeyFileBytes, what));
  auto hex = HexDecodeFixed<32>(absl::StripAsciiWhitespace(text), what);
  if (!hex.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", hex.status().message()));
  }
  auto key = KeyPair::FromSecret(SecretKey(*hex));
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  }
  return *key;
}

}  // namespace gridledger
