#include "storage/lmdb_txn.h"

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/lmdb_env.h"

namespace gridledger::storage {
namespace {

MDB_val ToVal(ByteSpan bytes) {
  return MDB_val{bytes.size(), const_cast<uint8_t*>(bytes.data())};
}

ByteSpan FromVal(const MDB_val& val) {
  return ByteSpan(static_cast<const uint8_t*>(val.mv_data), val.mv_size);
}

}  // namespace

bool IsDiskFull(const absl::Status& status) {
  return absl::IsResourceExhausted(status) && absl::StartsWith(status.message(), kDiskFull);
}

absl::Status LmdbStatus(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return absl::OkStatus();
  std::string message = absl::StrCat("lmdb ", what, ": ", mdb_strerror(rc));
  if (rc == MDB_NOTFOUND) return absl::NotFoundError(message);
  if (rc == MDB_MAP_FULL) return absl::ResourceExhaustedError(message);
  // The device is full (or the user's quota spent): nothing this process can
  // fix by retrying at once; the operator frees space.
  if (rc == ENOSPC || rc == EDQUOT) return absl::ResourceExhaustedError(absl::StrCat(kDiskFull, message));
  return absl::InternalError(message);
}

Txn::Txn(Txn&& other) noexcept : env_(other.env_), txn_(other.txn_) {
  GL_CHECK_MSG(other.open_cursors_ == 0, "moving a transaction with open cursors");
  other.txn_ = nullptr;
}

Txn::~Txn() { Abort(); }

void Txn::Abort() {
  if (txn_ == nullptr) return;
  GL_CHECK_MSG(open_cursors_ == 0, "transaction ended with open cursors");
  mdb_txn_abort(txn_);
  Release();
}

void Txn::Release() {
  txn_ = nullptr;
  env_->LeaveTxn();
}

absl::StatusOr<uint64_t> Txn::Entries(LmdbTable table) const {
  GL_CHECK(live());
  MDB_stat stat;
  int rc = mdb_stat(txn_, table.dbi, &stat);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "stat");
  return uint64_t{stat.ms_entries};
}

absl::StatusOr<ByteSpan> Txn::Get(LmdbTable table, ByteSpan key) const {
  GL_CHECK(live());
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(txn_, table.dbi, &k, &v);
  if (rc == MDB_NOTFOUND) {
    // A miss is a normal answer (several per executed transaction): the
    // same status every time, copied (a reference count), not rebuilt (a
    // message and a status allocation each).
    static const absl::Status* const kNotFound = new absl::Status(LmdbStatus(rc, "get"));
    return *kNotFound;
  }
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "get");
  return FromVal(v);
}

absl::StatusOr<CursorHandle> CursorHandle::Open(const Txn& txn, LmdbTable table) {
  GL_CHECK(txn.live());
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.txn_, table.dbi, &cursor);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "cursor_open");
  ++txn.open_cursors_;
  return CursorHandle(&txn, cursor);
}

CursorHandle::~CursorHandle() {
  if (cursor_ == nullptr) return;
  GL_CHECK_MSG(txn_->live(), "cursor outlived its transaction");
  mdb_cursor_close(cursor_);
  --txn_->open_cursors_;
}

MDB_cursor* CursorHandle::get() const {
  GL_CHECK(cursor_ != nullptr && txn_->live());
  return cursor_;
}

absl::StatusOr<Cursor> Txn::OpenCursor(LmdbTable table) const {
  GL_ASSIGN_OR_RETURN(CursorHandle cursor, CursorHandle::Open(*this, table));
  return Cursor(std::move(cursor));
}

absl::Status WriteTxn::Check(int rc, const char* what) {
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return LmdbStatus(rc, what);
}

absl::Status WriteTxn::Put(LmdbTable table, ByteSpan key, ByteSpan value) {
  GL_CHECK(live());
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  return Check(mdb_put(txn_, table.dbi, &k, &v, 0), "put");
}

absl::Status WriteTxn::Append(LmdbTable table, ByteSpan key, ByteSpan value) {
  GL_CHECK(live());
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  const int rc = mdb_put(txn_, table.dbi, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) return absl::AlreadyExistsError("lmdb append: key not above the last");
  return Check(rc, "put(append)");
}

absl::Status WriteTxn::Delete(LmdbTable table, ByteSpan key) {
  GL_CHECK(live());
  MDB_val k = ToVal(key);
  return Check(mdb_del(txn_, table.dbi, &k, nullptr), "del");
}

absl::Status WriteTxn::Clear(LmdbTable table) {
  GL_CHECK(live());
  return Check(mdb_drop(txn_, table.dbi, 0), "drop");
}

absl::StatusOr<WriteCursor> WriteTxn::OpenWriteCursor(LmdbTable table) {
  GL_ASSIGN_OR_RETURN(CursorHandle cursor, CursorHandle::Open(*this, table));
  return WriteCursor(this, std::move(cursor));
}

absl::Status WriteTxn::Commit() {
  GL_CHECK(live());
  GL_CHECK_MSG(open_cursors_ == 0, "commit with open cursors");
  // mdb_txn_commit frees the handle whether or not it succeeds.
  int rc = mdb_txn_commit(txn_);
  Release();
  return Check(rc, "commit");
}

absl::Status WriteCursor::Put(ByteSpan key, ByteSpan value,
                              absl::FunctionRef<absl::Status(ByteSpan old)> replace) {
  MDB_cursor* cursor = cursor_.get();
  MDB_val k = ToVal(key);
  // MDB_NOOVERWRITE: one search that inserts when absent and, when present,
  // returns the stored value in `found` with the cursor on its entry.
  MDB_val found = ToVal(value);
  const int rc = mdb_cursor_put(cursor, &k, &found, MDB_NOOVERWRITE);
  if (rc != MDB_KEYEXIST) return txn_->Check(rc, "cursor_put");
  GL_RETURN_IF_ERROR(replace(FromVal(found)));
  MDB_val v = ToVal(value);
  return txn_->Check(mdb_cursor_put(cursor, &k, &v, MDB_CURRENT), "cursor_put(current)");
}

absl::Status WriteCursor::Delete(ByteSpan key, absl::FunctionRef<void(ByteSpan old)> removed) {
  MDB_cursor* cursor = cursor_.get();
  MDB_val k = ToVal(key);
  MDB_val found;
  GL_RETURN_IF_ERROR(txn_->Check(mdb_cursor_get(cursor, &k, &found, MDB_SET), "cursor_get"));
  removed(FromVal(found));
  return txn_->Check(mdb_cursor_del(cursor, 0), "cursor_del");
}

absl::StatusOr<bool> Cursor::Move(MDB_val* key, MDB_cursor_op op) {
  MDB_val v;
  int rc = mdb_cursor_get(cursor_.get(), key, &v, op);
  if (rc == MDB_NOTFOUND) {
    key_ = ByteSpan();
    value_ = ByteSpan();
    return false;
  }
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "cursor_get");
  key_ = FromVal(*key);
  value_ = FromVal(v);
  return true;
}

absl::StatusOr<bool> Cursor::First() {
  MDB_val k{0, nullptr};
  return Move(&k, MDB_FIRST);
}

absl::StatusOr<bool> Cursor::Last() {
  MDB_val k{0, nullptr};
  return Move(&k, MDB_LAST);
}

absl::StatusOr<bool> Cursor::SeekAtLeast(ByteSpan key) {
  MDB_val k = ToVal(key);
  return Move(&k, MDB_SET_RANGE);
}

absl::StatusOr<bool> Cursor::Next() {
  MDB_val k{0, nullptr};
  return Move(&k, MDB_NEXT);
}

}  // namespace gridledger::storage
