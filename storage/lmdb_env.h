// An LMDB environment: one directory, a bounded set of named tables, and a
// memory map that grows (doubling, up to a named maximum) when a write runs
// out of room. Opened with MDB_NOTLS so a read transaction is not tied to a
// thread, and without MDB_NOSYNC / MDB_NOMETASYNC so a committed write is on
// disk before Commit() returns. Never use an env across fork(): open it in the
// process that uses it.
#ifndef GRIDLEDGER_STORAGE_LMDB_ENV_H_
#define GRIDLEDGER_STORAGE_LMDB_ENV_H_

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/log.h"
#include "storage/lmdb_txn.h"

namespace gridledger::storage {

inline constexpr uint64_t kDefaultInitialMapSizeBytes = uint64_t{64} << 20;
// Address space only (the file is sparse); the bound on map growth.
inline constexpr uint64_t kDefaultMaxMapSizeBytes = uint64_t{1} << 40;
inline constexpr uint32_t kDefaultMaxTables = 32;
inline constexpr uint32_t kLmdbMaxReaders = 126;
// How long a map resize waits for open transactions to finish.
inline constexpr int64_t kMapResizeWaitMs = 5000;
// Upper bound on write retries; doubling reaches any map bound well before it.
inline constexpr int kMaxWriteAttempts = 64;
// With wait_for_space, a write that found the disk full tries again after
// this long (doubling from kDiskFullRetryMinMs).
inline constexpr int64_t kDiskFullRetryMinMs = 10;
inline constexpr int64_t kDiskFullRetryMaxMs = 1000;

struct LmdbOptions {
  std::string dir;  // created if missing
  uint64_t initial_map_size_bytes = kDefaultInitialMapSizeBytes;
  uint64_t max_map_size_bytes = kDefaultMaxMapSizeBytes;
  uint32_t max_tables = kDefaultMaxTables;
  // When a write finds the disk full (IsDiskFull: ENOSPC, or the map at
  // max_map_size_bytes), Write() waits and tries again until space returns
  // or StopWaitingForSpace() is called, instead of failing. A validator sets
  // it: its consensus thread pauses on a full disk and resumes by itself.
  bool wait_for_space = false;
  // Where a full disk is reported (a node passes its own, core/common/log.h).
  Logger logger{};
};

class LmdbEnv {
 public:
  static absl::StatusOr<std::unique_ptr<LmdbEnv>> Open(const LmdbOptions& options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Opens (creating if needed) a named table. Call at start-up, before
  // transactions run concurrently.
  absl::StatusOr<LmdbTable> OpenTable(absl::string_view name);
  // Whether a named table exists, without creating it (a store's layout
  // check at start-up, before transactions run concurrently).
  absl::StatusOr<bool> HasTable(absl::string_view name);

  absl::StatusOr<ReadTxn> BeginRead();
  // A raw write transaction: MDB_MAP_FULL surfaces as ResourceExhausted.
  // Prefer Write(), which grows the map and retries.
  absl::StatusOr<WriteTxn> BeginWrite();

  // Runs `body` in a write transaction and commits it. When any step hits
  // MDB_MAP_FULL the transaction is aborted, the map doubled (bounded by
  // max_map_size_bytes) and `body` run again from scratch, so it must only
  // write through the txn. `body` must not commit.
  // A disk-full failure sets disk_full() (cleared by the next successful
  // write) and, with wait_for_space, is retried as described there.
  // Bodies of WriteRiding() calls waiting at its start run in its
  // transaction too, after `body` (see there); they never change what it
  // returns, but when one fails `body` runs again (without it), as after a
  // map growth. Riders are handed back before a wait for space.
  absl::Status Write(absl::FunctionRef<absl::Status(WriteTxn&)> body);

  // Write() for a writer that can wait a little (admissions): `body` is
  // offered to the next Write() another thread starts within `wait`, and
  // runs in that call's transaction, after its own body, so the two share
  // one synced commit. Only when no Write() takes it in time, or the one
  // that took it fails, does this call run Write(body) itself. Same promise
  // as Write(): OK means `body`'s writes are durable; an error is `body`'s
  // own or its own write's (a body that fails in another call's transaction
  // is rolled back from it alone and then run here, where it fails again).
  // Why: every synced commit costs two device flushes and ~0.3 ms of kernel
  // CPU on a VM, and a validator's consensus writer commits every few ms
  // anyway (docs/benchmarks.md, "Admissions ride on the consensus writes").
  absl::Status WriteRiding(absl::FunctionRef<absl::Status(WriteTxn&)> body,
                           absl::Duration wait);

  // True from a write that found the disk full until a write succeeds:
  // admission refuses new work meanwhile.
  bool disk_full() const { return disk_full_.load(); }
  // Writes waiting for space return their disk-full error from now on.
  void StopWaitingForSpace();
  // Raises (or lowers) the bound on map growth at run time: space returning.
  void SetMaxMapSize(uint64_t max_map_size_bytes);

  // Write() transactions committed (each one synced) since Open.
  uint64_t synced_writes() const { return synced_writes_.load(); }
  // WriteRiding() bodies committed in another call's transaction.
  uint64_t ridden_writes() const { return ridden_writes_.load(); }
  // WriteRiding() calls waiting for a Write() to take them (tests).
  size_t waiting_riders() const;

  uint64_t map_size_bytes() const;
  int map_growths() const;
  const std::string& dir() const { return options_.dir; }

 private:
  LmdbEnv(MDB_env* env, const LmdbOptions& options, uint64_t map_size_bytes)
      : env_(env), options_(options), map_size_bytes_(map_size_bytes),
        max_map_size_bytes_(options.max_map_size_bytes) {}
  // Counts open transactions so a resize can wait until none is open
  // (mdb_env_set_mapsize requires that in this process).
  void EnterTxn();
  void LeaveTxn();
  absl::Status Grow(uint64_t size_seen_bytes);
  // One Write() without waiting for space.
  absl::Status WriteOnce(absl::FunctionRef<absl::Status(WriteTxn&)> body);
  // A WriteRiding() call's body and how far it got. Lives on that call's
  // stack, which waits until the rider is kDone or kReturned.
  struct Rider {
    explicit Rider(absl::FunctionRef<absl::Status(WriteTxn&)> b) : body(b) {}
    absl::FunctionRef<absl::Status(WriteTxn&)> body;
    enum class State { kWaiting, kTaken, kDone, kReturned };
    State state = State::kWaiting;
  };
  // Takes every waiting rider (kTaken).
  std::vector<Rider*> TakeRiders();
  // Sets `riders`' state (kDone: committed; kReturned: to be written by
  // their own call).
  void SettleRiders(const std::vector<Rider*>& riders, Rider::State state);
  // After a disk-full failure: waits for space as Write() promises; false
  // when it should give up.
  bool WaitForSpace(const absl::Status& status, int64_t* wait_ms);

  MDB_env* env_;
  const LmdbOptions options_;
  mutable absl::Mutex mu_;
  uint64_t map_size_bytes_ ABSL_GUARDED_BY(mu_);
  int open_txns_ ABSL_GUARDED_BY(mu_) = 0;
  bool resizing_ ABSL_GUARDED_BY(mu_) = false;
  int map_growths_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t max_map_size_bytes_ ABSL_GUARDED_BY(mu_);
  bool stop_waiting_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> disk_full_{false};
  std::atomic<uint64_t> synced_writes_{0};
  std::atomic<uint64_t> ridden_writes_{0};

  mutable absl::Mutex riders_mu_;
  std::vector<Rider*> riders_ ABSL_GUARDED_BY(riders_mu_);  // kWaiting, oldest first

  friend class Txn;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_LMDB_ENV_H_
