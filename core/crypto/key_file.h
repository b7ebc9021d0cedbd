// A key file: one BIP-340 secret key as 64 hex digits (surrounding
// whitespace ignored), as `gridledger keys new --out=FILE` writes it. Read by
// the node (its validator key) and by the CLI commands that sign.
#ifndef GRIDLEDGER_CORE_CRYPTO_KEY_FILE_H_
#define GRIDLEDGER_CORE_CRYPTO_KEY_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/schnorr.h"

namespace gridledger {

inline constexpr size_t kMaxKeyFileBytes = 1024;

// The key in `path`. Errors name `what` and the path: ReadFileBounded's
// (NotFound when it cannot be opened, InvalidArgument over kMaxKeyFileBytes),
// InvalidArgument when it holds no valid secret key.
absl::StatusOr<KeyPair> ReadKeyFile(const std::string& path, absl::string_view what = "key file");

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_CRYPTO_KEY_FILE_H_
