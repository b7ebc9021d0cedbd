// real_store mode of the simulator: each validator's consensus state goes
// through the node's own persistence adapter (storage/consensus_store.h, one
// LMDB environment per validator) instead of the in-memory map, and a
// crash-restarted validator is restored with ConsensusStore::Load(gc_depth),
// the GC-horizon load the node runs on start-up (node.cc) — so restart bugs in
// that adapter show up in the seeded sweeps first.
#ifndef GRIDLEDGER_TESTS_SIM_REAL_STORE_H_
#define GRIDLEDGER_TESTS_SIM_REAL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/persistence.h"
#include "storage/consensus_store.h"
#include "storage/lmdb_env.h"

namespace gridledger::sim {

// A fresh directory under BaseDir(), removed (with its contents) when the
// object goes away.
class TempDir {
 public:
  // /dev/shm where it exists (a simulated crash never loses the page cache,
  // so fsync to a real disk would only slow the sweeps), else the temp dir.
  static std::string BaseDir();
  static absl::StatusOr<std::unique_ptr<TempDir>> Create(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// One validator's disk in real_store mode: an LMDB env in `dir` and the
// node's ConsensusStore on it. Survives the validator's crashes (the disk does).
class RealStore {
 public:
  static absl::StatusOr<std::unique_ptr<RealStore>> Open(const std::string& dir);

  // What the node's consensus driver does with a run of PersistActions
  // (consensus_driver.cc FlushPersist): one synced write.
  absl::Status Persist(absl::Span<const consensus::PersistRecord> records);
  // What the node's commit executor records for commit `sub` (store sequence
  // index + 1): its commit state, certificates and executed transaction ids.
  absl::Status RecordCommit(const consensus::CommittedSubDag& sub);
  // The node's start-up load (node.cc): ConsensusStore::Load(gc_depth).
  absl::StatusOr<consensus::PersistedState> Load(uint64_t gc_depth) const;

 private:
  RealStore(std::unique_ptr<storage::LmdbEnv> env, std::unique_ptr<storage::ConsensusStore> store)
      : env_(std::move(env)), store_(std::move(store)) {}
  std::unique_ptr<storage::LmdbEnv> env_;
  std::unique_ptr<storage::ConsensusStore> store_;
};

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_REAL_STORE_H_
