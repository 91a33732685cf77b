#include "search/pieces.h"

#include <cctype>
#include <string_view>

namespace trawl {

bool IsFurtherPiece(const ChunkSpan& c) {
  std::string_view context = c.context, symbol = c.symbol;
  size_t levels = 0;
  for (size_t at = context.find(" > "); at != std::string_view::npos; at = context.find(" > ", at + 3)) ++levels;
  size_t parts = 1;
  for (size_t i = 0; i < symbol.size(); ++i) {
    if (symbol[i] == '.' || (symbol[i] == ':' && i + 1 < symbol.size() && symbol[i + 1] == ':')) ++parts;
  }
  if (symbol.empty() || levels == 0 || levels < parts) return false;
  std::string_view last = context.substr(context.rfind(" > ") + 3);
  size_t cut = symbol.find_last_of(".:");
  std::string_view name = cut == std::string_view::npos ? symbol : symbol.substr(cut + 1);
  if (name.empty()) return false;
  auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '$'; };
  for (size_t at = last.find(name); at != std::string_view::npos; at = last.find(name, at + 1)) {
    size_t end = at + name.size();
    if ((at == 0 || !ident(last[at - 1])) && (end == last.size() || !ident(last[end]))) return true;
  }
  return false;
}

}  // namespace trawl
