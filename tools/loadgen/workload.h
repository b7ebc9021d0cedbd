// The load generator's workload: funded accounts read from a deployment
// (DIR/genesis.toml and DIR/accounts.keys, as `gridledger genesis` writes
// them), and transfers pre-signed before the run so signing never paces it.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_WORKLOAD_H_
#define GRIDLEDGER_TOOLS_LOADGEN_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"

namespace gridledger::loadgen {

inline constexpr uint64_t kMaxWorkloadTxs = uint64_t{1} << 22;

struct Deployment {
  Genesis genesis;
  // Funded accounts by home slice, in accounts.keys order.
  std::vector<std::vector<KeyPair>> accounts_by_slice;
};

// Parses accounts.keys ("<slice> <secret hex>" per line) against `genesis`:
// every key must be a genesis account of that slice. InvalidArgument names
// the line.
absl::StatusOr<std::vector<std::vector<KeyPair>>> ParseAccountKeys(absl::string_view text,
                                                                   const Genesis& genesis);
absl::StatusOr<Deployment> LoadDeployment(const std::string& dir);

struct PlannedTx {
  uint32_t slice = 0;
  uint32_t account = 0;  // sender's index within its slice's accounts
  TxId id;
  Bytes raw;             // the signed envelope
  // A prepared plan's send time after the start (LoadgenOptions::plan);
  // transfers at a fixed rate ignore it.
  int64_t send_at_ns = 0;
};

// `count` transfers of 1 micro-unit. Transaction i belongs to slice i % S;
// within a slice the senders rotate over its accounts (so one account's
// transfers are as far apart as the pool allows), each paying the next
// account of the pool, with consecutive nonces from `first_nonce` (indexed
// like accounts_by_slice; all zero for a fresh deployment). Every slice needs
// at least two accounts (FailedPrecondition otherwise). With S > 1,
// `cross_slice_percent` percent of the transfers (spread evenly) pay an
// account of another slice instead: a cross-slice receipt
// (core/execution/receipt.h).
absl::StatusOr<std::vector<PlannedTx>> PlanTransfers(
    const Deployment& deployment, uint64_t count,
    const std::vector<std::vector<uint64_t>>& first_nonce, uint32_t cross_slice_percent = 0);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_WORKLOAD_H_
