// A fresh directory under /tmp, removed with everything in it on destruction.
#ifndef GRIDLEDGER_TESTS_STORAGE_TEMP_DIR_H_
#define GRIDLEDGER_TESTS_STORAGE_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/common/check.h"

namespace gridledger::storage {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/gridledger-storage-test-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_TESTS_STORAGE_TEMP_DIR_H_
