// The state root: a commitment to the slice's whole execution state, kept up
// to date inside each commit's single write transaction.
//
// The state is the set of entries (table, key, value) of the tables execution
// reads: accounts, txs (the executed-id index and results), held (the nonce
// hold) and market. Derived indexes (held_expiry, the held count), per-commit
// history (commits, released, state_roots) and the chained state summary are
// not state: they follow from it or from the log. The root is
// LtHash16(elements).Root() (core/crypto/lthash.h) with
// element = table id u8 | key_len u16 | key | value, so a write costs one
// expansion per entry changed (subtract the old entry, add the new) and a
// snapshot can be checked against the root by hashing it from scratch.
//
// StateWriter is the ONE place that writes those tables: every put or delete
// of NodeStore::CommitBlock and SeedGenesis goes through it, so the running
// hash cannot miss a change. The txs entries are not stored key -> value
// (storage/tx_store.h: records in tx_log under (sequence, id), an id
// index): tx_store writes them and hashes each change with AddEntry /
// RemoveEntry of the same StateWriter. Likewise the accounts of the commits
// since the last merge live in acct_log (storage/account_store.h), which
// hashes them with ReplaceEntry / AddEntry.
#ifndef GRIDLEDGER_STORAGE_STATE_ROOT_H_
#define GRIDLEDGER_STORAGE_STATE_ROOT_H_

#include <array>
#include <cstdint>
#include <iterator>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/lthash.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"

namespace gridledger::storage {

// The tables the root covers; the value is the table's id in the element.
enum class StateTable : uint8_t { kAccounts = 'a', kTxs = 't', kHeld = 'h', kMarket = 'm' };
inline constexpr StateTable kStateTables[] = {StateTable::kAccounts, StateTable::kTxs,
                                              StateTable::kHeld, StateTable::kMarket};

Bytes StateElement(StateTable table, ByteSpan key, ByteSpan value);

// The hash side of an entry added, or replaced, into any running hash: a
// block's delta computed before its write transaction begins
// (NodeStore::PrepareBlock), then added with StateWriter::AddHashed.
void HashAddEntry(LtHash16& hash, StateTable table, ByteSpan key, ByteSpan value);
void HashReplaceEntry(LtHash16& hash, StateTable table, ByteSpan key, ByteSpan old_value,
                      ByteSpan new_value);

class StateWriter {
 public:
  // Starts from the hash stored in meta (DataLoss when it is corrupt; the
  // empty hash when absent: a new store).
  static absl::StatusOr<StateWriter> Begin(WriteTxn* txn, const NodeTables& tables);

  // One B-tree search per write (WriteCursor): the search that finds the old
  // entry, whose element the hash subtracts, also places the new one.
  absl::Status Put(StateTable table, ByteSpan key, ByteSpan value);
  // Put where a stored entry is replaced only if `may_replace(old)` is OK;
  // its error is returned and nothing changes.
  absl::Status Put(StateTable table, ByteSpan key, ByteSpan value,
                   absl::FunctionRef<absl::Status(ByteSpan old)> may_replace);
  // NotFound when the key is absent (nothing changes).
  absl::Status Delete(StateTable table, ByteSpan key);
  // The hash side only of an entry added or removed (kTxs: tx_store.h).
  void AddEntry(StateTable table, ByteSpan key, ByteSpan value);
  void RemoveEntry(StateTable table, ByteSpan key, ByteSpan value);
  // Both in one pass (kAccounts: account_store.h).
  void ReplaceEntry(StateTable table, ByteSpan key, ByteSpan old_value, ByteSpan new_value);
  // A delta of entries hashed apart (HashAddEntry, HashReplaceEntry).
  void AddHashed(const LtHash16& delta) { hash_.Add(delta); }
  // Stores the running hash in meta; returns the root. Call once, last.
  absl::StatusOr<Digest> Finish();

 private:
  StateWriter(WriteTxn* txn, const NodeTables& tables, LtHash16 hash)
      : txn_(txn), tables_(tables), hash_(hash) {}
  // The table's cursor, opened on first use and kept until Finish.
  absl::StatusOr<WriteCursor*> CursorFor(StateTable table);

  WriteTxn* txn_;
  NodeTables tables_;
  LtHash16 hash_;
  std::array<std::optional<WriteCursor>, std::size(kStateTables)> cursors_;
};

// The LMDB table holding `table`'s entries (kTxs: tx_log, keyed
// sequence | id, so StateKeyOf gives the state's key).
LmdbTable TableOf(const NodeTables& tables, StateTable table);
// The state key of a stored key of TableOf(table); DataLoss when malformed.
absl::StatusOr<ByteSpan> StateKeyOf(StateTable table, ByteSpan stored_key);

// The running hash stored in meta; the empty hash when absent.
absl::StatusOr<LtHash16> ReadStateHash(const Txn& txn, const NodeTables& tables);
// The hash recomputed from every entry of the state tables (O(state)): what a
// snapshot is checked with, and what tests compare the running hash to.
absl::StatusOr<LtHash16> ComputeStateHash(const Txn& txn, const NodeTables& tables);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_STATE_ROOT_H_
