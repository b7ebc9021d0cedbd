#include "tools/market_client.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "core/tx/codec.h"
#include "net/node/client_service.h"
#include "nlohmann/json.hpp"
#include "tools/api_client.h"
#include "tools/chain_flags.h"

namespace gridledger::tools {
namespace {

using json = nlohmann::ordered_json;

bool IsFinal(v1::TransactionStatus s) {
  return s == v1::TRANSACTION_STATUS_COMMITTED || s == v1::TRANSACTION_STATUS_FAILED;
}

}  // namespace

void AddMarketOptions(CLI::App* app, MarketOptions* options) {
  AddNodeOptions(app, &options->node);
  AddChainOptions(app, &options->chain);
  app->add_flag("--wait", options->wait,
                "after submitting, wait until each transaction is final and print its result");
  AddNumber<int32_t>(app, "--wait_ms", &options->wait_ms, "--wait: how long to wait, ms", 1,
                     std::numeric_limits<int32_t>::max());
}

void MarketSession::PrintLine(const json& j, const std::string& text) const {
  std::printf("%s\n", options_.node.json ? j.dump().c_str() : text.c_str());
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

int ReportMarketFailure(const absl::Status& status) {
  std::fprintf(stderr, "gridledger market: %s\n", std::string(status.message()).c_str());
  if (absl::IsInvalidArgument(status)) return kExitBadInput;
  if (absl::IsNotFound(status)) return kExitNotFound;
  return kExitUnreachable;
}

absl::StatusOr<std::unique_ptr<MarketSession>> MarketSession::Open(const MarketOptions& options) {
  GL_ASSIGN_OR_RETURN(Digest chain_id, ChainIdFromOptions(options.chain));
  GL_ASSIGN_OR_RETURN(std::unique_ptr<v1::Ledger::Stub> stub, ConnectToNode(options.node));
  v1::NodeInfo info;
  auto ctx = RpcContext(options.node.timeout_ms);
  GL_RETURN_IF_ERROR(FromGrpc(stub->GetNodeInfo(ctx.get(), v1::GetNodeInfoRequest(), &info)));
  return std::unique_ptr<MarketSession>(
      new MarketSession(options, std::move(stub), SliceId(info.slice()), chain_id));
}

absl::StatusOr<uint64_t> MarketSession::NextNonce(const PublicKey& key) {
  v1::GetAccountRequest request;
  request.set_slice(slice_.value());
  request.set_key(StringOf(key.span()));
  v1::GetAccountResponse response;
  auto ctx = RpcContext(options_.node.timeout_ms);
  GL_RETURN_IF_ERROR(FromGrpc(stub_->GetAccount(ctx.get(), request, &response)));
  return response.exists() ? response.next_nonce() : 0;
}

absl::StatusOr<v1::MarketAccount> MarketSession::Account(const PublicKey& key) {
  v1::GetMarketAccountRequest request;
  request.set_account(StringOf(key.span()));
  v1::MarketAccount response;
  auto ctx = RpcContext(options_.node.timeout_ms);
  GL_RETURN_IF_ERROR(FromGrpc(stub_->GetMarketAccount(ctx.get(), request, &response)));
  return response;
}

absl::StatusOr<Bytes> MarketSession::Sign(const KeyPair& key, uint64_t nonce, TxBody body) const {
  Transaction tx;
  tx.slice = slice_;
  tx.nonce = Nonce(nonce);
  tx.sender = key.public_key();
  tx.body = std::move(body);
  GL_RETURN_IF_ERROR(ValidateTransaction(tx));
  SignTransaction(&tx, key, chain_id_);
  return Encode(tx);
}

int MarketSession::SubmitAndReport(const std::vector<Bytes>& txs,
                                   const std::vector<std::string>& labels) {
  bool all_accepted = true;
  std::vector<std::string> accepted_ids;
  std::vector<std::string> accepted_labels;
  for (size_t begin = 0; begin < txs.size(); begin += node::kMaxSubmitTransactions) {
    const size_t end = std::min(txs.size(), begin + node::kMaxSubmitTransactions);
    v1::SubmitBatchRequest request;
    for (size_t i = begin; i < end; ++i) request.add_transactions(StringOf(txs[i]));
    v1::SubmitBatchResponse response;
    auto ctx = RpcContext(options_.node.timeout_ms);
    grpc::Status s = stub_->SubmitBatch(ctx.get(), request, &response);
    if (!s.ok()) {
      std::fprintf(stderr, "gridledger market: submit failed: %s (transactions %zu..%zu not known "
                   "to be admitted)\n", s.error_message().c_str(), begin + 1, end);
      return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitBadInput
                                                                  : kExitUnreachable;
    }
    for (int k = 0; k < response.results_size(); ++k) {
      const v1::SubmitResult& r = response.results(k);
      const std::string& label = labels[begin + k];
      const std::string id = HexOfBytesField(r.tx_id());
      all_accepted = all_accepted && r.accepted();
      if (r.accepted()) {
        accepted_ids.push_back(r.tx_id());
        accepted_labels.push_back(label);
      }
      PrintLine(json{{"what", label}, {"tx_id", id}, {"accepted", r.accepted()},
                     {"code", v1::SubmitCode_Name(r.code())}, {"reason", r.reason()}},
                absl::StrCat(id, " ", label, " ", v1::SubmitCode_Name(r.code()),
                             r.reason().empty() ? "" : ": ", r.reason()));
    }
  }
  int exit_code = all_accepted ? kExitOk : kExitRejected;
  if (options_.wait && !accepted_ids.empty()) {
    const int waited = WaitAndReport(accepted_ids, accepted_labels);
    if (waited != kExitOk && exit_code == kExitOk) exit_code = waited;
  }
  return exit_code;
}

int MarketSession::WaitAndReport(const std::vector<std::string>& ids,
                                 const std::vector<std::string>& labels) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.wait_ms);
  std::vector<v1::GetTransactionResponse> answers(ids.size());
  std::vector<bool> done(ids.size(), false);
  size_t remaining = ids.size();
  // Bounded by the deadline; one round asks every id not yet final.
  while (remaining > 0) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (done[i]) continue;
      v1::GetTransactionRequest request;
      request.set_tx_id(ids[i]);
      auto ctx = RpcContext(options_.node.timeout_ms);
      grpc::Status s = stub_->GetTransaction(ctx.get(), request, &answers[i]);
      if (!s.ok()) return ReportRpcFailure("market", s);
      if (IsFinal(answers[i].status())) {
        done[i] = true;
        --remaining;
      }
    }
    if (remaining == 0 || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(kWaitPollMs));
  }
  int exit_code = kExitOk;
  for (size_t i = 0; i < ids.size(); ++i) {
    const v1::GetTransactionResponse& a = answers[i];
    const std::string id = HexOfBytesField(ids[i]);
    const std::string status = v1::TransactionStatus_Name(a.status());
    if (!done[i]) {
      exit_code = exit_code == kExitOk ? kExitPending : exit_code;
      PrintLine(json{{"what", labels[i]}, {"tx_id", id}, {"status", status}, {"final", false}},
                absl::StrCat(id, " ", labels[i], " ", status, " (not final within ",
                             options_.wait_ms, " ms)"));
      continue;
    }
    if (!a.result().success()) exit_code = kExitRejected;
    PrintLine(json{{"what", labels[i]}, {"tx_id", id}, {"status", status}, {"final", true},
                   {"commit_sequence", a.commit_sequence()}, {"code", a.result().code()},
                   {"reason", a.result().reason()}},
              absl::StrCat(id, " ", labels[i], " ", status, " ", a.result().code(),
                           a.result().reason().empty() ? "" : ": ", a.result().reason()));
  }
  return exit_code;
}

}  // namespace gridledger::tools
