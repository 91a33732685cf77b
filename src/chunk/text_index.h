// Internal to src/chunk: the normalised text of one file with O(1) size and O(log n)
// line queries, shared by the syntax and fallback chunkers so that both measure
// "size" the same way (non-whitespace characters) and never rescan text.
// Thread-safety: none; one per Chunker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/chunker.h"

namespace trawl::chunk_internal {

// ASCII whitespace; a line made only of these is blank.
inline bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Raw bytes -> UTF-8 text with LF line ends. Returns false (and leaves *out alone)
// when `raw` is already normalised, so the common case copies nothing.
// Notes name every change: BOM removed, UTF-16 decoded, invalid UTF-8, CRLF.
bool NormalizeText(std::string_view raw, std::string* out, std::vector<std::string>* notes);

class TextIndex {
 public:
  void Reset(std::string_view text);

  std::string_view text() const { return text_; }
  uint32_t size() const { return static_cast<uint32_t>(text_.size()); }
  // Non-whitespace characters (UTF-8 code points) in [b, e).
  int Nws(uint32_t b, uint32_t e) const { return static_cast<int>(prefix_[e] - prefix_[b]); }
  int line_count() const { return static_cast<int>(line_starts_.size()); }
  // 0-based line of a byte offset.
  int LineOf(uint32_t byte) const;
  uint32_t LineStart(int line) const { return line_starts_[line]; }
  // One past the line's last byte, its '\n' included (or the end of the text).
  uint32_t LineNext(int line) const {
    return line + 1 < line_count() ? line_starts_[line + 1] : size();
  }
  // First non-whitespace byte in [b, e), or e.
  uint32_t FirstNonSpace(uint32_t b, uint32_t e) const;
  // One past the last non-whitespace character in [b, e), or b.
  uint32_t EndNonSpace(uint32_t b, uint32_t e) const;
  // The smallest character boundary p in (b, e] with Nws(b, p) >= n (e if none).
  uint32_t AdvanceNws(uint32_t b, uint32_t e, int n) const;

 private:
  std::string_view text_;
  std::vector<uint32_t> prefix_;  // prefix_[i]: non-whitespace characters in [0, i)
  std::vector<uint32_t> line_starts_;
};

// A piece of the file under construction: half-open byte range.
struct ByteRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Splits [b, e) at line ends into pieces of at most `max_nws` non-whitespace
// characters; a line longer than that is cut at character boundaries. The pieces
// tile [b, e) exactly (the last resort that never fails). `first_max_nws` (if > 0)
// bounds the first piece more tightly.
void CutByLines(const TextIndex& index, uint32_t b, uint32_t e, int max_nws,
                std::vector<ByteRange>* out, int first_max_nws = 0);

// Builds Chunk values from byte ranges: trims blank space (keeping the first line's
// indentation), computes lines, copies the content. Blank ranges produce nothing.
class ChunkSink {
 public:
  ChunkSink(const TextIndex& index, std::string_view language, std::vector<Chunk>* out)
      : index_(index), language_(language), out_(out) {}
  void Emit(uint32_t b, uint32_t e, std::string_view kind, std::string_view symbol,
            std::string context);

 private:
  const TextIndex& index_;
  std::string_view language_;
  std::vector<Chunk>* out_;
};

// "  class Foo(Bar):  " -> "class Foo(Bar):", cut to a readable length.
std::string HeaderLine(const TextIndex& index, int line);

// Fallback chunkers (fallback_chunker.cc).
void ChunkMarkdown(const TextIndex& index, const ChunkOptions& options, std::string_view path,
                   ChunkSink* sink);
void ChunkTextWindows(const TextIndex& index, const ChunkOptions& options, std::string_view path,
                      ChunkSink* sink);

}  // namespace trawl::chunk_internal
