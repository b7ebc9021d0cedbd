// RecordLog: entries come back in order across reopens; a torn or corrupt
// tail, stale entries of an older generation and a torn header are never
// read as entries.
#include "storage/record_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

Bytes Payload(uint8_t seed, size_t size) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

std::vector<Bytes> ReadAll(const RecordLog& log) {
  std::vector<Bytes> out;
  EXPECT_TRUE(log.ForEach([&](ByteSpan p) {
                   out.emplace_back(p.begin(), p.end());
                   return absl::OkStatus();
                 }).ok());
  return out;
}

std::unique_ptr<RecordLog> OpenOrDie(const std::string& path) {
  auto log = RecordLog::Open(path);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : nullptr;
}

void Append(RecordLog& log, const Bytes& payload) {
  const ByteSpan part(payload);
  ASSERT_TRUE(log.Append({&part, 1}).ok());
}

// Overwrites `bytes` at `offset` of the file behind the log's back.
void Scribble(const std::string& path, uint64_t offset, const Bytes& bytes) {
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(bytes.size()));
  close(fd);
}

TEST(RecordLogTest, EntriesComeBackInOrderAfterReopen) {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  const std::vector<Bytes> written = {Payload(1, 10), Payload(2, 0), Payload(3, 5000),
                                      Payload(4, (3 << 20) + 17)};  // larger than one extension
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->generation(), 1u);
    EXPECT_EQ(log->entry_bytes(), 0u);
    for (const Bytes& p : written) Append(*log, p);
    EXPECT_EQ(ReadAll(*log), written);
  }
  auto log = OpenOrDie(path);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(ReadAll(*log), written);
  // Appends continue after the last entry.
  Append(*log, Payload(5, 3));
  log.reset();  // one handle at a time (OneWriterAtATime)
  auto again = OpenOrDie(path);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(ReadAll(*again).size(), written.size() + 1);
  EXPECT_EQ(ReadAll(*again).back(), Payload(5, 3));
}

TEST(RecordLogTest, PartsAreOneEntry) {
  TempDir dir;
  auto log = OpenOrDie(dir.path() + "/a.log");
  ASSERT_NE(log, nullptr);
  const Bytes a = Payload(1, 3), b = Payload(9, 4);
  const ByteSpan parts[] = {ByteSpan(a), ByteSpan(b)};
  ASSERT_TRUE(log->Append(parts).ok());
  Bytes joined = a;
  joined.insert(joined.end(), b.begin(), b.end());
  EXPECT_EQ(ReadAll(*log), std::vector<Bytes>{joined});
}

TEST(RecordLogTest, ATornOrCorruptTailIsDroppedAndOverwritten) {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    for (uint8_t i = 0; i < 3; ++i) Append(*log, Payload(i, 100));
  }
  // Flip a byte in the third entry's payload: its checksum fails.
  const uint64_t third = kRecordLogHeaderBytes + 2 * (kRecordLogEntryHeaderBytes + 100);
  Scribble(path, third + kRecordLogEntryHeaderBytes + 50, {0xAB});
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(ReadAll(*log), (std::vector<Bytes>{Payload(0, 100), Payload(1, 100)}));
    Append(*log, Payload(7, 20));  // replaces the corrupt entry
  }
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(ReadAll(*log),
              (std::vector<Bytes>{Payload(0, 100), Payload(1, 100), Payload(7, 20)}));
  }
  // A length that runs past the file's end is a torn entry too.
  const uint64_t fourth = third + kRecordLogEntryHeaderBytes + 20;
  Scribble(path, fourth, {0x47, 0x4C, 0x45, 0x31, 0x7F, 0xFF, 0xFF, 0xFF});
  auto torn = OpenOrDie(path);
  ASSERT_NE(torn, nullptr);
  EXPECT_EQ(ReadAll(*torn).size(), 3u);
}

TEST(RecordLogTest, ResetForgetsEntriesEvenThoseStillOnDisk) {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    for (uint8_t i = 0; i < 4; ++i) Append(*log, Payload(i, 1000));
    ASSERT_TRUE(log->Reset(7).ok());
    EXPECT_EQ(log->generation(), 7u);
    EXPECT_EQ(log->entry_bytes(), 0u);
    EXPECT_TRUE(ReadAll(*log).empty());
    // A shorter entry leaves the older generation's bytes after it.
    Append(*log, Payload(9, 10));
  }
  auto log = OpenOrDie(path);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->generation(), 7u);
  EXPECT_EQ(ReadAll(*log), std::vector<Bytes>{Payload(9, 10)});
}

TEST(RecordLogTest, ATornHeaderEmptiesTheLog) {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  {
    auto log = OpenOrDie(path);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Reset(5).ok());
    Append(*log, Payload(1, 10));
  }
  Scribble(path, 9, {0x00, 0x11});  // inside the generation: the checksum fails
  auto log = OpenOrDie(path);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->generation(), 1u);
  EXPECT_TRUE(ReadAll(*log).empty());
  EXPECT_EQ(std::filesystem::file_size(path), kRecordLogHeaderBytes);
}

// A second writer on the same file (another validator process on the same
// data directory) is refused, and may open once the first is gone.
TEST(RecordLogTest, OneWriterAtATime) {
  TempDir dir;
  const std::string path = dir.path() + "/a.log";
  auto first = OpenOrDie(path);
  ASSERT_NE(first, nullptr);
  auto second = RecordLog::Open(path);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  first.reset();
  EXPECT_NE(OpenOrDie(path), nullptr);
}

TEST(RecordLogTest, AnEntryOverTheBoundIsRefused) {
  TempDir dir;
  auto log = OpenOrDie(dir.path() + "/a.log");
  ASSERT_NE(log, nullptr);
  const uint8_t byte = 0;
  // Parts that only claim the size: the bound is checked before any write.
  std::vector<ByteSpan> parts(1025, ByteSpan(&byte, 1));
  parts[0] = ByteSpan(&byte, kRecordLogEntryMaxBytes);
  const absl::Status status = log->Append(parts);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(log->entry_bytes(), 0u);
}

}  // namespace
}  // namespace gridledger::storage
