// The state the executor reads: accounts, which transaction ids already ran,
// and the running state summary. Implemented in memory (MemoryState: tests,
// simulator) and over LMDB (storage/store_state_view.h), so the same
// deterministic executor runs on both.
#ifndef GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_
#define GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_

#include <optional>

#include "absl/status/statusor.h"
#include "core/common/types.h"

namespace gridledger {

struct AccountState {
  Amount balance;
  Nonce next_nonce;  // the nonce the account's next transaction must carry
  bool operator==(const AccountState&) const = default;
};

class StateView {
 public:
  virtual ~StateView() = default;
  // nullopt when the account does not exist. Errors only for storage faults.
  virtual absl::StatusOr<std::optional<AccountState>> GetAccount(
      const AccountRef& account) const = 0;
  // True when a transaction with this id was recorded by an earlier commit.
  virtual absl::StatusOr<bool> HasExecuted(const TxId& id) const = 0;
  // Summary digest after the last commit (or after genesis).
  virtual absl::StatusOr<Digest> StateSummary() const = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_
