// Runs the real `gridledger verify-batch` binary on files built from the
// official BIP-340 vectors and on malformed input.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "tests/testdata/bip340_vectors.h"

namespace gridledger {
namespace {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class VerifyBatchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gl_verify_batch_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteInput(const std::string& text) {
    const std::string path = (dir_ / "input.csv").string();
    std::ofstream(path) << text;
    return path;
  }

  RunResult Run(const std::string& input, const std::string& flags) {
    const std::string out = (dir_ / "out.txt").string(), err = (dir_ / "err.txt").string();
    const std::string cmd = std::string(GL_GRIDLEDGER_BINARY) + " verify-batch " + input + " " +
                            flags + " >" + out + " 2>" + err;
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
  }

  std::filesystem::path dir_;
};

std::string VectorsInput(std::string* expected) {
  std::string input;
  for (const auto& v : testdata::kBip340Vectors) {
    input += absl::AsciiStrToLower(std::string(v.pubkey_hex)) + "," + v.msg_hex + "," +
             v.sig_hex + "\n";
    *expected += v.expected_valid ? "1\n" : "0\n";
  }
  return input;
}

TEST_F(VerifyBatchCliTest, OfficialVectorsOnEveryBackendFlag) {
  std::string expected;
  const std::string input = WriteInput(VectorsInput(&expected));
  for (const char* flags : {"", "--backend=cpu", "--backend=gpu", "--backend=auto"}) {
    RunResult r = Run(input, flags);
    EXPECT_EQ(r.exit_code, 0) << flags << "\n" << r.err;
    EXPECT_EQ(r.out, expected) << flags;
    EXPECT_NE(r.err.find("verifier backend: "), std::string::npos) << r.err;
  }
}

TEST_F(VerifyBatchCliTest, MalformedLineFailsWithLineNumberAndNoResults) {
  std::string expected;
  std::string good = VectorsInput(&expected);
  const std::string first_line = good.substr(0, good.find('\n') + 1);
  struct Bad {
    std::string line;
    std::string reason;
  };
  const Bad bad[] = {
      {"00,11\n", "expected 3 comma-separated fields"},
      {first_line.substr(0, first_line.size() - 3) + "\n", "sig: expected 64 bytes"},
      {"zz" + first_line.substr(2), "pubkey: not a hex digit"},
      {"\n", "expected 3 comma-separated fields"},
  };
  for (const Bad& b : bad) {
    const std::string input = WriteInput(first_line + first_line + b.line + first_line);
    RunResult r = Run(input, "--backend=cpu");
    EXPECT_EQ(r.exit_code, 1) << b.line;
    EXPECT_EQ(r.out, "") << b.line;
    EXPECT_NE(r.err.find("input.csv:3: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(b.reason), std::string::npos) << r.err;
  }
}

TEST_F(VerifyBatchCliTest, UnknownBackendIsRejected) {
  std::string expected;
  RunResult r = Run(WriteInput(VectorsInput(&expected)), "--backend=fpga");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--backend: fpga not in {auto,cpu,gpu}"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gridledger
