// The deterministic state machine of one slice. ExecuteBlock reads a StateView,
// never writes it, and returns every transaction's result plus the state delta
// (final states of touched accounts, the nonce hold's changes) and the new
// state summary; the caller applies them atomically (MemoryState::Apply, or
// NodeStore in one write txn).
//
// TRANSFER rules, checked in this order (the first failing one is reported):
//   duplicate id (executed, failed or held before) -> skipped ("duplicate"),
//   envelope slice == executing slice, kind is TRANSFER, sender exists,
//   nonce >= sender's next nonce (below: bad_nonce, a replay),
//   amount > 0, recipient's slice exists (this one, or another one the
//   CrossSliceConfig knows), nonce == next nonce (ahead: held, see below),
//   balance >= amount; for a recipient in another slice also fewer than
//   kMaxReceiptsPerDestination receipts for that slice in this commit.
//
// Cross-slice TRANSFER (receipt.h, receipt_records.h): the sender is debited
// and the commit emits a Receipt numbered next for (this slice, destination);
// the result is kSuccess (the debit is final; the credit follows). The
// destination's execution takes receipt imports (a final checkpoint of the
// source with 2f+1 signatures of the source committee, plus receipts that
// hash to its receipts root; VerifyReceiptImport) before its transactions and
// credits receipt number k from source S exactly when k is the next number it
// expects from S (then expects k + 1): a lower number is a duplicate (skipped),
// a higher one is out of order (the import is refused; the relay sends the
// missing one first). The expected numbers are state (records 'c'), written
// in the commit's one write, so a crash or replay credits nothing twice.
// A failed transaction changes no state (its nonce is not consumed). The
// recipient account is created on first credit with next nonce 0.
//
// Nonce hold: a transfer whose nonce is ahead of its sender's next nonce is
// held (result kHeld, not final) in a per-account queue that is part of the
// state (the StateView holds it, the node store persists it in the commit's
// write, the state summary covers it), so one lost or late transaction does
// not fail every later one of its account. Per account at most one
// transaction per nonce (a second one fails bad_nonce); over
// max_per_account / max_per_slice held it fails kNonceHoldFull.
// After the block's inputs, in this order:
//  1. Release: for each account whose next nonce advanced in this block, in
//     AccountRef order, held entries below the next nonce fail bad_nonce
//     (another transaction took the nonce) and entries equal to it execute,
//     consecutively, until the head is ahead again or one fails.
//  2. Expiry: a transaction held in commit s that is still held at the end of
//     commit s + hold_commits fails there with kNonceGapExpired; entries in
//     (held_sequence, account, nonce) order.
// Released and expired results are listed in BlockOutcome::released in that
// execution order, with indexes continuing after the block's inputs.
//
// Consensus time: each block executes at t = max(the block's consensus time,
// the previous commit's t), kept in the market state; execution never reads a
// clock. Before the inputs, the market's gate closures and settlements due at
// t run (core/execution/market_exec.h). Market kinds (ORDER, CANCEL,
// METER_READING, REGISTER, SET_TARIFF) are checked like transfers for
// duplicate, slice, sender (the slice's DSO may sign before it has an
// account) and a nonce below the next (bad_nonce); a nonce ahead is held like
// a transfer's (nonce_not_next only for a DSO that has no account yet); then
// the market's rules apply, when executed or released.
// Every credit repays the recipient's market debt first.
#ifndef GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_
#define GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "core/execution/block_tx.h"
#include "core/execution/market_params.h"
#include "core/execution/receipt.h"
#include "core/execution/state_view.h"
#include "core/execution/tx_result.h"
#include "core/tx/transaction.h"

namespace gridledger {

// Upper bound on transactions in one executed block.
inline constexpr size_t kMaxBlockTxs = size_t{1} << 20;

// A transaction held in commit s may still execute up to and including
// commit s + kNonceHoldCommits; then it fails NONCE_GAP_EXPIRED. About 30 s
// at the cluster's commit rate: longer than a validator restart plus the
// re-proposal of an orphaned batch.
inline constexpr uint64_t kNonceHoldCommits = 256;
// Held transactions per account, and in total per slice.
inline constexpr uint32_t kMaxHeldPerAccount = 128;
inline constexpr uint64_t kMaxHeldPerSlice = 16'384;

// Every validator of a slice must use the same limits (they shape the state).
struct NonceHoldLimits {
  uint64_t hold_commits = kNonceHoldCommits;  // >= 1
  uint32_t max_per_account = kMaxHeldPerAccount;
  uint64_t max_per_slice = kMaxHeldPerSlice;
};

inline constexpr absl::string_view kTagStateSummary = "gridledger/state-summary";

// A final result of a transaction released from the nonce hold, with its
// envelope (the transaction index stores it).
struct ReleasedTx {
  TxResult result;
  Bytes raw;
  bool operator==(const ReleasedTx&) const = default;
};

// What one receipt import did (executor.h: cross-slice transfers).
struct ImportOutcome {
  uint32_t credited = 0;    // receipts credited now
  uint32_t duplicates = 0;  // receipts credited before: skipped
  // Set when the import changed nothing for a reason other than duplicates:
  // undecodable, not verified (signatures, root, wrong slice), or out of
  // order (its first new receipt is not the next one expected).
  std::string refused;
  bool operator==(const ImportOutcome&) const = default;
};

struct BlockOutcome {
  std::vector<TxResult> results;  // one per input, same order (kHeld: not final)
  // Final results of held transactions (from this or an earlier commit) that
  // executed or expired in this commit, in execution order; index continues
  // after the inputs (results.size(), results.size() + 1, ...).
  std::vector<ReleasedTx> released;
  // Final state of every account the block changed, sorted by AccountRef.
  std::vector<std::pair<AccountRef, AccountState>> accounts;
  // Per entry of `accounts`: its state before the block, when execution read
  // it (storage/account_store.h WriteCommitAccounts).
  std::vector<AccountBefore> accounts_before;
  // The nonce hold's change, each sorted by key: entries added by this
  // commit, entries it removed (released, expired or stale).
  std::vector<HeldTx> held_added;
  std::vector<HeldKey> held_removed;
  // The market records' change, ascending by key (nullopt: deleted); the
  // cross-slice receipt records (receipt_records.h) are among them.
  std::vector<std::pair<Bytes, std::optional<Bytes>>> market;
  // Receipts this commit emitted, by (destination, index), and their root
  // (receipt.h; zero when none): the checkpoint's receipts_root.
  std::vector<Receipt> receipts;
  Digest receipts_root;
  // One per receipt import given to ExecuteBlock, same order.
  std::vector<ImportOutcome> imports;
  Digest state_summary;
  bool operator==(const BlockOutcome&) const = default;
};

class Executor {
 public:
  // `cross_slice` knows the other slices (CrossSliceConfig::FromGenesis); the
  // default knows none, so every cross-slice transfer fails kCrossSlice.
  explicit Executor(SliceId slice, NonceHoldLimits limits = {}, MarketConfig market = {},
                    CrossSliceConfig cross_slice = {});

  // InvalidArgument for more than kMaxBlockTxs transactions; other errors
  // come only from the state view (storage faults). The block executes as
  // commit state.LastCommittedSequence() + 1, at consensus time
  // consensus_time_ms (CommittedSubDag::time_ms; 0 for transfer-only tests).
  // `imports` are the commit's receipt-import entries (receipt.h) in commit
  // order, as raw bytes: they run before the block's transactions.
  absl::StatusOr<BlockOutcome> ExecuteBlock(const StateView& state,
                                            absl::Span<const BlockTx> block,
                                            uint64_t consensus_time_ms = 0,
                                            absl::Span<const Bytes> imports = {}) const;

  SliceId slice() const { return slice_; }
  const NonceHoldLimits& limits() const { return limits_; }
  const MarketConfig& market() const { return market_; }
  const CrossSliceConfig& cross_slice() const { return cross_slice_; }

 private:
  SliceId slice_;
  NonceHoldLimits limits_;
  MarketConfig market_;
  CrossSliceConfig cross_slice_;
};

// The summary after a block: TaggedHash(kTagStateSummary, previous summary ||
// each result (id, code, reason) || each released result || each changed
// account || each held entry added (key, id, held_sequence) || each removed
// key || each market change (key, present u8, value)), every list prefixed by
// its length. It chains, so two nodes with equal
// summaries executed identical histories.
Digest NextStateSummary(const Digest& previous, const BlockOutcome& outcome);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_EXECUTOR_H_
