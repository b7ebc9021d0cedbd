#include "core/execution/tx_result.h"

namespace gridledger {

absl::string_view TxResultCodeName(TxResultCode code) {
  switch (code) {
    case TxResultCode::kSuccess: return "success";
    case TxResultCode::kDuplicate: return "duplicate";
    case TxResultCode::kWrongSlice: return "wrong_slice";
    case TxResultCode::kNotExecutable: return "not_executable";
    case TxResultCode::kUnknownSender: return "unknown_sender";
    case TxResultCode::kBadNonce: return "bad_nonce";
    case TxResultCode::kZeroAmount: return "zero_amount";
    case TxResultCode::kInsufficientBalance: return "insufficient_balance";
    case TxResultCode::kCrossSlice: return "cross_slice";
    case TxResultCode::kNonceGapExpired: return "nonce_gap_expired";
    case TxResultCode::kHeld: return "held";
    case TxResultCode::kNonceHoldFull: return "nonce_hold_full";
    case TxResultCode::kUnauthorized: return "unauthorized";
    case TxResultCode::kNotRegistered: return "not_registered";
    case TxResultCode::kRoleConflict: return "role_conflict";
    case TxResultCode::kGateClosed: return "gate_closed";
    case TxResultCode::kOrderLimit: return "order_limit";
    case TxResultCode::kOneSidePerInterval: return "one_side_per_interval";
    case TxResultCode::kUnknownOrder: return "unknown_order";
    case TxResultCode::kOutsideReadingWindow: return "outside_reading_window";
    case TxResultCode::kDuplicateReading: return "duplicate_reading";
    case TxResultCode::kIntervalTooFar: return "interval_too_far";
    case TxResultCode::kNonceNotNext: return "nonce_not_next";
  }
  return "unknown";
}

}  // namespace gridledger
