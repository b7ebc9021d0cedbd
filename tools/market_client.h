// What the market commands that sign (`gridledger market register|tariff|bid|
// ask|cancel|reading`) share: a session with one node (its slice from
// GetNodeInfo, the network from --chain_id / --genesis), each signer's next
// nonce from the node's committed state (GetAccount), and submission that
// prints every transaction's answer and, with --wait, its final result.
#ifndef GRIDLEDGER_TOOLS_MARKET_CLIENT_H_
#define GRIDLEDGER_TOOLS_MARKET_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crypto/schnorr.h"
#include "core/tx/transaction.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/api_client.h"
#include "tools/chain_flags.h"
#include "tools/cli.h"

namespace gridledger::tools {

// The options every market command that signs shares.
struct MarketOptions {
  NodeOptions node;
  ChainOptions chain;
  bool wait = false;  // after submitting, wait until each transaction is final
  int32_t wait_ms = 30000;
};

// Declares the node options, --chain_id/--genesis, --wait and --wait_ms.
void AddMarketOptions(CLI::App* app, MarketOptions* options);

// How often --wait asks for the result of transactions not yet final.
inline constexpr int kWaitPollMs = 100;

class MarketSession {
 public:
  // Connects to --node and reads its slice and the network's chain id.
  // InvalidArgument for missing or bad flags; the call's code otherwise.
  static absl::StatusOr<std::unique_ptr<MarketSession>> Open(const MarketOptions& options);

  SliceId slice() const { return slice_; }
  gridledger::v1::Ledger::Stub& stub() { return *stub_; }

  // The nonce `key`'s next transaction must carry, as the node's committed
  // state has it (0 for an account that does not exist yet). Transactions
  // still pending are not counted: sign from one key with --wait.
  absl::StatusOr<uint64_t> NextNonce(const PublicKey& key);
  // The account's market role; NotFound when it has none.
  absl::StatusOr<gridledger::v1::MarketAccount> Account(const PublicKey& key);
  // A signed envelope for this node's slice; InvalidArgument when the body
  // breaks a codec rule (the reason names it).
  absl::StatusOr<Bytes> Sign(const KeyPair& key, uint64_t nonce, TxBody body) const;

  // Submits `txs` (labels[i] names txs[i] in the output), prints one line
  // (or JSON object) per transaction, and with --wait polls until each
  // accepted one is final or --wait_ms passes. Returns the exit status:
  // kExitOk, kExitRejected (refused, or FAILED), kExitPending (not final in
  // time), kExitUnreachable, kExitBadInput.
  int SubmitAndReport(const std::vector<Bytes>& txs, const std::vector<std::string>& labels);

 private:
  MarketSession(const MarketOptions& options, std::unique_ptr<gridledger::v1::Ledger::Stub> stub,
                SliceId slice, const Digest& chain_id)
      : options_(options), stub_(std::move(stub)), slice_(slice), chain_id_(chain_id) {}
  // One line of output: `j` with --json, else `text`.
  void PrintLine(const nlohmann::ordered_json& j, const std::string& text) const;
  // Polls the accepted ids until final or the deadline; prints each result.
  int WaitAndReport(const std::vector<std::string>& ids, const std::vector<std::string>& labels);

  MarketOptions options_;
  std::unique_ptr<gridledger::v1::Ledger::Stub> stub_;
  SliceId slice_;
  Digest chain_id_;
};

// The exit status for a failed step of a market command, after printing
// "gridledger market: <message>": kExitBadInput for InvalidArgument,
// kExitNotFound for NotFound, kExitUnreachable otherwise.
int ReportMarketFailure(const absl::Status& status);

// A grpc::Status as an absl::Status (same canonical codes).
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_MARKET_CLIENT_H_
