// Chunking: one source file -> chunks that follow its syntax tree (tree-sitter),
// sized in the spirit of cAST (split big nodes at children, merge small siblings),
// with a fallback for every other text file (markdown by heading, text by windows).
// Contract: every non-blank line of the (normalised) file is in at least one chunk;
// no chunk holds more than max_chunk_chars non-whitespace characters; syntax chunks
// never overlap and come in file order (text windows overlap by design).
// Thread-safety: a Chunker is NOT thread-safe (it owns tree-sitter parsers); build
// one per worker. Output is deterministic: same input, same chunks.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/chunk.h"
#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

// The defaults are trawl's configuration defaults (trawl/options.h): one set.
struct ChunkOptions {
  int max_chunk_chars = ChunkingOptions{}.max_chunk_chars;  // size limit, in non-whitespace characters
  int min_chunk_chars = ChunkingOptions{}.min_chunk_chars;  // smaller siblings merge with neighbours
  int parse_timeout_ms = IndexingOptions{}.parse_timeout_ms;  // past it, the fallback chunker takes the file
  int window_lines = ChunkingOptions{}.window_lines;  // fallback: text windows
  int window_overlap_lines = ChunkingOptions{}.window_overlap_lines;
  // Python, C, C++, Java, Go, Rust, JavaScript, TypeScript, PHP, Ruby: parse the bodies that a
  // chunk keeps whole only where a definition must be split (brace_skeleton.h,
  // indent_skeleton.h). The chunks are those of a whole parse where the file parses
  // cleanly; false parses whole.
  bool skeleton_parse = true;
};

// A chunk as the chunker cuts it: its span and its file's language.
struct Chunk : ChunkSpan {
  std::string language;
};

struct ChunkedFile {
  std::vector<Chunk> chunks;
  // What was done to read the file, for the run's report: "UTF-8 BOM removed",
  // "UTF-16LE decoded to UTF-8", "invalid UTF-8: N byte(s) replaced by U+FFFD",
  // "CRLF line ends normalised to LF", "parse timeout (N ms): fallback chunker".
  std::vector<std::string> notes;
};

class Chunker {
 public:
  explicit Chunker(ChunkOptions options = {});
  ~Chunker();
  Chunker(const Chunker&) = delete;
  Chunker& operator=(const Chunker&) = delete;

  // `language` as from DetectLanguage ("python", "text", "markdown", ...); `path` is
  // the relative path, used for context. `cancel` (may be null) is checked during parsing.
  // Errors: InvalidArgument (bad options, file of 2 GiB or more), Cancelled. A parse
  // past parse_timeout_ms is not an error: the fallback takes the file, with a note.
  Result<ChunkedFile> ChunkFile(std::string_view path, std::string_view content,
                            std::string_view language, const std::atomic<bool>* cancel = nullptr);

  // The languages with a tree-sitter grammar compiled in.
  static std::vector<std::string> SyntaxLanguages();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl
