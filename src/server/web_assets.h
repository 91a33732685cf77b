// The web page's files (src/server/web), built into the binary by cmake/EmbedFiles.cmake
// and served by `trawl serve` at "/". Thread-safety: immutable data.
#pragma once

#include <span>
#include <string_view>

namespace trawl {

struct WebAsset {
  std::string_view path;     // "/index.html", "/app.js", ...
  std::string_view content;
};

std::span<const WebAsset> WebAssets();

}  // namespace trawl
