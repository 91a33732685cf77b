// Content hashing (xxHash XXH3). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trawl/status.h"

namespace trawl {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);
// 16 lowercase hex digits of Hash64: the form stored in the index.
std::string HashHex(std::string_view data);
std::string ToHex64(uint64_t v);
// HashHex of a file's bytes, read in blocks (memory stays small whatever its size).
Result<std::string> HashFileHex(const std::string& path);

}  // namespace trawl
