// `gridledger submit HEX... | --tx_file=FILE --node=HOST:PORT [--json]`:
// submits signed envelopes (hex, as `gridledger tx build` prints them; a file
// holds one per line, "-" reads standard input) in requests of at most
// kMaxSubmitTransactions, and prints one line per transaction: its id and the
// node's answer. Exit 0 when every one was accepted, 3 when any was refused,
// 1 on bad input, 6 when the node did not answer.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "net/node/client_service.h"
#include "nlohmann/json.hpp"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

constexpr char kSubmitExitHelp[] =
    "exit: 0 all accepted, 1 bad input, 2 usage, 3 some refused, 6 node unreachable";
// Bounds what one invocation reads (a file line holds one envelope).
constexpr size_t kMaxSubmitLines = 1'000'000;
constexpr size_t kMaxLineBytes = 4096;

// Reads the hex lines (blank lines and # comments skipped).
bool ReadLines(std::istream& in, std::vector<std::string>* out) {
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() > kMaxLineBytes || out->size() >= kMaxSubmitLines) {
      std::fprintf(stderr, "gridledger submit: line %zu: over the bound (%zu bytes, %zu lines)\n",
                   line_no, kMaxLineBytes, kMaxSubmitLines);
      return false;
    }
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    out->emplace_back(text);
  }
  return true;
}

int RunSubmit(int argc, char** argv) {
  CLI::App app("Submit signed transaction envelopes (hex, as `gridledger tx build` prints them) "
               "to a node; prints each one's id and the node's answer.",
               "gridledger submit");
  app.footer(kSubmitExitHelp);
  NodeOptions options;
  std::vector<std::string> hexes;
  std::string file;
  CLI::Option* positional = app.add_option("HEX", hexes, "signed envelopes in hex");
  CLI::Option* from_file =
      app.add_option("--tx_file", file, "file of hex envelopes, one per line (- for stdin)");
  positional->excludes(from_file);
  AddNodeOptions(&app, &options);
  app.callback([&] {
    if (hexes.empty() && file.empty()) {
      throw CLI::RequiredError("HEX... or --tx_file");
    }
  });
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  if (!file.empty()) {
    if (file == "-") {
      if (!ReadLines(std::cin, &hexes)) return kExitBadInput;
    } else {
      std::ifstream in(file);
      if (!in) {
        std::fprintf(stderr, "gridledger submit: cannot open %s\n", file.c_str());
        return kExitBadInput;
      }
      if (!ReadLines(in, &hexes)) return kExitBadInput;
    }
  }
  if (hexes.empty()) {
    std::fprintf(stderr, "gridledger submit: %s has no envelopes\n", file.c_str());
    return kExitBadInput;
  }
  std::vector<std::string> envelopes;
  for (size_t i = 0; i < hexes.size(); ++i) {
    auto bytes = HexDecode(hexes[i], absl::StrCat("envelope ", i + 1));
    if (!bytes.ok()) {
      std::fprintf(stderr, "gridledger submit: %s\n", std::string(bytes.status().message()).c_str());
      return kExitBadInput;
    }
    envelopes.emplace_back(bytes->begin(), bytes->end());
  }
  auto stub = ConnectToNode(options);
  if (!stub.ok()) {
    std::fprintf(stderr, "gridledger submit: %s\n", std::string(stub.status().message()).c_str());
    return kExitUsage;
  }
  bool all_accepted = true;
  for (size_t begin = 0; begin < envelopes.size(); begin += node::kMaxSubmitTransactions) {
    const size_t end = std::min(envelopes.size(), begin + node::kMaxSubmitTransactions);
    v1::SubmitBatchRequest request;
    for (size_t i = begin; i < end; ++i) request.add_transactions(envelopes[i]);
    v1::SubmitBatchResponse response;
    auto ctx = RpcContext(options.timeout_ms);
    grpc::Status s = (*stub)->SubmitBatch(ctx.get(), request, &response);
    if (!s.ok()) {
      std::fprintf(stderr, "gridledger submit: rpc failed: %s (transactions %zu..%zu not known "
                   "to be admitted)\n", s.error_message().c_str(), begin + 1, end);
      return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitBadInput
                                                                  : kExitUnreachable;
    }
    for (int k = 0; k < response.results_size(); ++k) {
      const v1::SubmitResult& r = response.results(k);
      all_accepted = all_accepted && r.accepted();
      if (options.json) {
        nlohmann::ordered_json j{{"index", begin + k}, {"tx_id", HexOfBytesField(r.tx_id())},
                         {"accepted", r.accepted()}, {"code", v1::SubmitCode_Name(r.code())},
                         {"reason", r.reason()}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s %s%s%s\n", r.tx_id().empty() ? "-" : HexOfBytesField(r.tx_id()).c_str(),
                    v1::SubmitCode_Name(r.code()).c_str(), r.reason().empty() ? "" : ": ",
                    r.reason().c_str());
      }
    }
  }
  return all_accepted ? kExitOk : kExitRejected;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(submit, "submit signed transactions (hex) to a node",
                    gridledger::tools::RunSubmit);
