// Fallback chunkers for files without a grammar: markdown by heading, any other text
// by overlapping line windows. Both bound chunks by max_chunk_chars like the syntax
// chunker and cover every non-blank line.
#include <algorithm>
#include <string>
#include <vector>

#include "chunk/text_index.h"

namespace trawl::chunk_internal {
namespace {

std::string_view LineText(const TextIndex& index, int line) {
  uint32_t b = index.LineStart(line);
  uint32_t e = index.LineNext(line);
  std::string_view s = index.text().substr(b, e - b);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && IsSpace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view s) { return Trim(s).empty(); }

struct Heading {
  int line = 0;  // first line of the section it opens
  int level = 0;
  std::string title;
};

// A run of `c` of at least `min` characters followed only by blanks: fences, setext.
size_t RunLength(std::string_view s, char c) {
  size_t n = 0;
  while (n < s.size() && s[n] == c) ++n;
  return n;
}

// ATX and setext headings outside fenced code blocks; `in_fence[line]` marks fenced lines.
std::vector<Heading> FindHeadings(const TextIndex& index, std::vector<bool>* in_fence) {
  std::vector<Heading> headings;
  const int n = index.line_count();
  in_fence->assign(n, false);
  bool fence = false;
  char fence_char = 0;
  size_t fence_len = 0;
  for (int line = 0; line < n; ++line) {
    std::string_view text = LineText(index, line);
    size_t indent = 0;
    while (indent < text.size() && indent < 4 && text[indent] == ' ') ++indent;
    std::string_view rest = indent <= 3 ? text.substr(indent) : std::string_view();
    if (fence) {
      (*in_fence)[line] = true;
      size_t run = RunLength(rest, fence_char);
      if (run >= fence_len && IsBlank(rest.substr(run))) fence = false;
      continue;
    }
    if (rest.starts_with("```") || rest.starts_with("~~~")) {
      fence = true;
      fence_char = rest[0];
      fence_len = RunLength(rest, fence_char);
      (*in_fence)[line] = true;
      continue;
    }
    size_t hashes = RunLength(rest, '#');
    if (hashes >= 1 && hashes <= 6 &&
        (hashes == rest.size() || rest[hashes] == ' ' || rest[hashes] == '\t')) {
      std::string_view title = Trim(rest.substr(hashes));
      while (!title.empty() && title.back() == '#') title.remove_suffix(1);
      headings.push_back({line, static_cast<int>(hashes), std::string(Trim(title))});
      continue;
    }
    // Setext: "Title" over "====" or "----", the title a plain paragraph line.
    if (line > 0 && !rest.empty() && (rest[0] == '=' || rest[0] == '-') &&
        IsBlank(rest.substr(RunLength(rest, rest[0]))) && !(*in_fence)[line - 1] &&
        (headings.empty() || headings.back().line < line - 1)) {
      std::string_view prev = Trim(LineText(index, line - 1));
      bool paragraph = !prev.empty() && prev[0] != '-' && prev[0] != '*' && prev[0] != '+' &&
                       prev[0] != '>' && prev[0] != '|' && prev[0] != '#';
      bool starts_paragraph = line < 2 || IsBlank(LineText(index, line - 2));
      if (paragraph && starts_paragraph) {
        headings.push_back({line - 1, rest[0] == '=' ? 1 : 2, std::string(prev)});
      }
    }
  }
  return headings;
}

// Splits [b, e) (whole lines) at blank lines outside fences into pieces of at most
// max_nws, cutting a paragraph that is itself too big by lines.
void SplitParagraphs(const TextIndex& index, const std::vector<bool>& in_fence, uint32_t b,
                     uint32_t e, int max_nws, std::vector<ByteRange>* out) {
  int first = index.LineOf(b);
  int last = index.LineOf(e - 1);
  std::vector<ByteRange> blocks;  // paragraphs, each with the blank lines after it
  uint32_t block_begin = b;
  for (int line = first; line <= last; ++line) {
    bool boundary = !in_fence[line] && IsBlank(LineText(index, line));
    uint32_t next = std::min(index.LineNext(line), e);
    if (boundary && index.Nws(block_begin, next) > 0) {
      blocks.push_back({block_begin, next});
      block_begin = next;
    }
  }
  if (block_begin < e || blocks.empty()) {
    if (!blocks.empty() && index.Nws(block_begin, e) == 0) {
      blocks.back().end = e;
    } else {
      blocks.push_back({block_begin, e});
    }
  }
  uint32_t piece_begin = b;
  int piece_nws = 0;
  for (const ByteRange& block : blocks) {
    int nws = index.Nws(block.begin, block.end);
    if (nws > max_nws) {
      if (piece_nws > 0) out->push_back({piece_begin, block.begin});
      CutByLines(index, piece_nws > 0 ? block.begin : piece_begin, block.end, max_nws, out);
      piece_begin = block.end;
      piece_nws = 0;
      continue;
    }
    if (piece_nws > 0 && piece_nws + nws > max_nws) {
      out->push_back({piece_begin, block.begin});
      piece_begin = block.begin;
      piece_nws = 0;
    }
    piece_nws += nws;
  }
  if (piece_begin < e) out->push_back({piece_begin, e});
}

}  // namespace

void ChunkMarkdown(const TextIndex& index, const ChunkOptions& options, std::string_view path,
                   ChunkSink* sink) {
  if (index.size() == 0) return;
  std::vector<bool> in_fence;
  std::vector<Heading> headings = FindHeadings(index, &in_fence);

  struct Section {
    uint32_t begin, end;
    int nws;
    std::string title;
    std::string heading_line;  // as written, for the context of what follows
    std::string context;
  };
  std::vector<Section> sections;
  std::vector<std::pair<int, std::string>> stack;  // enclosing headings: level, line
  auto section_end = [&](size_t i) {
    return i + 1 < headings.size() ? index.LineStart(headings[i + 1].line) : index.size();
  };
  if (headings.empty() || headings[0].line > 0) {
    uint32_t end = headings.empty() ? index.size() : index.LineStart(headings[0].line);
    sections.push_back({0, end, index.Nws(0, end), "", "", std::string(path)});
  }
  for (size_t i = 0; i < headings.size(); ++i) {
    const Heading& h = headings[i];
    while (!stack.empty() && stack.back().first >= h.level) stack.pop_back();
    std::string context(path);
    for (const auto& [level, line] : stack) context += " > " + line;
    std::string heading_line = HeaderLine(index, h.line);
    if (heading_line.empty() || heading_line[0] != '#') {
      heading_line = std::string(h.level, '#') + " " + h.title;  // setext
    }
    stack.emplace_back(h.level, heading_line);
    uint32_t b = index.LineStart(h.line);
    uint32_t e = section_end(i);
    sections.push_back({b, e, index.Nws(b, e), h.title, heading_line, std::move(context)});
  }

  // Merge small neighbours, then split what is too big at paragraphs.
  const int max = options.max_chunk_chars;
  const int min = options.min_chunk_chars;
  std::vector<Section> groups;
  for (Section& s : sections) {
    if (!groups.empty()) {
      Section& g = groups.back();
      if (s.nws == 0 || g.nws == 0 ||
          (g.nws + s.nws <= max && (g.nws < min || s.nws < min))) {
        if (g.nws == 0) {  // a blank preamble: the section takes its place
          s.begin = g.begin;
          g = std::move(s);
        } else {
          g.end = s.end;
          g.nws += s.nws;
        }
        continue;
      }
    }
    groups.push_back(std::move(s));
  }
  std::vector<ByteRange> pieces;
  for (const Section& g : groups) {
    if (g.nws <= max) {
      sink->Emit(g.begin, g.end, "section", g.title, g.context);
      continue;
    }
    pieces.clear();
    SplitParagraphs(index, in_fence, g.begin, g.end, max, &pieces);
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string context = g.context;
      if (i > 0 && !g.heading_line.empty()) context += " > " + g.heading_line;
      sink->Emit(pieces[i].begin, pieces[i].end, "section", g.title, std::move(context));
    }
  }
}

void ChunkTextWindows(const TextIndex& index, const ChunkOptions& options, std::string_view path,
                      ChunkSink* sink) {
  const int n = index.line_count();
  const int max = options.max_chunk_chars;
  const int window = std::max(1, options.window_lines);
  const int overlap = std::clamp(options.window_overlap_lines, 0, window - 1);
  auto line_nws = [&](int line) { return index.Nws(index.LineStart(line), index.LineNext(line)); };
  int start = 0;
  while (start < n && line_nws(start) == 0) ++start;
  std::vector<ByteRange> cuts;
  while (start < n) {
    int end = start;
    int nws = 0;
    while (end < n && end - start < window) {
      int l = line_nws(end);
      if (end > start && nws + l > max) break;
      nws += l;
      ++end;
    }
    if (nws > max) {
      // One line over the limit: cut it at character boundaries, no overlap.
      cuts.clear();
      CutByLines(index, index.LineStart(start), index.LineNext(start), max, &cuts);
      for (const ByteRange& r : cuts) sink->Emit(r.begin, r.end, "window", "", std::string(path));
    } else {
      sink->Emit(index.LineStart(start), index.LineNext(end - 1), "window", "", std::string(path));
    }
    if (end >= n) break;
    // The overlap shrinks with windows shortened by the size limit.
    int lap = (end - start) * overlap / window;
    int next = std::max(start + 1, end - lap);
    while (next < n && line_nws(next) == 0) ++next;
    start = next;
  }
}

}  // namespace trawl::chunk_internal
