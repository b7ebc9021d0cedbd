#include "core/common/file_read.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace gridledger {
namespace {

class FileReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/gl-file-read-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(FileReadTest, ReadsExactlyTheFileUpToTheBound) {
  const std::string big(200'000, 'x');  // spans several read chunks
  auto text = ReadFileBounded(Write("big", big), big.size(), "genesis");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, big);
  auto empty = ReadFileBounded(Write("empty", ""), 10, "key_file");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
}

TEST_F(FileReadTest, OneByteOverTheBoundIsRefusedWithTheReason) {
  const std::string path = Write("over", std::string(101, 'y'));
  auto text = ReadFileBounded(path, 100, "key_file");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(text.status().message(), "key_file " + path + ": larger than 100 bytes");
}

TEST_F(FileReadTest, MissingFileIsNotFound) {
  auto text = ReadFileBounded(dir_ + "/absent", 100, "genesis");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(text.status().message(), "genesis " + dir_ + "/absent: cannot open");
}

}  // namespace
}  // namespace gridledger
