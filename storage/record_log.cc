#include "storage/record_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger::storage {
namespace {

constexpr uint8_t kHeaderMagic[8] = {'G', 'L', 'R', 'L', 'O', 'G', '0', '1'};
constexpr uint32_t kEntryMagic = 0x474C4531;  // "GLE1"

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int e = errno;
  const std::string message = absl::StrCat("record log ", path, ": ", what, ": ", std::strerror(e));
  // A full disk is a condition to wait out (IsRecordLogFull), not a fault.
  if (e == ENOSPC || e == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

uint64_t ReadBe(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t Checksum(uint64_t generation, uint32_t length, absl::Span<const ByteSpan> parts) {
  uint8_t prefix[12];
  PutBigEndian(generation, 8, prefix);
  PutBigEndian(length, 4, prefix + 8);
  Sha256Hasher h;
  h.Update(ByteSpan(prefix, sizeof(prefix)));
  for (ByteSpan part : parts) h.Update(part);
  const Digest d = h.Finish();
  return ReadBe(d.data(), 8);
}

uint64_t HeaderChecksum(uint64_t generation) {
  uint8_t bytes[16];
  std::memcpy(bytes, kHeaderMagic, 8);
  PutBigEndian(generation, 8, bytes + 8);
  const Digest d = Sha256(ByteSpan(bytes, sizeof(bytes)));
  return ReadBe(d.data(), 8);
}

// Writes all of `iov` at `offset`, resuming after short writes.
bool WriteFully(int fd, std::vector<iovec> iov, uint64_t offset) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    const ssize_t n = pwritev(fd, iov.data() + first, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    offset += static_cast<uint64_t>(n);
    size_t left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

// Reads exactly `size` bytes at `offset`; false on a short read or an error.
bool ReadFully(int fd, uint8_t* out, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

// A new file's directory entry must survive a crash too.
absl::Status SyncParentDir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open its directory", path);
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Errno("fsync its directory", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordLog>> RecordLog::Open(const std::string& path) {
  const bool existed = std::filesystem::exists(path);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("open", path);
  std::unique_ptr<RecordLog> log(new RecordLog(path, fd));
  // One writer: a second process on the same data directory would append
  // over this one's entries. The lock goes with the descriptor (and the
  // process: a crash releases it).
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    if (e == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("record log ", path, ": in use by another process or handle"));
    }
    errno = e;
    return Errno("flock", path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return Errno("fstat", path);
  log->file_bytes_ = static_cast<uint64_t>(st.st_size);

  bool header_ok = false;
  if (log->file_bytes_ >= kRecordLogHeaderBytes) {
    uint8_t header[24];
    if (!ReadFully(fd, header, sizeof(header), 0)) return Errno("read header", path);
    const uint64_t generation = ReadBe(header + 8, 8);
    header_ok = std::memcmp(header, kHeaderMagic, 8) == 0 && generation > 0 &&
                ReadBe(header + 16, 8) == HeaderChecksum(generation);
    if (header_ok) log->generation_ = generation;
  }
  if (!header_ok) {
    // New, or a Reset torn by a crash (its entries were applied before the
    // Reset began): start empty, with no stale entry left to misread.
    if (ftruncate(fd, 0) != 0) return Errno("truncate", path);
    log->file_bytes_ = 0;
    GL_RETURN_IF_ERROR(log->WriteHeader(1));
    if (fsync(fd) != 0) return Errno("fsync", path);
    if (!existed) GL_RETURN_IF_ERROR(SyncParentDir(path));
    return log;
  }
  uint64_t end = kRecordLogHeaderBytes;
  GL_RETURN_IF_ERROR(log->Scan([](ByteSpan) { return absl::OkStatus(); }, &end));
  log->end_ = end;
  return log;
}

RecordLog::~RecordLog() { close(fd_); }

absl::Status RecordLog::WriteHeader(uint64_t generation) {
  static const std::vector<uint8_t> kZeros(kRecordLogHeaderBytes, 0);
  std::vector<uint8_t> block(kZeros);
  std::memcpy(block.data(), kHeaderMagic, 8);
  PutBigEndian(generation, 8, block.data() + 8);
  PutBigEndian(HeaderChecksum(generation), 8, block.data() + 16);
  if (!WriteFully(fd_, {iovec{block.data(), block.size()}}, 0)) return Errno("write header", path_);
  file_bytes_ = std::max<uint64_t>(file_bytes_, kRecordLogHeaderBytes);
  generation_ = generation;
  end_ = kRecordLogHeaderBytes;
  return absl::OkStatus();
}

absl::Status RecordLog::Scan(absl::FunctionRef<absl::Status(ByteSpan payload)> fn,
                             uint64_t* end) const {
  uint64_t offset = kRecordLogHeaderBytes;
  Bytes payload;
  while (offset + kRecordLogEntryHeaderBytes <= file_bytes_) {
    uint8_t h[kRecordLogEntryHeaderBytes];
    if (!ReadFully(fd_, h, sizeof(h), offset)) break;
    const uint64_t length = ReadBe(h + 4, 4);
    if (ReadBe(h, 4) != kEntryMagic || ReadBe(h + 8, 8) != generation_ ||
        length > kRecordLogEntryMaxBytes ||
        offset + kRecordLogEntryHeaderBytes + length > file_bytes_) {
      break;
    }
    payload.resize(length);
    if (!ReadFully(fd_, payload.data(), length, offset + kRecordLogEntryHeaderBytes)) break;
    const ByteSpan span(payload);
    if (ReadBe(h + 16, 8) != Checksum(generation_, static_cast<uint32_t>(length), {&span, 1})) {
      break;
    }
    GL_RETURN_IF_ERROR(fn(span));
    offset += kRecordLogEntryHeaderBytes + length;
  }
  *end = offset;
  return absl::OkStatus();
}

absl::Status RecordLog::ForEach(absl::FunctionRef<absl::Status(ByteSpan payload)> fn) const {
  uint64_t end = 0;
  return Scan(fn, &end);
}

absl::Status RecordLog::ExtendTo(uint64_t size_bytes) {
  static const std::vector<uint8_t> kZeros(kRecordLogExtendBytes, 0);
  while (file_bytes_ < size_bytes) {
    const uint64_t chunk = std::min<uint64_t>(kRecordLogExtendBytes, size_bytes - file_bytes_);
    if (!WriteFully(fd_, {iovec{const_cast<uint8_t*>(kZeros.data()), chunk}}, file_bytes_)) {
      return Errno("extend", path_);
    }
    file_bytes_ += chunk;
  }
  return absl::OkStatus();
}

absl::Status RecordLog::Append(absl::Span<const ByteSpan> parts) {
  uint64_t length = 0;
  for (ByteSpan part : parts) length += part.size();
  if (length > kRecordLogEntryMaxBytes) {
    return absl::InvalidArgumentError(absl::StrCat("record log ", path_, ": an entry of ", length,
                                                   " bytes exceeds ", kRecordLogEntryMaxBytes));
  }
  const uint64_t entry_end = end_ + kRecordLogEntryHeaderBytes + length;
  if (entry_end > file_bytes_) {
    // Whole chunks, so the next appends find their blocks already there.
    const uint64_t chunks = (entry_end + kRecordLogExtendBytes - 1) / kRecordLogExtendBytes;
    GL_RETURN_IF_ERROR(ExtendTo(chunks * kRecordLogExtendBytes));
  }
  uint8_t h[kRecordLogEntryHeaderBytes];
  PutBigEndian(kEntryMagic, 4, h);
  PutBigEndian(length, 4, h + 4);
  PutBigEndian(generation_, 8, h + 8);
  PutBigEndian(Checksum(generation_, static_cast<uint32_t>(length), parts), 8, h + 16);
  std::vector<iovec> iov;
  iov.reserve(parts.size() + 1);
  iov.push_back(iovec{h, sizeof(h)});
  for (ByteSpan part : parts) {
    if (!part.empty()) iov.push_back(iovec{const_cast<uint8_t*>(part.data()), part.size()});
  }
  if (!WriteFully(fd_, std::move(iov), end_)) return Errno("append", path_);
  // Flushes the entry, and the file size when it just grew.
  if (fdatasync(fd_) != 0) return Errno("fdatasync", path_);
  end_ = entry_end;
  return absl::OkStatus();
}

absl::Status RecordLog::Reset(uint64_t generation) {
  GL_CHECK(generation > generation_);
  GL_RETURN_IF_ERROR(WriteHeader(generation));
  if (fdatasync(fd_) != 0) return Errno("fdatasync", path_);
  return absl::OkStatus();
}

}  // namespace gridledger::storage
