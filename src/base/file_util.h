// Small filesystem helpers. Thread-safety: pure functions over the filesystem.
#pragma once

#include <cstdint>
#include <string>

#include "trawl/status.h"

namespace trawl {

// Reads a whole file; fails with IoError naming the path.
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = UINT64_MAX);
// Writes via a temporary file and rename, so readers never see a partial file.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// A path from a client (relative to `root`, or absolute), as a normalised path relative
// to the root with '/' separators ("." for the root itself), computed lexically (no
// file is touched). InvalidArgument for a malformed one, PermissionDenied for one
// outside the root ("../x", "/etc/passwd").
Result<std::string> PathInRoot(const std::string& root, const std::string& path);

}  // namespace trawl
