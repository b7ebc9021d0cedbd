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
};
inline constexpr uint8_t kMaxTxResultCode = 8;

// Short stable name for logs and tools ("success", "bad_nonce", ...).
absl::string_view TxResultCodeName(TxResultCode code);

// What the transaction index records: committed (applied) or failed.
enum class TxStatus : uint8_t { kCommitted = 1, kFailed = 2 };

struct TxResult {
  TxId id;
  uint32_t index = 0;  // position in the executed block
  TxResultCode code = TxResultCode::kSuccess;
  std::string reason;  // empty on success

  bool ok() const { return code == TxResultCode::kSuccess; }
  TxStatus status() const { return ok() ? TxStatus::kCommitted : TxStatus::kFailed; }
  bool operator==(const TxResult&) const = default;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_TX_RESULT_H_
