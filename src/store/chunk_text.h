// How the embedded store keeps a chunk's text: its context and content in one zstd frame
// (with zstd's checksum, so damage to the text is found when it is read): source code
// compresses 2.5x per chunk at level 1 (all of linux's drivers/: 575 -> 226 MB).
// Thread-safety: pure functions (a compression context per thread).
#pragma once

#include <string>
#include <string_view>

#include "trawl/status.h"

namespace trawl::store_internal {

// [4-byte little-endian length of context][context][content], compressed.
std::string PackChunkText(std::string_view context, std::string_view content);
// Corruption if `blob` is not a frame PackChunkText made, or fails its checksum.
Status UnpackChunkText(std::string_view blob, std::string* context, std::string* content);

}  // namespace trawl::store_internal
