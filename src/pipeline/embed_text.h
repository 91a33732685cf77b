// What the embedder sees for a chunk: its context without the file path (so a renamed
// or copied file re-uses its vectors: the vector key is the hash of this text), then
// the chunk's content.
#pragma once

#include <string>
#include <string_view>

namespace trawl {

inline std::string EmbedText(std::string_view path, std::string_view context,
                             std::string_view content) {
  std::string_view ctx = context;
  if (!path.empty() && ctx.substr(0, path.size()) == path) {
    ctx.remove_prefix(path.size());
    while (!ctx.empty() && (ctx.front() == ' ' || ctx.front() == '>' || ctx.front() == ':' ||
                            ctx.front() == '\n')) {
      ctx.remove_prefix(1);
    }
  }
  std::string out;
  out.reserve(ctx.size() + content.size() + 1);
  out.append(ctx);
  if (!ctx.empty()) out += '\n';
  out.append(content);
  return out;
}

}  // namespace trawl
