// The state the executor reads: accounts, which transaction ids already ran
// (or are held), the nonce hold, the market's ordered key-value records
// (core/execution/market_state.h), the last commit and the running state
// summary. Implemented in memory (MemoryState: tests, simulator) and over LMDB
// (storage/store_state_view.h), so the same deterministic executor runs on both.
#ifndef GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_
#define GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_

#include <cstdint>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/execution/block_tx.h"

namespace gridledger {

// One market record: key and value bytes (layouts in market_state.h).
using MarketEntry = std::pair<Bytes, Bytes>;

struct AccountState {
  Amount balance;
  Nonce next_nonce;  // the nonce the account's next transaction must carry
  bool operator==(const AccountState&) const = default;
};

// An account's state in a block's base view as execution read it: the
// store's state-root update replaces that entry and need not look the
// account up again. `read` false: set without being read first (the store
// then reads it).
struct AccountBefore {
  bool read = false;
  std::optional<AccountState> state;  // nullopt: the account did not exist
  bool operator==(const AccountBefore&) const = default;
};

class StateView {
 public:
  virtual ~StateView() = default;
  // nullopt when the account does not exist. Errors only for storage faults.
  virtual absl::StatusOr<std::optional<AccountState>> GetAccount(
      const AccountRef& account) const = 0;
  // True when a transaction with this id was recorded (executed, failed or
  // held) by an earlier commit.
  virtual absl::StatusOr<bool> HasExecuted(const TxId& id) const = 0;
  // GetAccount and HasExecuted for many at once, answers in order: what a
  // block reads before executing, so a store can answer in one pass (the
  // defaults ask one by one). The read-ahead may include accounts the
  // block's execution then does not read (the recipient of a transfer that
  // fails first); an error on any of them fails the block, as a read during
  // execution would.
  virtual absl::StatusOr<std::vector<std::optional<AccountState>>> GetAccounts(
      absl::Span<const AccountRef> accounts) const {
    std::vector<std::optional<AccountState>> out;
    out.reserve(accounts.size());
    for (const AccountRef& a : accounts) {
      absl::StatusOr<std::optional<AccountState>> state = GetAccount(a);
      if (!state.ok()) return state.status();
      out.push_back(*state);
    }
    return out;
  }
  virtual absl::StatusOr<std::vector<bool>> HasExecutedAll(absl::Span<const TxId> ids) const {
    std::vector<bool> out;
    out.reserve(ids.size());
    for (const TxId& id : ids) {
      absl::StatusOr<bool> executed = HasExecuted(id);
      if (!executed.ok()) return executed.status();
      out.push_back(*executed);
    }
    return out;
  }
  // Summary digest after the last commit (or after genesis).
  virtual absl::StatusOr<Digest> StateSummary() const = 0;
  // The sequence of the last commit; 0 before the first.
  virtual absl::StatusOr<uint64_t> LastCommittedSequence() const = 0;

  // The account's held transactions in nonce order (empty when none).
  virtual absl::StatusOr<std::vector<HeldTx>> HeldFor(const AccountRef& account) const = 0;
  // Every held transaction with held_sequence <= max_held_sequence, ordered by
  // (held_sequence, account, nonce).
  virtual absl::StatusOr<std::vector<HeldTx>> HeldUpTo(uint64_t max_held_sequence) const = 0;
  // How many transactions the slice holds.
  virtual absl::StatusOr<uint64_t> HeldCount() const = 0;

  // The market record under `key`; nullopt when absent.
  virtual absl::StatusOr<std::optional<Bytes>> GetMarket(ByteSpan key) const = 0;
  // Up to `limit` market records with lo <= key < hi (bytewise), ascending.
  virtual absl::StatusOr<std::vector<MarketEntry>> MarketRange(ByteSpan lo, ByteSpan hi,
                                                               size_t limit) const = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_STATE_VIEW_H_
