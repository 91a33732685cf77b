#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace trawl {

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  // O_NONBLOCK: a FIFO (or a device) in the place of a file must not hang the open; it
  // is refused below, before any read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IoError("cannot read " + path + ": not a regular file");
  }
  if (st.st_size > 0) {
    out.reserve(static_cast<size_t>(std::min<uint64_t>(st.st_size, max_bytes)));
  }
  char buf[1 << 16];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::IoError("cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IoError("cannot write " + tmp + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::IoError("cannot flush " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::IoError("cannot rename to " + path + ": " + std::strerror(e));
  }
  return Status::Ok();
}

Result<std::string> PathInRoot(const std::string& root, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return Status::InvalidArgument("empty path");
  if (path.find('\0') != std::string::npos) return Status::InvalidArgument("path holds a NUL byte");
  fs::path p(path);
  fs::path rel;
  if (p.is_absolute()) {
    fs::path r = fs::path(root).lexically_normal();
    rel = p.lexically_normal().lexically_relative(r);
    if (rel.empty()) return Status::PermissionDenied("path is outside the indexed root: " + path);
  } else {
    rel = p.lexically_normal();
  }
  std::string s = rel.generic_string();
  if (s == ".." || s.rfind("../", 0) == 0) {
    return Status::PermissionDenied("path is outside the indexed root: " + path);
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s == "." || s.empty()) return std::string(".");
  return s;
}

}  // namespace trawl
