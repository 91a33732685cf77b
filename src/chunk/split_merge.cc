// The size rules of the syntax chunker: glue, merge, split, cut by lines.
#include "chunk/split_merge.h"

#include <algorithm>

namespace trawl::chunk_internal {
namespace {

// Merging never makes a chunk holding a definition longer (in lines) than
// 2 x max(that definition, 4) + this: a function's chunk stays close to its size.
constexpr int kSpanSlack = 16;
// A type's or namespace's header line alone under this size goes with the definition
// that follows (JoinTinyHeader).
constexpr int kTinyHeader = 80;
// Code this small ("public:", "export default Store;") merges with a definition next to it.
constexpr int kScrap = 24;

// Appends `next` (adjacent, after) to `u`, keeping u's node and definition.
void Append(Unit* u, const Unit& next) {
  u->end = next.end;
  u->nws += next.nws;
  if (next.first_line >= 0) {
    if (u->first_line < 0) u->first_line = next.first_line;
    u->last_line = next.last_line;
  }
  u->has_header |= next.has_header;
  u->has_import |= next.has_import;
  u->only_imports_or_comments &= next.only_imports_or_comments;
  u->is_comment &= next.is_comment;
}

// Prepends `prev` (adjacent, before) to `u`, keeping u's node and definition.
void Prepend(Unit* u, const Unit& prev) {
  u->begin = prev.begin;
  u->nws += prev.nws;
  if (prev.first_line >= 0) {
    if (u->last_line < 0) u->last_line = prev.last_line;
    u->first_line = prev.first_line;
  }
  u->has_header |= prev.has_header;
  u->has_import |= prev.has_import;
  u->only_imports_or_comments &= prev.only_imports_or_comments;
}

void MergeInto(Unit* g, const Unit& u) {
  int def = g->def;
  int def_nws = g->def_nws;
  if (u.def >= 0 && u.def_nws > def_nws) {
    def = u.def;
    def_nws = u.def_nws;
  }
  Append(g, u);
  g->def = def;
  g->def_nws = def_nws;
  g->min_def_lines = std::min(g->min_def_lines, u.min_def_lines);
  g->node = -1;
}

}  // namespace

void Measure(const TextIndex& index, Unit* u) {
  u->nws = index.Nws(u->begin, u->end);
  if (u->nws == 0) {
    u->first_line = u->last_line = -1;
    return;
  }
  uint32_t s = index.FirstNonSpace(u->begin, u->end);
  u->first_line = index.LineOf(s);
  u->last_line = index.LineOf(index.EndNonSpace(s, u->end) - 1);
}

void Glue(std::vector<Unit>* units, const ChunkOptions& options) {
  std::vector<Unit> forward;
  forward.reserve(units->size());
  for (Unit& u : *units) {
    if (!forward.empty()) {
      Unit& prev = forward.back();
      bool trailing_comment = u.is_comment && prev.last_line >= 0 && u.first_line == prev.last_line;
      if (u.nws == 0 || u.is_token || trailing_comment) {
        Append(&prev, u);
        continue;
      }
    } else if (u.nws == 0 || u.is_token) {
      u.is_prefix = true;
    }
    forward.push_back(u);
  }
  units->clear();
  for (size_t i = forward.size(); i-- > 0;) {
    Unit& u = forward[i];
    if (!units->empty() && u.is_prefix) {
      Unit& next = units->back();
      bool adjacent = u.is_token || u.nws == 0 ||
                      (u.def < 0 && next.first_line - u.last_line <= 1 &&
                       u.nws + next.nws <= options.max_chunk_chars);
      if (adjacent) {
        Prepend(&next, u);
        continue;
      }
    }
    units->push_back(u);
  }
  std::reverse(units->begin(), units->end());
}

bool CanMerge(const Unit& g, const Unit& u, int limit, const ChunkOptions& options) {
  const int min = options.min_chunk_chars;
  if (g.owner != u.owner || g.nws + u.nws > limit) return false;
  bool gd = g.def >= 0;
  bool ud = u.def >= 0;
  if (!gd && !ud) return true;
  if ((gd && u.has_import) || (ud && g.has_import)) return false;  // imports stay apart
  if (gd && ud) {
    if (g.nws >= min && u.nws >= min) return false;
  } else {
    // A small definition joins small code, or the header of the type it is in; a
    // scrap of code ("public:", "export default X;") joins any definition.
    const Unit& code = gd ? u : g;
    bool scrap = code.nws < kScrap && !code.has_header;
    if (!scrap && ((gd ? g.nws : u.nws) >= min || (code.nws >= min && !code.has_header))) {
      return false;
    }
  }
  int span = std::max(g.last_line, u.last_line) - std::min(g.first_line, u.first_line) + 1;
  int def_lines = std::max(std::min(g.min_def_lines, u.min_def_lines), 4);
  return span <= 2 * def_lines + kSpanSlack;
}

void AddToLevel(std::vector<Unit>* level, const Unit& u, int reserve, const ChunkOptions& options) {
  if (level->empty()) {
    level->push_back(u);
    return;
  }
  Unit& g = level->back();
  if (u.nws == 0) {
    Append(&g, u);
    return;
  }
  if (g.nws == 0) {
    Unit merged = u;
    Prepend(&merged, g);
    g = merged;
    return;
  }
  int limit = level->size() == 1 ? options.max_chunk_chars - reserve : options.max_chunk_chars;
  if (CanMerge(g, u, limit, options)) {
    MergeInto(&g, u);
    return;
  }
  level->push_back(u);
}

void JoinTinyHeader(std::vector<Unit>* level, Unit* u, int reserve, const ChunkOptions& options) {
  if (u->def < 0 || level->size() != 1) return;
  const Unit& header = (*level)[0];
  if (header.has_header && header.def < 0 && header.nws < kTinyHeader &&
      header.first_line == header.last_line &&
      !CanMerge(header, *u, options.max_chunk_chars - reserve, options)) {
    Prepend(u, header);
    u->has_header = false;
    level->clear();
  }
}

bool NeedsSplit(const Unit& u, bool split_if_long, const ChunkOptions& options) {
  if (u.nws > options.max_chunk_chars) return true;
  int lines = u.first_line < 0 ? 0 : u.last_line - u.first_line + 1;
  if (lines <= kWholeContainerMaxLines) return false;
  return split_if_long;
}

int RoomBefore(const std::vector<Unit>& level, int owner, int reserve, const ChunkOptions& options) {
  int room = 0;
  if (level.empty()) {
    room = reserve;
  } else if (level.back().owner == owner && level.back().def < 0 &&
             level.back().nws < options.min_chunk_chars) {
    room = level.back().nws + (level.size() == 1 ? reserve : 0);
  }
  return room > options.max_chunk_chars / 2 ? 0 : room;
}

void CutIntoLines(const TextIndex& index, uint32_t b, uint32_t e, int owner, bool header_first,
                  int room, const ChunkOptions& options, std::vector<Unit>* out) {
  const int max = options.max_chunk_chars;
  std::vector<ByteRange> ranges;
  CutByLines(index, b, e, max, &ranges, room > 0 ? max - room : 0);
  for (const ByteRange& r : ranges) {
    Unit u;
    u.begin = r.begin;
    u.end = r.end;
    u.owner = owner;
    u.has_header = header_first;
    u.only_imports_or_comments = false;
    header_first = false;
    Measure(index, &u);
    out->push_back(u);
  }
}

}  // namespace trawl::chunk_internal
