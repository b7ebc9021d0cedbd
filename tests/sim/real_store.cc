#include "tests/sim/real_store.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/tx/codec.h"

namespace gridledger::sim {

std::string TempDir::BaseDir() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
  return ec ? std::string("/tmp") : tmp.string();
}

absl::StatusOr<std::unique_ptr<TempDir>> TempDir::Create(const std::string& prefix) {
  std::string pattern = (std::filesystem::path(BaseDir()) / (prefix + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  return std::unique_ptr<TempDir>(new TempDir(std::move(pattern)));
}

TempDir::~TempDir() {
  std::error_code ec;  // best effort: a leftover temp dir is not a test failure
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::unique_ptr<RealStore>> RealStore::Open(const std::string& dir) {
  storage::LmdbOptions options;
  options.dir = dir;
  // A simulated run writes little; keep the sparse map small per validator.
  options.initial_map_size_bytes = uint64_t{8} << 20;
  GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::LmdbEnv> env, storage::LmdbEnv::Open(options));
  GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::ConsensusStore> store,
                      storage::ConsensusStore::Open(env.get()));
  return std::unique_ptr<RealStore>(new RealStore(std::move(env), std::move(store)));
}

absl::Status RealStore::Persist(absl::Span<const consensus::PersistRecord> records) {
  return store_->Persist(records);
}

absl::Status RealStore::RecordCommit(const consensus::CommittedSubDag& sub) {
  // The executed ids in commit order, as the commit executor flattens them.
  std::vector<TxId> ids;
  absl::flat_hash_set<TxId> seen;
  for (const auto& batch : sub.batches) {
    for (ByteSpan tx : batch->transactions) {
      const TxId id = ComputeTxId(tx);
      if (seen.insert(id).second) ids.push_back(id);
    }
  }
  return store_->RecordCommit(sub, sub.index + 1, ids);
}

absl::StatusOr<consensus::PersistedState> RealStore::Load(uint64_t gc_depth) const {
  return store_->Load(gc_depth);
}

}  // namespace gridledger::sim
