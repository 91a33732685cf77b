// Internal to src/chunk: the size rules of the syntax chunker, over spans of the file
// and nothing of the syntax tree. A level of the tree is a list of units that tile
// their parent; these functions decide what glues to what (comments to the code below,
// punctuation to the code before), which adjacent units merge up to the size limit,
// which unit must be split, and cut a span by lines when nothing else can split it.
// Thread-safety: pure functions.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "chunk/chunker.h"
#include "chunk/text_index.h"

namespace trawl::chunk_internal {

// A type or namespace longer than this (in lines) is split into its members.
inline constexpr int kWholeContainerMaxLines = 32;

// One entry of a level: before expansion, one child node (plus the gap before it and
// whatever was glued to it); after, a chunk-to-be. Definitions are numbered by the
// walk; -1 is none.
struct Unit {
  uint32_t begin = 0;
  uint32_t end = 0;
  int nws = 0;
  int first_line = -1;  // of its non-blank text; -1 when blank
  int last_line = -1;
  int owner = -1;       // innermost definition this unit is a piece of; -1: the file
  int def = -1;         // the (largest) whole definition inside
  int def_nws = 0;
  int min_def_lines = INT_MAX;
  bool has_header = false;  // holds the start of its owner (the first piece)
  bool has_import = false;
  bool only_imports_or_comments = true;
  // The syntax node it is (numbered by the walk), with what glued to it; -1 once it is
  // merged with another or when it was cut by lines.
  int node = -1;
  // Before expansion only.
  bool is_comment = false;
  bool is_prefix = false;  // glues to what follows: comments, attributes, an opening "{"
  bool is_token = false;   // a short anonymous token: "{", "}", ";", "end", ","
};

// Sets `u`'s size and lines from its range [begin, end).
void Measure(const TextIndex& index, Unit* u);

// Comments and attributes go with the code right below them; punctuation and
// same-line comments go with the code before them. `units` tile a range and still do.
void Glue(std::vector<Unit>* units, const ChunkOptions& options);

// Whether `u` may join `g` (adjacent, before it) in a group of at most `limit`
// non-whitespace characters: pieces of one owner only, imports apart from
// definitions, definitions only while small, and never a group far longer in lines
// than the smallest definition in it.
bool CanMerge(const Unit& g, const Unit& u, int limit, const ChunkOptions& options);

// Adds `u` to a level under construction, merging it into the last group when the
// rules allow. The first group of a level stays `reserve` under the limit, room for
// the small group before it one level up (a function's header line joins the first
// piece of its body).
void AddToLevel(std::vector<Unit>* level, const Unit& u, int reserve, const ChunkOptions& options);

// A type's or namespace's header line alone ("namespace store {") is no use as a
// chunk: when `level` holds only such a line and `u`, the definition after it, cannot
// merge with it, the line moves into `u` and `level` is emptied.
void JoinTinyHeader(std::vector<Unit>* level, Unit* u, int reserve, const ChunkOptions& options);

// Whether `u` must be split: over the size limit, or, when `split_if_long` (a type, a
// namespace, code in one that may hold definitions), longer than
// kWholeContainerMaxLines lines.
bool NeedsSplit(const Unit& u, bool split_if_long, const ChunkOptions& options);

// The room to keep in the first piece of a unit of `owner` being split (not a
// definition) for the small group before it, which may then join that piece.
int RoomBefore(const std::vector<Unit>& level, int owner, int reserve, const ChunkOptions& options);

// Appends to `out` [b, e) cut at line ends into units of at most max_chunk_chars (the
// first at most max_chunk_chars - `room`), pieces of `owner`; the first holds its
// header when `header_first`.
void CutIntoLines(const TextIndex& index, uint32_t b, uint32_t e, int owner, bool header_first,
                  int room, const ChunkOptions& options, std::vector<Unit>* out);

}  // namespace trawl::chunk_internal
