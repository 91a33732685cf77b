#include "store/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace trawl::store_internal {
namespace {

std::string ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid += buf[i];
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<std::unique_ptr<WriterLock>> WriterLock::Acquire(const std::string& dir, bool wait) {
  std::string path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  for (;;) {
    if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) break;
    if (errno == EINTR) continue;
    int e = errno;
    if (e == EWOULDBLOCK) {
      std::string pid = ReadPid(fd);
      ::close(fd);
      return Status::Unavailable("index " + dir + " is being written by another trawl process (pid " + pid + ")");
    }
    ::close(fd);
    return Status::IoError("cannot lock " + path + ": " + std::strerror(e));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock is held; only the pid shown to a second writer is missing.
  }
  return std::unique_ptr<WriterLock>(new WriterLock(fd));
}

WriterLock::~WriterLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace trawl::store_internal
