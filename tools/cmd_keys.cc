// `gridledger keys new [--out=FILE]` and `gridledger keys show FILE`.
//
// A key file holds one BIP-340 secret key: 64 lowercase hex digits and a
// newline, mode 0600.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/crypto/schnorr.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/file_util.h"

namespace gridledger::tools {
namespace {

constexpr size_t kMaxKeyFileBytes = 128;

int FailKeys(const std::string& message) {
  return CommandFailed("keys", message, kExitBadInput);
}

int New(const std::string& out) {
  const KeyPair key = KeyPair::Generate();
  if (out.empty()) {
    std::printf("secret %s\npublic %s\n", key.secret().Hex().c_str(),
                key.public_key().Hex().c_str());
    return 0;
  }
  std::string error;
  if (!WriteNewFile(out, key.secret().Hex() + "\n", 0600, &error)) return FailKeys(error);
  std::printf("public %s\nsecret written to %s (mode 0600)\n", key.public_key().Hex().c_str(),
              out.c_str());
  return 0;
}

int Show(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailKeys(path + ": " + std::strerror(errno));
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.size() > kMaxKeyFileBytes) return FailKeys(path + ": too large for a key file");
  absl::string_view hex = text;
  if (!absl::ConsumeSuffix(&hex, "\n") || hex.size() != 64) {
    return FailKeys(path + ": expected 64 hex digits and a newline");
  }
  auto secret = HexDecodeFixed<32>(hex, path);
  if (!secret.ok()) return FailKeys(std::string(secret.status().message()));
  auto key = KeyPair::FromSecret(SecretKey(*secret));
  if (!key.ok()) return FailKeys(path + ": " + std::string(key.status().message()));
  std::printf("public %s\n", key->public_key().Hex().c_str());
  return 0;
}

int RunKeys(int argc, char** argv) {
  CLI::App app("Create a key, or show a key file's public key.", "gridledger keys");
  app.require_subcommand(1);
  std::function<int()> run;
  std::string out;
  CLI::App* fresh = app.add_subcommand("new", "a fresh secret key; --out=FILE gets it (mode "
                                              "0600), else it is printed");
  AddPath(fresh, "--out", &out, "the key file to create (never overwritten)");
  fresh->callback([&] { run = [&] { return New(out); }; });
  std::string path;
  CLI::App* show = app.add_subcommand("show", "the x-only public key of a key file");
  show->add_option("FILE", path, "the key file")->required();
  show->callback([&] { run = [&] { return Show(path); }; });
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  return run();
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(keys, "create a key (keys new [--out=FILE]) or show its public key (keys show FILE)",
                    gridledger::tools::RunKeys);
