// libFuzzer target for the chunker: the first byte picks the language (low 4 bits) and
// the size limit (high bits), the rest is the file. Must never crash or hang; aborts
// when a result breaks the contract (every non-blank line in a chunk, chunks within
// the text and within the size limit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/chunker.h"
#include "chunk/text_index.h"

namespace {

constexpr const char* kLanguages[16] = {
    "python", "javascript", "typescript", "tsx", "c",   "cpp",  "go",       "rust",
    "java",   "c_sharp",    "ruby",       "php", "bash", "json", "markdown", "text"};

bool IsSpaceByte(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int NonSpaceChars(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += !IsSpaceByte(c) && (c & 0xC0) != 0x80;
  return n;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* language = kLanguages[data[0] & 15];
  trawl::ChunkOptions options;
  options.max_chunk_chars = 40 + (data[0] >> 4) * 100;
  options.min_chunk_chars = options.max_chunk_chars / 8;
  options.parse_timeout_ms = 2000;
  options.window_lines = 1 + (data[0] >> 4) * 3;
  options.window_overlap_lines = options.window_lines / 4;
  std::string_view content(reinterpret_cast<const char*>(data + 1), size - 1);

  trawl::Chunker chunker(options);
  auto result = chunker.ChunkFile("fuzz/input", content, language);
  Check(result.ok());

  std::string normalized;
  std::vector<std::string> notes;
  std::string_view text = content;
  if (trawl::chunk_internal::NormalizeText(content, &normalized, &notes)) text = normalized;

  std::vector<uint32_t> line_starts = {0};
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && i + 1 < text.size()) line_starts.push_back(static_cast<uint32_t>(i + 1));
  }
  std::vector<bool> covered(line_starts.size(), false);
  for (const trawl::Chunk& c : result->chunks) {
    Check(c.start_byte < c.end_byte && c.end_byte <= text.size());
    Check(c.content == text.substr(c.start_byte, c.end_byte - c.start_byte));
    Check(c.start_line >= 1 && c.start_line <= c.end_line &&
          c.end_line <= static_cast<int>(line_starts.size()));
    Check(line_starts[c.start_line - 1] <= c.start_byte);
    Check(c.end_line == static_cast<int>(line_starts.size()) ||
          line_starts[c.end_line] >= c.end_byte);
    int nws = NonSpaceChars(c.content);
    Check(nws > 0 && nws <= options.max_chunk_chars);
    for (int l = c.start_line; l <= c.end_line; ++l) covered[l - 1] = true;
  }
  for (size_t l = 0; l < line_starts.size(); ++l) {
    size_t end = l + 1 < line_starts.size() ? line_starts[l + 1] : text.size();
    if (NonSpaceChars(text.substr(line_starts[l], end - line_starts[l])) > 0) Check(covered[l]);
  }
  return 0;
}
