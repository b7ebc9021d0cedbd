// `gridledger query node|tx|account|commits|market --node=HOST:PORT [--json]`: ask a
// node's client API from the shell. Text is one "name: value" per line; with
// --json one object per answer (nlohmann-json), keys and ids in hex. The exit
// status tells a script what happened (tools/api_client.h).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "net/node/transfer_follow.h"
#include "nlohmann/json.hpp"
#include "tools/api_client.h"
#include "tools/command.h"
#include "tools/query_archive.h"
#include "tools/query_market.h"

ABSL_DECLARE_FLAG(uint32_t, slice);  // tools/cmd_tx.cc
ABSL_FLAG(uint64_t, from_sequence, 1, "query commits: first commit sequence");
ABSL_FLAG(uint32_t, count, 100, "query commits: how many transactions to print, then stop");
ABSL_FLAG(std::string, dest_node, "",
          "query tx: a validator of a cross-slice transfer's destination slice, HOST:PORT, "
          "asked whether the receipt is credited");

namespace gridledger::tools {
namespace {

constexpr char kUsage[] =
    "usage: gridledger query node --node=HOST:PORT\n"
    "       gridledger query tx ID_HEX --node=HOST:PORT [--dest_node=HOST:PORT]\n"
    "       gridledger query account PUBKEY_HEX --slice=S --node=HOST:PORT\n"
    "       gridledger query commits [--from_sequence=1] [--count=100] --node=HOST:PORT\n"
    "{market}"  // the market queries (tools/query_market.h)
    "flags: --json (one object per answer), --tls_ca=PEM, --timeout_ms=5000\n"
    "exit: 0 ok/committed, 1 bad input, 2 usage, 3 tx failed, 4 not found,\n"
    "      5 tx pending, 6 node unreachable\n";

// ordered_json keeps the fields in the order written (text output reads top-down).
using json = nlohmann::ordered_json;

int RpcFailed(const grpc::Status& status) { return ReportRpcFailure("query", status); }

void Print(const json& j) { PrintAnswer(j); }

json ResultJson(const v1::ExecutionResult& r) {
  return json{{"success", r.success()}, {"code", r.code()}, {"reason", r.reason()}};
}

int QueryNode(v1::Ledger::Stub& stub) {
  v1::NodeInfo info;
  auto ctx = RpcContext();
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
  Print(j);
  return kExitOk;
}

// A committed cross-slice transfer: its receipt, and "debited, receipt
// pending" until --dest_node (a destination validator) says it is credited.
int FollowReceipt(const v1::GetTransactionResponse& response, json* j) {
  const v1::OutgoingReceipt& receipt = response.receipt();
  (*j)["receipt"] = json{{"destination_slice", receipt.destination_slice()},
                         {"number", receipt.number()},
                         {"amount", receipt.amount()},
                         {"to", HexOfBytesField(receipt.to())}};
  (*j)["transfer"] = node::kTransferPending;
  const std::string dest = absl::GetFlag(FLAGS_dest_node);
  if (dest.empty()) return kExitOk;
  auto channel = ChannelTo(dest);
  if (!channel.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  auto answer = node::AskCredited(*channel, response.slice(), receipt,
                                  std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  if (!answer.ok()) {
    return ReportRpcFailure("query", grpc::Status(static_cast<grpc::StatusCode>(
                                                      answer.status().code()),
                                                  std::string(answer.status().message())));
  }
  (*j)["destination_next_expected"] = answer->next_expected;
  if (answer->credited) (*j)["transfer"] = node::kTransferCredited;
  return kExitOk;
}

int QueryTx(v1::Ledger::Stub& stub, const std::string& id_hex) {
  auto id = HexDecodeFixed<TxId::kSize>(id_hex, "transaction id");
  if (!id.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(id.status().message()).c_str());
    return kExitBadInput;
  }
  v1::GetTransactionRequest request;
  request.set_tx_id(std::string(id->begin(), id->end()));
  v1::GetTransactionResponse response;
  auto ctx = RpcContext();
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
  if (response.has_receipt()) {
    const int code = FollowReceipt(response, &j);  // a cross-slice transfer
    if (code != kExitOk) return code;
    transfer_pending = j["transfer"] == node::kTransferPending;
  }
  Print(j);
  if (transfer_pending && !absl::GetFlag(FLAGS_dest_node).empty()) return kExitPending;
  switch (response.status()) {
    case v1::TRANSACTION_STATUS_COMMITTED: return kExitOk;
    case v1::TRANSACTION_STATUS_FAILED: return kExitRejected;
    case v1::TRANSACTION_STATUS_UNKNOWN: return kExitNotFound;
    default: return kExitPending;
  }
}

int QueryAccount(v1::Ledger::Stub& stub, const std::string& key_hex) {
  auto key = HexDecodeFixed<PublicKey::kSize>(key_hex, "account key");
  if (!key.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n", std::string(key.status().message()).c_str());
    return kExitBadInput;
  }
  v1::GetAccountRequest request;
  request.set_slice(absl::GetFlag(FLAGS_slice));
  request.set_key(std::string(key->begin(), key->end()));
  v1::GetAccountResponse response;
  auto ctx = RpcContext();
  grpc::Status s = stub.GetAccount(ctx.get(), request, &response);
  if (!s.ok()) return RpcFailed(s);
  json j{{"slice", response.slice()}, {"key", key_hex}, {"exists", response.exists()},
         {"as_of_commit_sequence", response.as_of_commit_sequence()}};
  if (response.exists()) {
    j["balance"] = response.balance();
    j["next_nonce"] = response.next_nonce();
  }
  Print(j);
  return response.exists() ? kExitOk : kExitNotFound;
}

void PrintCommitted(const v1::CommittedTransaction& tx) {
  json j{{"commit_sequence", tx.commit_sequence()},
         {"index_in_commit", tx.index_in_commit()},
         {"slice", tx.slice()},
         {"tx_id", HexOfBytesField(tx.tx_id())},
         {"result", ResultJson(tx.result())}};
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%llu/%u %s %s\n", static_cast<unsigned long long>(tx.commit_sequence()),
                tx.index_in_commit(), HexOfBytesField(tx.tx_id()).c_str(),
                tx.result().success() ? "SUCCESS" : tx.result().code().c_str());
  }
}

// Bounded in count and time: stops after --count transactions or when the
// deadline passes, whichever is first. Reads the batched commit stream (one
// message per commit); a node without it (an archive node) is read with the
// per-transaction StreamCommits instead.
int QueryCommits(v1::Ledger::Stub& stub) {
  const uint32_t count = absl::GetFlag(FLAGS_count);
  v1::StreamCommitsRequest request;
  request.set_from_sequence(absl::GetFlag(FLAGS_from_sequence));
  auto ctx = RpcContext();
  auto reader = stub.StreamCommitBatches(ctx.get(), request);
  uint32_t printed = 0;
  v1::CommitBatch batch;
  while (printed < count && reader->Read(&batch)) {
    for (const v1::CommittedTransaction& tx : batch.transactions()) {
      if (printed == count) break;
      ++printed;
      PrintCommitted(tx);
    }
  }
  if (printed == count) {
    ctx->TryCancel();
    return kExitOk;
  }
  // The deadline ends a query over a quiet ledger normally.
  grpc::Status s = reader->Finish();
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED && printed == 0) {
    auto single_ctx = RpcContext();
    auto single = stub.StreamCommits(single_ctx.get(), request);
    return PrintStream("query", *single_ctx, *single, count, PrintCommitted);
  }
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return kExitOk;
  if (!s.ok()) return ReportRpcFailure("query", s);
  return kExitOk;
}

int RunQuery(int argc, char** argv) {
  const std::string usage = absl::StrReplaceAll(kUsage, {{"{market}", kQueryMarketUsage}});
  std::vector<std::string> args = ParseFlags(argc, argv, usage.c_str());
  if (args.empty()) {
    std::fprintf(stderr, "%s", usage.c_str());
    return kExitUsage;
  }
  auto stub = ConnectToNode();
  if (!stub.ok()) {
    std::fprintf(stderr, "gridledger query: %s\n%s", std::string(stub.status().message()).c_str(),
                 usage.c_str());
    return kExitUsage;
  }
  const std::string& what = args[0];
  if (what == "node" && args.size() == 1) return QueryNode(**stub);
  if (what == "tx" && args.size() == 2) return QueryTx(**stub, args[1]);
  if (what == "account" && args.size() == 2) return QueryAccount(**stub, args[1]);
  if (what == "commits" && args.size() == 1) return QueryCommits(**stub);
  if (what == "market") return QueryMarket(**stub, args);
  std::fprintf(stderr, "gridledger query: bad arguments\n%s", usage.c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(query, "ask a node: node info, a transaction, an account, commits",
                    gridledger::tools::RunQuery);
