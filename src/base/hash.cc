#include "base/hash.h"

#include <fcntl.h>
#include <unistd.h>
// xxHash compiled in here (Debian's header, same algorithm and values as the library):
// Hash64 runs for every term the embedder hashes, and the library call cost more
// than hashing a short term.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace trawl {

uint64_t Hash64(std::string_view data, uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

std::string ToHex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

std::string HashHex(std::string_view data) { return ToHex64(Hash64(data)); }

Result<std::string> HashFileHex(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  if (state == nullptr || XXH3_64bits_reset_withSeed(state.get(), 0) != XXH_OK) {
    ::close(fd);
    return Status::Internal("cannot start a hash");
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::IoError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    XXH3_64bits_update(state.get(), buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return ToHex64(XXH3_64bits_digest(state.get()));
}

}  // namespace trawl
