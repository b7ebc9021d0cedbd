// `gridledger keys new [--out=FILE]` and `gridledger keys show FILE`.
//
// A key file holds one BIP-340 secret key: 64 lowercase hex digits and a
// newline, mode 0600. Flags are parsed here, not as global Abseil flags, so
// their names cannot collide with other subcommands'.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/crypto/schnorr.h"
#include "tools/command.h"
#include "tools/file_util.h"

namespace gridledger::tools {
namespace {

constexpr char kUsage[] =
    "usage: gridledger keys new [--out=FILE]   fresh secret key; FILE gets it (mode 0600)\n"
    "       gridledger keys show FILE          the x-only public key of a key file\n";
constexpr size_t kMaxKeyFileBytes = 128;

int Fail(const std::string& message) {
  std::fprintf(stderr, "gridledger keys: %s\n", message.c_str());
  return 1;
}

int New(int argc, char** argv) {
  std::string out;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--out=") && !arg.empty()) {
      out = std::string(arg);
    } else {
      std::fprintf(stderr, "%s", kUsage);
      return 2;
    }
  }
  const KeyPair key = KeyPair::Generate();
  if (out.empty()) {
    std::printf("secret %s\npublic %s\n", key.secret().Hex().c_str(),
                key.public_key().Hex().c_str());
    return 0;
  }
  std::string error;
  if (!WriteNewFile(out, key.secret().Hex() + "\n", 0600, &error)) return Fail(error);
  std::printf("public %s\nsecret written to %s (mode 0600)\n", key.public_key().Hex().c_str(),
              out.c_str());
  return 0;
}

int Show(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string path = argv[2];
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(path + ": " + std::strerror(errno));
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.size() > kMaxKeyFileBytes) return Fail(path + ": too large for a key file");
  absl::string_view hex = text;
  if (!absl::ConsumeSuffix(&hex, "\n") || hex.size() != 64) {
    return Fail(path + ": expected 64 hex digits and a newline");
  }
  auto secret = HexDecodeFixed<32>(hex, path);
  if (!secret.ok()) return Fail(std::string(secret.status().message()));
  auto key = KeyPair::FromSecret(SecretKey(*secret));
  if (!key.ok()) return Fail(path + ": " + std::string(key.status().message()));
  std::printf("public %s\n", key->public_key().Hex().c_str());
  return 0;
}

int RunKeys(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "new") == 0) return New(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "show") == 0) return Show(argc, argv);
  std::fprintf(stderr, "%s", kUsage);
  return 2;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(keys, "create a key (keys new [--out=FILE]) or show its public key (keys show FILE)",
                    gridledger::tools::RunKeys);
