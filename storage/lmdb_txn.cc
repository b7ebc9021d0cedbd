#include "storage/lmdb_txn.h"

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
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

absl::StatusOr<Cursor> Txn::OpenCursor(LmdbTable table) const {
  GL_CHECK(live());
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, table.dbi, &cursor);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "cursor_open");
  ++open_cursors_;
  return Cursor(this, cursor);
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

absl::Status WriteTxn::Delete(LmdbTable table, ByteSpan key) {
  GL_CHECK(live());
  MDB_val k = ToVal(key);
  return Check(mdb_del(txn_, table.dbi, &k, nullptr), "del");
}

absl::Status WriteTxn::Clear(LmdbTable table) {
  GL_CHECK(live());
  return Check(mdb_drop(txn_, table.dbi, 0), "drop");
}

absl::Status WriteTxn::Commit() {
  GL_CHECK(live());
  GL_CHECK_MSG(open_cursors_ == 0, "commit with open cursors");
  // mdb_txn_commit frees the handle whether or not it succeeds.
  int rc = mdb_txn_commit(txn_);
  Release();
  return Check(rc, "commit");
}

Cursor::Cursor(Cursor&& other) noexcept
    : txn_(other.txn_), cursor_(other.cursor_), key_(other.key_), value_(other.value_) {
  other.cursor_ = nullptr;
}

Cursor::~Cursor() {
  if (cursor_ == nullptr) return;
  GL_CHECK_MSG(txn_->live(), "cursor outlived its transaction");
  mdb_cursor_close(cursor_);
  --txn_->open_cursors_;
}

absl::StatusOr<bool> Cursor::Move(MDB_val* key, MDB_cursor_op op) {
  GL_CHECK(cursor_ != nullptr && txn_->live());
  MDB_val v;
  int rc = mdb_cursor_get(cursor_, key, &v, op);
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
