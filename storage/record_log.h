// A write-ahead log file: entries appended in order, each durable when Append
// returns, at the cost of one device flush. LMDB's synced commit costs two
// (the data pages, then the meta page), and on the 2-vCPU VMs here each flush
// of a consensus write sat on a message hop's critical path
// (docs/benchmarks.md, "Consensus records through a log").
//
// Layout: a 4 KiB header block (magic, generation, checksum), then entries
//   magic u32 | payload length u32 | generation u64 | checksum u64 | payload
// where checksum is the first 8 bytes of SHA-256(generation | length |
// payload), big-endian. The file is extended in zero-filled chunks ahead of
// the entries, so an append overwrites blocks that already belong to the
// file and its flush writes no metadata (on ext4, fdatasync of a growing file
// also commits the journal). Reset starts a new generation: entries of older
// generations, still on disk, stop being read without being rewritten.
//
// Reading stops at the first entry that is short, stale (another
// generation), or fails its checksum: only an append that had not returned
// can be lost that way. A header that fails its checksum (a Reset torn by a
// crash, which only ever follows the entries having been applied elsewhere)
// empties the file.
//
// One writer; not thread-safe.
#ifndef GRIDLEDGER_STORAGE_RECORD_LOG_H_
#define GRIDLEDGER_STORAGE_RECORD_LOG_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"

namespace gridledger::storage {

inline constexpr size_t kRecordLogHeaderBytes = 4096;
inline constexpr size_t kRecordLogEntryHeaderBytes = 24;
// The file grows by this much at a time (zero-filled once, reused after Reset).
inline constexpr size_t kRecordLogExtendBytes = size_t{1} << 20;
// No entry is larger (a bound on what a read allocates).
inline constexpr size_t kRecordLogEntryMaxBytes = size_t{1} << 30;

class RecordLog {
 public:
  // Opens `path`, creating it (generation 1) when missing, and locks it
  // (flock): FailedPrecondition while another process or handle has it open.
  static absl::StatusOr<std::unique_ptr<RecordLog>> Open(const std::string& path);
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;

  // The valid entries of the current generation, oldest first; the next
  // Append goes after the last of them.
  absl::Status ForEach(absl::FunctionRef<absl::Status(ByteSpan payload)> fn) const;

  // One entry, the concatenation of `parts`, durable on return.
  // ResourceExhausted when the disk is full (ENOSPC, EDQUOT): nothing was
  // appended, and a later call may succeed.
  absl::Status Append(absl::Span<const ByteSpan> parts);

  // Forgets every entry: the header's generation becomes `generation`
  // (which must exceed generation()), durable on return.
  absl::Status Reset(uint64_t generation);

  uint64_t generation() const { return generation_; }
  // Bytes of entries since the last Reset (0 when empty).
  uint64_t entry_bytes() const { return end_ - kRecordLogHeaderBytes; }
  const std::string& path() const { return path_; }

 private:
  RecordLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status WriteHeader(uint64_t generation);
  // Reads the entries from kRecordLogHeaderBytes on; sets end_ after the last valid one.
  absl::Status Scan(absl::FunctionRef<absl::Status(ByteSpan payload)> fn, uint64_t* end) const;
  absl::Status ExtendTo(uint64_t size_bytes);

  const std::string path_;
  int fd_;
  uint64_t generation_ = 0;
  uint64_t end_ = kRecordLogHeaderBytes;   // where the next entry goes
  uint64_t file_bytes_ = 0;                // the file's size (zero-filled past end_)
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_RECORD_LOG_H_
