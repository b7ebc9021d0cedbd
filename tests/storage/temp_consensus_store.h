// A ConsensusStore in a fresh LMDB environment under /tmp, removed at the end.
#ifndef GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_
#define GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/common/check.h"
#include "storage/consensus_store.h"
#include "storage/lmdb_env.h"

namespace gridledger::storage {

class TempConsensusStore {
 public:
  TempConsensusStore() {
    std::string pattern = "/tmp/gridledger-cstore-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    LmdbOptions options;
    options.dir = dir_;
    auto env = LmdbEnv::Open(options);
    GL_CHECK(env.ok());
    env_ = std::move(*env);
    auto store = ConsensusStore::Open(env_.get());
    GL_CHECK(store.ok());
    store_ = std::move(*store);
  }
  ~TempConsensusStore() {
    store_.reset();
    env_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ConsensusStore* get() { return store_.get(); }
  ConsensusStore* operator->() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<ConsensusStore> store_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_TESTS_STORAGE_TEMP_CONSENSUS_STORE_H_
