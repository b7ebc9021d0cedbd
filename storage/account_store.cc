#include "storage/account_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/records.h"

namespace gridledger::storage {

namespace {

// The account's record in `accounts` (merged state), nullopt when absent.
absl::StatusOr<std::optional<AccountState>> ReadMergedAccount(const Txn& txn,
                                                              const NodeTables& tables,
                                                              const AccountRef& account) {
  absl::StatusOr<ByteSpan> stored = txn.Get(tables.accounts, EncodeAccountKey(account));
  if (absl::IsNotFound(stored.status())) return std::optional<AccountState>();
  GL_RETURN_IF_ERROR(stored.status());
  GL_ASSIGN_OR_RETURN(AccountState state, DecodeAccountRecord(*stored));
  return std::optional<AccountState>(state);
}

}  // namespace

absl::StatusOr<std::optional<AccountState>> ReadAccount(const Txn& txn, const NodeTables& tables,
                                                        const RecentTxs& recent, TxWindow window,
                                                        const AccountRef& account) {
  if (std::optional<AccountState> state =
          recent.FindAccount(account, window.merged_through, window.last)) {
    return state;
  }
  return ReadMergedAccount(txn, tables, account);
}

absl::StatusOr<std::vector<std::optional<AccountState>>> ReadAccounts(
    const Txn& txn, const NodeTables& tables, const RecentTxs& recent, TxWindow window,
    absl::Span<const AccountRef> accounts) {
  std::vector<std::optional<AccountState>> out(accounts.size());
  recent.FindAccounts(accounts, window.merged_through, window.last, absl::MakeSpan(out));
  for (size_t i = 0; i < accounts.size(); ++i) {
    if (out[i].has_value()) continue;
    GL_ASSIGN_OR_RETURN(out[i], ReadMergedAccount(txn, tables, accounts[i]));
  }
  return out;
}

absl::Status WriteCommitAccounts(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                                 StateWriter& state, uint64_t sequence, uint64_t merged_through,
                                 absl::Span<const std::pair<AccountRef, AccountState>> states,
                                 absl::Span<const AccountBefore> before, bool fold_follows,
                                 bool before_hashed) {
  GL_CHECK(before.empty() || before.size() == states.size());
  const TxWindow window{merged_through, sequence - 1};
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& [account, now] = states[i];
    const auto key = EncodeAccountKey(account);
    const auto record = EncodeAccountRecord(now);
    // The old record as stored: encoding is canonical (the decoder is strict).
    const bool known = !before.empty() && before[i].read;
    if (!(known && before_hashed)) {
      std::optional<AccountState> old;
      if (known) {
        old = before[i].state;
      } else {
        GL_ASSIGN_OR_RETURN(old, ReadAccount(txn, tables, recent, window, account));
      }
      if (old.has_value()) {
        state.ReplaceEntry(StateTable::kAccounts, key, EncodeAccountRecord(*old), record);
      } else {
        state.AddEntry(StateTable::kAccounts, key, record);
      }
    }
    if (fold_follows) continue;
    absl::Status appended = txn.Append(tables.acct_log, EncodeAcctLogKey(sequence, key), record);
    if (absl::IsAlreadyExists(appended)) {
      return absl::DataLossError(
          absl::StrCat("acct_log holds records above commit ", sequence, ", the next commit"));
    }
    GL_RETURN_IF_ERROR(appended);
  }
  return absl::OkStatus();
}

absl::Status FoldRecentAccounts(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                                uint64_t merged_through, uint64_t through) {
  const std::vector<std::pair<AccountRef, AccountState>> newest =
      recent.CollectAccounts(merged_through, through);
  {
    // Ascending keys with one cursor: each leaf page is dirtied once.
    GL_ASSIGN_OR_RETURN(WriteCursor cursor, txn.OpenWriteCursor(tables.accounts));
    for (const auto& [account, account_state] : newest) {
      GL_RETURN_IF_ERROR(cursor.Put(EncodeAccountKey(account), EncodeAccountRecord(account_state),
                                    [](ByteSpan) { return absl::OkStatus(); }));
    }
  }
  // Every acct_log record is at or below `through` now: drop its pages whole.
  return txn.Clear(tables.acct_log);
}

absl::Status LoadRecentAccounts(const Txn& txn, const NodeTables& tables, RecentTxs& recent) {
  GL_ASSIGN_OR_RETURN(const uint64_t merged_through, ReadTxsMergedThrough(txn, tables));
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(tables.acct_log));
  GL_ASSIGN_OR_RETURN(bool on, cursor.First());
  uint64_t sequence = 0;
  std::vector<std::pair<AccountRef, AccountState>> states;
  auto flush = [&] {
    if (!states.empty()) recent.AddAccounts(sequence, states);
    states.clear();
  };
  while (on) {
    GL_ASSIGN_OR_RETURN(auto key, DecodeAcctLogKey(cursor.key()));
    if (key.first <= merged_through) {
      return absl::DataLossError(absl::StrCat("acct_log holds a record of commit ", key.first,
                                              ", at or below the merge point ", merged_through));
    }
    if (key.first != sequence) {
      flush();
      sequence = key.first;
    }
    GL_ASSIGN_OR_RETURN(AccountRef account, DecodeAccountKey(key.second));
    GL_ASSIGN_OR_RETURN(AccountState account_state, DecodeAccountRecord(cursor.value()));
    states.emplace_back(account, account_state);
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  flush();
  return absl::OkStatus();
}

absl::Status ForEachAccount(const Txn& txn, const NodeTables& tables,
                            absl::FunctionRef<absl::Status(ByteSpan key, ByteSpan record)> fn) {
  // (key, sequence, record) of acct_log: spans into the map while `txn`
  // lives. Newest first within a key, so the first of each key wins.
  struct Logged {
    ByteSpan key;
    uint64_t sequence;
    ByteSpan record;
  };
  std::vector<Logged> window;
  {
    GL_ASSIGN_OR_RETURN(Cursor log, txn.OpenCursor(tables.acct_log));
    GL_ASSIGN_OR_RETURN(bool on, log.First());
    while (on) {
      GL_ASSIGN_OR_RETURN(auto key, DecodeAcctLogKey(log.key()));
      window.push_back(Logged{key.second, key.first, log.value()});
      GL_ASSIGN_OR_RETURN(on, log.Next());
    }
  }
  auto key_less = [](ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  };
  std::sort(window.begin(), window.end(), [&](const Logged& a, const Logged& b) {
    if (a.key != b.key) return key_less(a.key, b.key);
    return a.sequence > b.sequence;
  });
  window.erase(std::unique(window.begin(), window.end(),
                           [](const Logged& a, const Logged& b) { return a.key == b.key; }),
               window.end());
  auto next = window.begin();
  GL_ASSIGN_OR_RETURN(Cursor table, txn.OpenCursor(tables.accounts));
  GL_ASSIGN_OR_RETURN(bool on, table.First());
  while (on) {
    const ByteSpan key = table.key();
    for (; next != window.end() && key_less(next->key, key); ++next) {
      GL_RETURN_IF_ERROR(fn(next->key, next->record));
    }
    if (next != window.end() && next->key == key) {
      GL_RETURN_IF_ERROR(fn(next->key, next->record));
      ++next;
    } else {
      GL_RETURN_IF_ERROR(fn(key, table.value()));
    }
    GL_ASSIGN_OR_RETURN(on, table.Next());
  }
  for (; next != window.end(); ++next) GL_RETURN_IF_ERROR(fn(next->key, next->record));
  return absl::OkStatus();
}

}  // namespace gridledger::storage
