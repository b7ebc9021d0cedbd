// The outcome of executing one transaction. Every transaction in a committed
// block gets one: success, or a failure code plus a human-readable reason.
#ifndef GRIDLEDGER_CORE_EXECUTION_TX_RESULT_H_
#define GRIDLEDGER_CORE_EXECUTION_TX_RESULT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/common/types.h"

namespace gridledger {

// Stored on disk as one byte: values never change once released.
enum class TxResultCode : uint8_t {
  kSuccess = 0,
  kDuplicate = 1,            // id already executed: skipped, no state change
  kWrongSlice = 2,           // envelope slice is not the executing slice
  kNotExecutable = 3,        // kind not executable yet
  kUnknownSender = 4,
  kBadNonce = 5,             // replayed or out-of-order nonce
  kZeroAmount = 6,
  kInsufficientBalance = 7,
  kCrossSlice = 8,           // recipient's home is another slice
  kNonceGapExpired = 9,      // held for a nonce gap that did not fill in time
  kHeld = 10,                // NOT final: held until its account's nonce gap fills
  kNonceHoldFull = 11,       // nonce ahead, but the hold bounds are reached
  // Market rules (core/execution/market_exec.h).
  kUnauthorized = 12,        // not the DSO, not the order's owner, not the bound meter
  kNotRegistered = 13,       // sender or named account lacks the needed role
  kRoleConflict = 14,        // registration contradicts an existing role or binding
  kGateClosed = 15,          // order or cancel at or after the interval's gate closure
  kOrderLimit = 16,          // a bound on open orders (per account / per interval)
  kOneSidePerInterval = 17,  // the account already has orders on the other side
  kUnknownOrder = 18,        // cancel of an order that is not open
  kOutsideReadingWindow = 19,  // reading before its interval ended or after its window
  kDuplicateReading = 20,    // a second reading for (prosumer, interval)
  kIntervalTooFar = 21,      // order for an interval beyond the bound ahead
  kNonceNotNext = 22,        // nonce ahead for a DSO without an account (cannot be held)
};
inline constexpr uint8_t kMaxTxResultCode = 22;

// Short stable name for logs and tools ("success", "bad_nonce", ...).
absl::string_view TxResultCodeName(TxResultCode code);

// What the transaction index records: committed (applied), failed, or held
// (non-final: a later commit replaces it with kCommitted or kFailed).
enum class TxStatus : uint8_t { kCommitted = 1, kFailed = 2, kHeld = 3 };

inline TxStatus StatusOf(TxResultCode code) {
  if (code == TxResultCode::kSuccess) return TxStatus::kCommitted;
  return code == TxResultCode::kHeld ? TxStatus::kHeld : TxStatus::kFailed;
}

struct TxResult {
  TxId id;
  // Position in the commit: block inputs 0..n-1 in block order, then the
  // transactions released from the nonce hold in execution order (n, n+1, ...).
  uint32_t index = 0;
  TxResultCode code = TxResultCode::kSuccess;
  std::string reason;  // empty on success

  bool ok() const { return code == TxResultCode::kSuccess; }
  TxStatus status() const { return StatusOf(code); }
  bool operator==(const TxResult&) const = default;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_TX_RESULT_H_
