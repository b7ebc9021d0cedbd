// A ConsensusStore in a fresh LMDB environment under /tmp, removed at the end.
#ifndef GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_
#define GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_

#include <memory>
#include <utility>

#include "core/common/check.h"
#include "storage/consensus_store.h"
#include "storage/lmdb_env.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {

class TempConsensusStore {
 public:
  TempConsensusStore() {
    LmdbOptions options;
    options.dir = dir_.path();
    auto env = LmdbEnv::Open(options);
    GL_CHECK(env.ok());
    env_ = std::move(*env);
    auto store = ConsensusStore::Open(env_.get());
    GL_CHECK(store.ok());
    store_ = std::move(*store);
  }
  ConsensusStore* get() { return store_.get(); }
  ConsensusStore* operator->() { return store_.get(); }

 private:
  // Declared first, so it goes last: the store and its env close first.
  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<ConsensusStore> store_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_
