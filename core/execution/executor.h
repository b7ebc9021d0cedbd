// The deterministic state machine of one slice. ExecuteBlock reads a StateView,
// never writes it, and returns every transaction's result plus the state delta
// (final states of touched accounts) and the new state summary; the caller
// applies them atomically (MemoryState::Apply, or NodeStore in one write txn).
//
// TRANSFER rules, checked in this order (the first failing one is reported):
//   duplicate id -> skipped ("duplicate"), envelope slice == executing slice,
//   kind is TRANSFER, sender exists, nonce == sender's next nonce,
//   amount > 0, recipient in this slice, balance >= amount.
// A failed transaction changes no state (its nonce is not consumed). The
// recipient account is created on first credit with next nonce 0.
#ifndef GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_
#define GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "core/execution/state_view.h"
#include "core/execution/tx_result.h"
#include "core/tx/transaction.h"

namespace gridledger {

// Upper bound on transactions in one executed block.
inline constexpr size_t kMaxBlockTxs = size_t{1} << 20;

inline constexpr absl::string_view kTagStateSummary = "gridledger/state-summary";

// A committed transaction in execution order. `raw` is the signed envelope as
// received; execution ignores it, the transaction index stores it.
struct BlockTx {
  TxId id;
  Transaction tx;
  Bytes raw;
};

struct BlockOutcome {
  std::vector<TxResult> results;  // one per input, same order
  // Final state of every account the block changed, sorted by AccountRef.
  std::vector<std::pair<AccountRef, AccountState>> accounts;
  Digest state_summary;
  bool operator==(const BlockOutcome&) const = default;
};

class Executor {
 public:
  explicit Executor(SliceId slice) : slice_(slice) {}

  // InvalidArgument for more than kMaxBlockTxs transactions; other errors
  // come only from the state view (storage faults).
  absl::StatusOr<BlockOutcome> ExecuteBlock(const StateView& state,
                                            absl::Span<const BlockTx> block) const;

  SliceId slice() const { return slice_; }

 private:
  SliceId slice_;
};

// The summary after a block: TaggedHash(kTagStateSummary, previous summary ||
// block size || each result (id, code, reason) || each changed account).
// It chains, so two nodes with equal summaries executed identical histories.
Digest NextStateSummary(const Digest& previous, absl::Span<const TxResult> results,
                        absl::Span<const std::pair<AccountRef, AccountState>> accounts);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_
