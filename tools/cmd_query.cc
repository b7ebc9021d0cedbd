// `gridledger query node|tx|account|commits|market --node=HOST:PORT [--json]`: ask a
// node's client API from the shell. Text is one "name: value" per line; with
// --json one object per answer (nlohmann-json), keys and ids in hex. The exit
// status tells a script what happened (tools/api_client.h).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "net/node/transfer_follow.h"
#include "nlohmann/json.hpp"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/query_archive.h"
#include "tools/query_market.h"

namespace gridledger::tools {
namespace {

constexpr char kQueryExitHelp[] =
    "exit: 0 ok/committed, 1 bad input, 2 usage, 3 tx failed, 4 not found,\n"
    "      5 tx pending, 6 node unreachable";

// ordered_json keeps the fields in the order written (text output reads top-down).
using json = nlohmann::ordered_json;

int RpcFailed(const grpc::Status& status) { return ReportRpcFailure("query", status); }

json ResultJson(const v1::ExecutionResult& r) {
  return json{{"success", r.success()}, {"code", r.code()}, {"reason", r.reason()}};
}

int QueryNode(const NodeOptions& options, v1::Ledger::Stub& stub) {
  v1::NodeInfo info;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetNodeInfo(ctx.get(), v1::GetNodeInfoRequest(), &info);
  if (!s.ok()) return RpcFailed(s);
  json j{{"slice", info.slice()},
         {"validator_index", info.validator_index()},
         {"public_key", HexOfBytesField(info.public_key())},
         {"round", info.round()},
         {"last_committed_sequence", info.last_committed_sequence()},
         {"verifier_backend", info.verifier_backend()},
         {"committee_size", info.committee_size()},
         {"state_root", HexOfBytesField(info.state_root())},
         {"last_final_checkpoint", info.last_final_checkpoint()}};
  if (info.archive()) AddArchiveSlices(info, &j);  // tools/query_archive.h
  PrintAnswer(j, options.json);
  return kExitOk;
}

// A committed cross-slice transfer: its receipt, and "debited, receipt
// pending" until `dest_node` (a destination validator) says it is credited.
int FollowReceipt(const NodeOptions& options, const std::string& dest_node,
                  const v1::GetTransactionResponse& response, json* j) {
  const v1::OutgoingReceipt& receipt = response.receipt();
  (*j)["receipt"] = json{{"destination_slice", receipt.destination_slice()},
                         {"number", receipt.number()},
                         {"amount", receipt.amount()},
                         {"to", HexOfBytesField(receipt.to())}};
  (*j)["transfer"] = node::kTransferPending;
  if (dest_node.empty()) return kExitOk;
  auto channel = ChannelTo(options, dest_node);
  if (!channel.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  auto answer = node::AskCredited(*channel, response.slice(), receipt,
                                  std::chrono::milliseconds(options.timeout_ms));
  if (!answer.ok()) {
    return ReportRpcFailure("query", grpc::Status(static_cast<grpc::StatusCode>(
                                                      answer.status().code()),
                                                  std::string(answer.status().message())));
  }
  (*j)["destination_next_expected"] = answer->next_expected;
  if (answer->credited) (*j)["transfer"] = node::kTransferCredited;
  return kExitOk;
}

int QueryTx(const NodeOptions& options, v1::Ledger::Stub& stub, const std::string& id_hex,
            const std::string& dest_node) {
  auto id = HexDecodeFixed<TxId::kSize>(id_hex, "transaction id");
  if (!id.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(id.status().message()).c_str());
    return kExitBadInput;
  }
  v1::GetTransactionRequest request;
  request.set_tx_id(std::string(id->begin(), id->end()));
  v1::GetTransactionResponse response;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetTransaction(ctx.get(), request, &response);
  if (!s.ok()) return RpcFailed(s);
  json j{{"tx_id", id_hex},
         {"status", v1::TransactionStatus_Name(response.status())},
         {"slice", response.slice()}};
  const bool final = response.status() == v1::TRANSACTION_STATUS_COMMITTED ||
                     response.status() == v1::TRANSACTION_STATUS_FAILED;
  if (final) {
    j["commit_sequence"] = response.commit_sequence();
    j["result"] = ResultJson(response.result());
  }
  bool transfer_pending = false;
  if (response.has_receipt()) {  // a cross-slice transfer
    const int code = FollowReceipt(options, dest_node, response, &j);
    if (code != kExitOk) return code;
    transfer_pending = j["transfer"] == node::kTransferPending;
  }
  PrintAnswer(j, options.json);
  if (transfer_pending && !dest_node.empty()) return kExitPending;
  switch (response.status()) {
    case v1::TRANSACTION_STATUS_COMMITTED: return kExitOk;
    case v1::TRANSACTION_STATUS_FAILED: return kExitRejected;
    case v1::TRANSACTION_STATUS_UNKNOWN: return kExitNotFound;
    default: return kExitPending;
  }
}

int QueryAccount(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
                 const std::string& key_hex) {
  auto key = HexDecodeFixed<PublicKey::kSize>(key_hex, "account key");
  if (!key.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(key.status().message()).c_str());
    return kExitBadInput;
  }
  v1::GetAccountRequest request;
  request.set_slice(slice);
  request.set_key(std::string(key->begin(), key->end()));
  v1::GetAccountResponse response;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetAccount(ctx.get(), request, &response);
  if (!s.ok()) return RpcFailed(s);
  json j{{"slice", response.slice()}, {"key", key_hex}, {"exists", response.exists()},
         {"as_of_commit_sequence", response.as_of_commit_sequence()}};
  if (response.exists()) {
    j["balance"] = response.balance();
    j["next_nonce"] = response.next_nonce();
  }
  PrintAnswer(j, options.json);
  return response.exists() ? kExitOk : kExitNotFound;
}

void PrintCommitted(const NodeOptions& options, const v1::CommittedTransaction& tx) {
  json j{{"commit_sequence", tx.commit_sequence()},
         {"index_in_commit", tx.index_in_commit()},
         {"slice", tx.slice()},
         {"tx_id", HexOfBytesField(tx.tx_id())},
         {"result", ResultJson(tx.result())}};
  if (options.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%llu/%u %s %s\n", static_cast<unsigned long long>(tx.commit_sequence()),
                tx.index_in_commit(), HexOfBytesField(tx.tx_id()).c_str(),
                tx.result().success() ? "SUCCESS" : tx.result().code().c_str());
  }
}

// Bounded in count and time: stops after --count transactions or when the
// deadline passes, whichever is first. Reads the batched commit stream (one
// message per commit; validators and archive nodes both serve it) and prints
// one line per transaction.
int QueryCommits(const NodeOptions& options, v1::Ledger::Stub& stub, uint64_t from_sequence,
                 uint32_t count) {
  v1::StreamCommitsRequest request;
  request.set_from_sequence(from_sequence);
  auto ctx = RpcContext(options.timeout_ms);
  auto reader = stub.StreamCommitBatches(ctx.get(), request);
  uint32_t printed = 0;
  v1::CommitBatch batch;
  while (printed < count && reader->Read(&batch)) {
    for (const v1::CommittedTransaction& tx : batch.transactions()) {
      if (printed == count) break;
      ++printed;
      PrintCommitted(options, tx);
    }
  }
  if (printed == count) {
    ctx->TryCancel();
    return kExitOk;
  }
  // The deadline ends a query over a quiet ledger normally.
  grpc::Status s = reader->Finish();
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return kExitOk;
  if (!s.ok()) return ReportRpcFailure("query", s);
  return kExitOk;
}

int RunQuery(int argc, char** argv) {
  CLI::App app("Ask a node's client API from the shell.", "gridledger query");
  app.footer(kQueryExitHelp);
  app.require_subcommand(1);
  NodeOptions options;
  // The chosen query, set by its subcommand once its arguments parse.
  std::function<int(v1::Ledger::Stub&)> run;

  CLI::App* node = app.add_subcommand("node", "the node's slice, index, round, last commit");
  AddNodeOptions(node, &options);
  node->callback([&] { run = [&](v1::Ledger::Stub& s) { return QueryNode(options, s); }; });

  std::string id_hex;
  CLI::App* tx = app.add_subcommand("tx", "a transaction's status and result (exit 3 failed, "
                                          "4 unknown, 5 pending)");
  tx->add_option("ID", id_hex, "the transaction id (64 hex digits)")->required();
  AddNodeOptions(tx, &options);
  std::string dest_node;
  tx->add_option("--dest_node", dest_node,
                 "a validator of a cross-slice transfer's destination slice, HOST:PORT: prints "
                 "\"credited\" or \"debited, receipt pending\" (exit 5)");
  tx->callback([&] {
    run = [&](v1::Ledger::Stub& s) { return QueryTx(options, s, id_hex, dest_node); };
  });

  std::string key_hex;
  uint32_t slice = 0;
  CLI::App* account = app.add_subcommand("account", "an account's balance and next nonce "
                                                    "(exit 4 when it does not exist)");
  account->add_option("PUBKEY", key_hex, "the account's x-only public key (64 hex digits)")
      ->required();
  AddNumber(account, "--slice", &slice, "the account's home slice");
  AddNodeOptions(account, &options);
  account->callback([&] {
    run = [&](v1::Ledger::Stub& s) { return QueryAccount(options, s, slice, key_hex); };
  });

  uint64_t from_sequence = 1;
  uint32_t count = 100;
  CLI::App* commits = app.add_subcommand(
      "commits", "committed transactions in order; stops after --count or --timeout_ms");
  AddNumber(commits, "--from_sequence", &from_sequence, "first commit sequence");
  AddNumber(commits, "--count", &count, "how many transactions to print, then stop");
  AddNodeOptions(commits, &options);
  commits->callback([&] {
    run = [&](v1::Ledger::Stub& s) { return QueryCommits(options, s, from_sequence, count); };
  });

  QueryMarketCommand market(&app, &options, &run);  // tools/query_market.h

  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto stub = ConnectToNode(options);
  if (!stub.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(stub.status().message()).c_str());
    return kExitUsage;
  }
  return run(**stub);
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(query, "ask a node: node info, a transaction, an account, commits",
                    gridledger::tools::RunQuery);
