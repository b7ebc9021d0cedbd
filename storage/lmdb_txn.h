// RAII LMDB transactions and cursors. A transaction aborts on destruction
// unless committed; data returned by Get or a cursor points into the memory
// map and is valid only while its transaction lives.
#ifndef GRIDLEDGER_STORAGE_LMDB_TXN_H_
#define GRIDLEDGER_STORAGE_LMDB_TXN_H_

#include <lmdb.h>

#include <cstdint>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/common/bytes.h"

namespace gridledger::storage {

class LmdbEnv;
class Txn;
class Cursor;
class WriteCursor;

// A named LMDB database ("table") opened once at start-up.
struct LmdbTable {
  MDB_dbi dbi = 0;
};

// Maps an LMDB return code to a Status: MDB_NOTFOUND -> NotFound,
// MDB_MAP_FULL -> ResourceExhausted, ENOSPC / EDQUOT -> ResourceExhausted
// starting with kDiskFull, anything else -> Internal, each with `what` and
// mdb_strerror's text.
absl::Status LmdbStatus(int rc, const char* what);

// The prefix of every "no room left" error: the device is full, or the map
// reached its configured bound (LmdbOptions::max_map_size_bytes).
inline constexpr char kDiskFull[] = "disk full: ";
// True for a status made with kDiskFull.
bool IsDiskFull(const absl::Status& status);

// Shared read operations of read and write transactions.
class Txn {
 public:
  Txn(Txn&& other) noexcept;
  Txn& operator=(Txn&&) = delete;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn();

  // NotFound when the key is absent. The span lives as long as this txn.
  absl::StatusOr<ByteSpan> Get(LmdbTable table, ByteSpan key) const;
  // A cursor over `table` in key order; it must be destroyed before the txn.
  absl::StatusOr<Cursor> OpenCursor(LmdbTable table) const;
  // The number of entries of `table` in this transaction (mdb_stat: O(1)).
  absl::StatusOr<uint64_t> Entries(LmdbTable table) const;

  bool live() const { return txn_ != nullptr; }
  // Ends the transaction without committing (idempotent).
  void Abort();

 protected:
  Txn(LmdbEnv* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  void Release();  // the txn handle is gone (committed or aborted)

  LmdbEnv* env_;
  MDB_txn* txn_;
  mutable int open_cursors_ = 0;

  friend class CursorHandle;
};

// An open MDB_cursor of a live transaction (Cursor's and WriteCursor's):
// moved, never copied, and closed on destruction, which must come before
// its transaction ends.
class CursorHandle {
 public:
  CursorHandle(CursorHandle&& other) noexcept
      : txn_(other.txn_), cursor_(std::exchange(other.cursor_, nullptr)) {}
  CursorHandle& operator=(CursorHandle&&) = delete;
  ~CursorHandle();

 private:
  CursorHandle(const Txn* txn, MDB_cursor* cursor) : txn_(txn), cursor_(cursor) {}
  static absl::StatusOr<CursorHandle> Open(const Txn& txn, LmdbTable table);
  // The cursor, checked open and its transaction live.
  MDB_cursor* get() const;

  const Txn* txn_;
  MDB_cursor* cursor_;
  friend class Txn;
  friend class WriteTxn;
  friend class Cursor;
  friend class WriteCursor;
};

class ReadTxn : public Txn {
 private:
  ReadTxn(LmdbEnv* env, MDB_txn* txn) : Txn(env, txn) {}
  friend class LmdbEnv;
};

class WriteTxn : public Txn {
 public:
  absl::Status Put(LmdbTable table, ByteSpan key, ByteSpan value);
  // Put of a key above every key of `table` (MDB_APPEND: no search, the
  // last leaf page fills up instead of splitting in half); AlreadyExists
  // when the key is not above the last one.
  absl::Status Append(LmdbTable table, ByteSpan key, ByteSpan value);
  // NotFound when the key is absent.
  absl::Status Delete(LmdbTable table, ByteSpan key);
  // Deletes every entry of `table` (the table stays open).
  absl::Status Clear(LmdbTable table);
  // A cursor for writes of `table` (WriteCursor); destroy it before Commit.
  absl::StatusOr<WriteCursor> OpenWriteCursor(LmdbTable table);
  // Commits and syncs (the env never sets MDB_NOSYNC). The txn ends either way.
  absl::Status Commit();
  // True once an operation failed with MDB_MAP_FULL: the txn is dead and the
  // whole write must be retried after growing the map (LmdbEnv::Write does).
  bool map_full() const { return map_full_; }

 private:
  WriteTxn(LmdbEnv* env, MDB_txn* txn) : Txn(env, txn) {}
  absl::Status Check(int rc, const char* what);
  bool map_full_ = false;
  friend class LmdbEnv;
  friend class WriteCursor;
};

// Writes of one table that each cost one B-tree search, where Get then Put
// costs two or three: the search that finds the stored value also positions
// the write. A cursor kept across writes also skips the descent from the
// root when the next key falls in the leaf page it is on, so write keys in
// ascending order where the order is free.
class WriteCursor {
 public:
  WriteCursor(WriteCursor&& other) noexcept = default;
  WriteCursor& operator=(WriteCursor&&) = delete;

  // Stores key -> value. When the key is present, `replace(old)` runs first
  // with the stored value (valid only during the call): its error leaves the
  // entry as it was and is returned; OK overwrites it.
  absl::Status Put(ByteSpan key, ByteSpan value,
                   absl::FunctionRef<absl::Status(ByteSpan old)> replace);
  // Deletes the key after `removed(old)` saw the stored value; NotFound when
  // absent (then `removed` does not run).
  absl::Status Delete(ByteSpan key, absl::FunctionRef<void(ByteSpan old)> removed);

 private:
  WriteCursor(WriteTxn* txn, CursorHandle cursor) : txn_(txn), cursor_(std::move(cursor)) {}

  WriteTxn* txn_;
  CursorHandle cursor_;
  friend class WriteTxn;
};

// Iterates a table in key order (LMDB's default: lexicographic bytes).
// Positioning calls return true when the cursor is on an entry, false past the end.
class Cursor {
 public:
  Cursor(Cursor&& other) noexcept = default;
  Cursor& operator=(Cursor&&) = delete;

  absl::StatusOr<bool> First();
  absl::StatusOr<bool> Last();
  // The first entry with key >= `key`.
  absl::StatusOr<bool> SeekAtLeast(ByteSpan key);
  absl::StatusOr<bool> Next();
  // Valid only after a positioning call returned true.
  ByteSpan key() const { return key_; }
  ByteSpan value() const { return value_; }

 private:
  explicit Cursor(CursorHandle cursor) : cursor_(std::move(cursor)) {}
  absl::StatusOr<bool> Move(MDB_val* key, MDB_cursor_op op);

  CursorHandle cursor_;
  ByteSpan key_;
  ByteSpan value_;
  friend class Txn;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_LMDB_TXN_H_
