#include "storage/lmdb_env.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {

absl::StatusOr<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const LmdbOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("lmdb dir: empty path");
  if (options.initial_map_size_bytes == 0 ||
      options.initial_map_size_bytes > options.max_map_size_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lmdb initial_map_size_bytes: ", options.initial_map_size_bytes,
        " must be in [1, max_map_size_bytes=", options.max_map_size_bytes, "]"));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("lmdb dir ", options.dir, ": ", ec.message()));
  }
  MDB_env* env = nullptr;
  GL_RETURN_IF_ERROR(LmdbStatus(mdb_env_create(&env), "env_create"));
  // From here on, close the env on any failure.
  auto fail = [env](int rc, const char* what) {
    mdb_env_close(env);
    return LmdbStatus(rc, what);
  };
  int rc = mdb_env_set_maxdbs(env, options.max_tables);
  if (rc != MDB_SUCCESS) return fail(rc, "env_set_maxdbs");
  rc = mdb_env_set_maxreaders(env, kLmdbMaxReaders);
  if (rc != MDB_SUCCESS) return fail(rc, "env_set_maxreaders");
  rc = mdb_env_set_mapsize(env, options.initial_map_size_bytes);
  if (rc != MDB_SUCCESS) return fail(rc, "env_set_mapsize");
  // Durable by default: no MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP or MDB_MAPASYNC.
  rc = mdb_env_open(env, options.dir.c_str(), MDB_NOTLS, 0640);
  if (rc != MDB_SUCCESS) return fail(rc, "env_open");
  // An existing environment may already be larger than the initial size.
  MDB_envinfo info;
  rc = mdb_env_info(env, &info);
  if (rc != MDB_SUCCESS) return fail(rc, "env_info");
  return std::unique_ptr<LmdbEnv>(new LmdbEnv(env, options, info.me_mapsize));
}

LmdbEnv::~LmdbEnv() {
  {
    absl::MutexLock lock(&mu_);
    GL_CHECK_MSG(open_txns_ == 0, "LmdbEnv destroyed with open transactions");
  }
  mdb_env_close(env_);
}

absl::StatusOr<LmdbTable> LmdbEnv::OpenTable(absl::string_view name) {
  GL_ASSIGN_OR_RETURN(WriteTxn txn, BeginWrite());
  LmdbTable table;
  std::string name_z(name);
  GL_RETURN_IF_ERROR(
      LmdbStatus(mdb_dbi_open(txn.txn_, name_z.c_str(), MDB_CREATE, &table.dbi),
                 "dbi_open"));
  GL_RETURN_IF_ERROR(txn.Commit());
  return table;
}

absl::StatusOr<bool> LmdbEnv::HasTable(absl::string_view name) {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, BeginRead());
  MDB_dbi dbi = 0;
  const std::string name_z(name);
  const int rc = mdb_dbi_open(txn.txn_, name_z.c_str(), 0, &dbi);
  if (rc == MDB_NOTFOUND) return false;
  GL_RETURN_IF_ERROR(LmdbStatus(rc, "dbi_open"));
  return true;
}

void LmdbEnv::EnterTxn() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* resizing) { return !*resizing; }, &resizing_));
  ++open_txns_;
}

void LmdbEnv::LeaveTxn() {
  absl::MutexLock lock(&mu_);
  GL_CHECK(open_txns_ > 0);
  --open_txns_;
}

absl::StatusOr<ReadTxn> LmdbEnv::BeginRead() {
  EnterTxn();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != MDB_SUCCESS) {
    LeaveTxn();
    return LmdbStatus(rc, "txn_begin(read)");
  }
  return ReadTxn(this, txn);
}

absl::StatusOr<WriteTxn> LmdbEnv::BeginWrite() {
  EnterTxn();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != MDB_SUCCESS) {
    LeaveTxn();
    return LmdbStatus(rc, "txn_begin(write)");
  }
  return WriteTxn(this, txn);
}

absl::Status LmdbEnv::Write(absl::FunctionRef<absl::Status(WriteTxn&)> body) {
  std::vector<Rider*> riders = TakeRiders();
  int64_t wait_ms = kDiskFullRetryMinMs;
  absl::Status status;
  for (;;) {
    Rider* failed = nullptr;
    status = WriteOnce([&](WriteTxn& txn) -> absl::Status {
      failed = nullptr;  // each attempt (map growth) runs every body again
      GL_RETURN_IF_ERROR(body(txn));
      for (Rider* rider : riders) {
        if (absl::Status s = rider->body(txn); !s.ok()) {
          failed = rider;
          return s;
        }
      }
      return absl::OkStatus();
    });
    if (failed != nullptr) {
      // The rider's own error: it goes back to its call, which meets it
      // alone; this write runs again without it.
      SettleRiders({failed}, Rider::State::kReturned);
      riders.erase(std::find(riders.begin(), riders.end(), failed));
      continue;
    }
    if (!IsDiskFull(status)) break;
    // The riders write alone meanwhile: theirs may fit where the whole did not.
    SettleRiders(riders, Rider::State::kReturned);
    riders.clear();
    if (!WaitForSpace(status, &wait_ms)) break;
  }
  if (status.ok()) {
    disk_full_.store(false);
    synced_writes_.fetch_add(1);
    ridden_writes_.fetch_add(riders.size());
    SettleRiders(riders, Rider::State::kDone);
  } else {
    SettleRiders(riders, Rider::State::kReturned);
  }
  return status;
}

absl::Status LmdbEnv::WriteRiding(absl::FunctionRef<absl::Status(WriteTxn&)> body,
                                  absl::Duration wait) {
  Rider me(body);
  {
    absl::MutexLock lock(&riders_mu_);
    riders_.push_back(&me);
    riders_mu_.AwaitWithTimeout(
        absl::Condition(+[](Rider* r) { return r->state != Rider::State::kWaiting; }, &me),
        wait);
    if (me.state == Rider::State::kWaiting) {
      riders_.erase(std::find(riders_.begin(), riders_.end(), &me));
    } else {
      // Taken: the taker runs `body` on its thread while this one waits.
      riders_mu_.Await(absl::Condition(
          +[](Rider* r) {
            return r->state == Rider::State::kDone || r->state == Rider::State::kReturned;
          },
          &me));
      if (me.state == Rider::State::kDone) return absl::OkStatus();
    }
  }
  return Write(body);
}

std::vector<LmdbEnv::Rider*> LmdbEnv::TakeRiders() {
  absl::MutexLock lock(&riders_mu_);
  std::vector<Rider*> taken;
  taken.swap(riders_);
  for (Rider* rider : taken) rider->state = Rider::State::kTaken;
  return taken;
}

void LmdbEnv::SettleRiders(const std::vector<Rider*>& riders, Rider::State state) {
  if (riders.empty()) return;
  absl::MutexLock lock(&riders_mu_);
  for (Rider* rider : riders) rider->state = state;
}

size_t LmdbEnv::waiting_riders() const {
  absl::MutexLock lock(&riders_mu_);
  return riders_.size();
}

bool LmdbEnv::WaitForSpace(const absl::Status& status, int64_t* wait_ms) {
  if (!disk_full_.exchange(true)) {
    options_.logger.Warn(absl::StrCat("storage ", options_.dir, ": ", status.message()));
  }
  if (!options_.wait_for_space) return false;
  absl::MutexLock lock(&mu_);
  // Wakes early when stopped or when the bound is raised.
  const uint64_t bound_seen = max_map_size_bytes_;
  struct Wake {
    const bool* stop;
    const uint64_t* bound;
    uint64_t seen;
  } wake{&stop_waiting_, &max_map_size_bytes_, bound_seen};
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Wake* w) { return *w->stop || *w->bound != w->seen; }, &wake),
                       absl::Milliseconds(*wait_ms));
  if (stop_waiting_) return false;
  *wait_ms = std::min(*wait_ms * 2, kDiskFullRetryMaxMs);
  return true;
}

void LmdbEnv::StopWaitingForSpace() {
  absl::MutexLock lock(&mu_);
  stop_waiting_ = true;
}

void LmdbEnv::SetMaxMapSize(uint64_t max_map_size_bytes) {
  absl::MutexLock lock(&mu_);
  max_map_size_bytes_ = max_map_size_bytes;
}

absl::Status LmdbEnv::WriteOnce(absl::FunctionRef<absl::Status(WriteTxn&)> body) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    const uint64_t size_seen_bytes = map_size_bytes();
    bool map_full = false;
    absl::Status status;
    {
      GL_ASSIGN_OR_RETURN(WriteTxn txn, BeginWrite());
      status = body(txn);
      GL_CHECK_MSG(txn.live() || txn.map_full(), "Write body must not commit");
      if (status.ok()) status = txn.Commit();
      map_full = txn.map_full();
      // txn aborts here unless committed: no transaction of ours stays open.
    }
    if (status.ok()) return status;
    if (!map_full) return status;
    GL_RETURN_IF_ERROR(Grow(size_seen_bytes));
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "lmdb write: map still full after ", kMaxWriteAttempts, " attempts"));
}

absl::Status LmdbEnv::Grow(uint64_t size_seen_bytes) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* resizing) { return !*resizing; }, &resizing_));
  // Another writer grew the map since this one failed: just retry.
  if (map_size_bytes_ > size_seen_bytes) return absl::OkStatus();
  if (map_size_bytes_ >= max_map_size_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        kDiskFull, "lmdb map full at max_map_size_bytes=", max_map_size_bytes_));
  }
  const uint64_t new_size_bytes = std::min(map_size_bytes_ * 2, max_map_size_bytes_);
  resizing_ = true;
  const bool drained = mu_.AwaitWithTimeout(
      absl::Condition(+[](int* open) { return *open == 0; }, &open_txns_),
      absl::Milliseconds(kMapResizeWaitMs));
  absl::Status status;
  if (!drained) {
    status = absl::ResourceExhaustedError(absl::StrCat(
        "lmdb map full; cannot grow while ", open_txns_,
        " transactions stay open for ", kMapResizeWaitMs, " ms"));
  } else {
    status = LmdbStatus(mdb_env_set_mapsize(env_, new_size_bytes), "env_set_mapsize");
    if (status.ok()) {
      map_size_bytes_ = new_size_bytes;
      ++map_growths_;
    }
  }
  resizing_ = false;
  return status;
}

uint64_t LmdbEnv::map_size_bytes() const {
  absl::MutexLock lock(&mu_);
  return map_size_bytes_;
}

int LmdbEnv::map_growths() const {
  absl::MutexLock lock(&mu_);
  return map_growths_;
}

}  // namespace gridledger::storage
