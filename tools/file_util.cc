#include "tools/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace gridledger::tools {

bool WriteNewFile(const std::string& path, const std::string& content, mode_t mode,
                  std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = write(fd, content.data(), content.size()) ==
                      static_cast<ssize_t>(content.size()) &&
                  fsync(fd) == 0;
  if (!ok) *error = path + ": " + std::strerror(errno);
  close(fd);
  return ok;
}

}  // namespace gridledger::tools
