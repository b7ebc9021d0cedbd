// `gridledger verify-batch FILE [--backend=auto|cpu|gpu]`: verifies one BIP-340
// signature per line, "pubkey_hex,msg_hex,sig_hex" (32-, 32- and 64-byte hex),
// through the chosen BatchVerifier backend and prints 1 or 0 per line, in
// order. Strict: any malformed line is reported on stderr with its line number
// and the command exits 1 before printing any result, so a partial answer can
// never be mistaken for a complete one.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/bytes.h"
#include "core/verify/batch_verifier.h"
#include "gpu/backend_select.h"
#include "tools/cli.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

// Bounds the in-memory batch (128 B per item: 2 GiB at most).
constexpr size_t kMaxVerifyBatchLines = size_t{1} << 24;
// Longest valid line: 64 + 64 + 128 hex digits, two commas, a CR.
constexpr size_t kMaxLineBytes = 64 + 64 + 128 + 2 + 1;

absl::StatusOr<VerifyItem> ParseLine(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxLineBytes) {
    return absl::InvalidArgumentError(absl::StrCat("line too long (", line.size(), " bytes)"));
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  if (fields.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected 3 comma-separated fields (pubkey,msg,sig), got ", fields.size()));
  }
  VerifyItem item;
  auto key = HexDecodeFixed<32>(fields[0], "pubkey");
  if (!key.ok()) return key.status();
  auto msg = HexDecodeFixed<32>(fields[1], "msg");
  if (!msg.ok()) return msg.status();
  auto sig = HexDecodeFixed<64>(fields[2], "sig");
  if (!sig.ok()) return sig.status();
  item.key = PublicKey(*key);
  item.message = Digest(*msg);
  item.signature = Signature(*sig);
  return item;
}

int RunVerifyBatch(int argc, char** argv) {
  CLI::App app("Verify one BIP-340 signature per line of FILE; prints 1 (valid) or 0 per line.",
               "gridledger verify-batch");
  app.footer("exit: 0 ok, 1 a malformed line (nothing printed) or a backend failure, 2 usage");
  std::vector<std::string> args(1);
  std::string backend_name = "auto";
  app.add_option("FILE", args[0], "one 'pubkey_hex,msg_hex,sig_hex' per line")->required();
  AddChoice(&app, "--backend", &backend_name,
            "signature verification backend: auto (GPU when present) | cpu | gpu",
            {"auto", "cpu", "gpu"});
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto backend = ParseVerifierBackend(backend_name);
  if (!backend.ok()) {
    std::fprintf(stderr, "verify-batch: %s\n", std::string(backend.status().message()).c_str());
    return 2;
  }
  std::ifstream in(args[0]);
  if (!in) {
    std::fprintf(stderr, "verify-batch: cannot open %s\n", args[0].c_str());
    return 1;
  }
  std::vector<VerifyItem> items;
  std::string line;
  for (size_t line_number = 1; std::getline(in, line); ++line_number) {
    if (items.size() == kMaxVerifyBatchLines) {
      std::fprintf(stderr, "verify-batch: %s: more than %zu lines\n", args[0].c_str(),
                   kMaxVerifyBatchLines);
      return 1;
    }
    auto item = ParseLine(line);
    if (!item.ok()) {
      std::fprintf(stderr, "verify-batch: %s:%zu: %s\n", args[0].c_str(), line_number,
                   std::string(item.status().message()).c_str());
      return 1;
    }
    items.push_back(*item);
  }
  if (in.bad()) {
    std::fprintf(stderr, "verify-batch: read error on %s\n", args[0].c_str());
    return 1;
  }
  VerifierChoice choice = MakeBatchVerifier(*backend);
  std::vector<uint8_t> results(items.size());
  absl::Status status = choice.verifier->Verify(items, absl::MakeSpan(results));
  if (!status.ok()) {
    std::fprintf(stderr, "verify-batch: %s backend failed: %s\n",
                 std::string(choice.verifier->name()).c_str(), status.ToString().c_str());
    return 1;
  }
  std::string out;
  out.reserve(results.size() * 2);
  for (uint8_t r : results) out += r ? "1\n" : "0\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// The subcommand name has a dash, so it is registered directly rather than
// through GL_REGISTER_COMMAND (which derives an identifier from the name).
const CommandRegistrar kVerifyBatchCommand(
    "verify-batch", "verify BIP-340 signatures from a file (one per line)", RunVerifyBatch);

}  // namespace

}  // namespace gridledger::tools
