#include "base/hash.h"

#include <xxhash.h>

#include <cstdio>

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

}  // namespace trawl
