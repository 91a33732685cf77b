// Chunker: normalises the text, then hands it to the syntax chunker of its language
// (parsers made on first use) or to a fallback chunker.
#include "chunk/chunker.h"

#include <array>
#include <string>

#include "chunk/languages.h"
#include "chunk/syntax_chunker.h"
#include "chunk/text_index.h"

namespace trawl {

using chunk_internal::ChunkSink;
using chunk_internal::LanguageSpec;
using chunk_internal::SyntaxChunker;

namespace {

// Byte offsets are uint32_t; leave headroom for tree-sitter's own arithmetic.
constexpr size_t kMaxFileBytes = size_t{1} << 31;

Status ValidateOptions(const ChunkOptions& o) {
  if (o.max_chunk_chars < 16) return Status::InvalidArgument("chunk: max_chunk_chars must be >= 16");
  if (o.min_chunk_chars < 0 || o.min_chunk_chars > o.max_chunk_chars) {
    return Status::InvalidArgument("chunk: min_chunk_chars must be in [0, max_chunk_chars]");
  }
  if (o.parse_timeout_ms < 0) return Status::InvalidArgument("chunk: parse_timeout_ms must be >= 0");
  if (o.window_lines < 1) return Status::InvalidArgument("chunk: window_lines must be >= 1");
  if (o.window_overlap_lines < 0 || o.window_overlap_lines >= o.window_lines) {
    return Status::InvalidArgument("chunk: window_overlap_lines must be in [0, window_lines)");
  }
  return Status::Ok();
}

}  // namespace

struct Chunker::Impl {
  explicit Impl(ChunkOptions o) : options(o) {}

  SyntaxChunker* SyntaxFor(std::string_view language) {
    const auto& specs = chunk_internal::SyntaxLanguageSpecs();
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].name != language) continue;
      if (parsers.size() < specs.size()) parsers.resize(specs.size());
      if (parsers[i] == nullptr) parsers[i] = std::make_unique<SyntaxChunker>(specs[i]);
      return parsers[i].get();
    }
    return nullptr;
  }

  ChunkOptions options;
  std::vector<std::unique_ptr<SyntaxChunker>> parsers;  // by index in SyntaxLanguageSpecs()
  chunk_internal::TextIndex index;
  std::string normalized;  // reused between files
};

Chunker::Chunker(ChunkOptions options) : impl_(std::make_unique<Impl>(options)) {}
Chunker::~Chunker() = default;

std::vector<std::string> Chunker::SyntaxLanguages() {
  std::vector<std::string> names;
  for (const LanguageSpec& spec : chunk_internal::SyntaxLanguageSpecs()) {
    names.emplace_back(spec.name);
  }
  return names;
}

Result<ChunkedFile> Chunker::ChunkFile(std::string_view path, std::string_view content,
                                       std::string_view language,
                                       const std::atomic<bool>* cancel) {
  TRAWL_RETURN_IF_ERROR(ValidateOptions(impl_->options));
  if (cancel != nullptr && cancel->load()) return Status::Cancelled("chunk: cancelled");
  if (content.size() >= kMaxFileBytes) {
    return Status::InvalidArgument("chunk: " + std::string(path) + ": file too large (" +
                                   std::to_string(content.size()) + " bytes)");
  }
  ChunkedFile result;
  std::string_view text = content;
  if (chunk_internal::NormalizeText(content, &impl_->normalized, &result.notes)) {
    text = impl_->normalized;
  }
  impl_->index.Reset(text);
  ChunkSink sink(impl_->index, language, &result.chunks);

  if (SyntaxChunker* syntax = impl_->SyntaxFor(language)) {
    switch (syntax->Chunk(impl_->index, impl_->options, path, cancel, &sink)) {
      case SyntaxChunker::Outcome::kOk:
        return result;
      case SyntaxChunker::Outcome::kCancelled:
        return Status::Cancelled("chunk: cancelled while parsing " + std::string(path));
      case SyntaxChunker::Outcome::kTimeout:
        result.notes.push_back("parse timeout (" + std::to_string(impl_->options.parse_timeout_ms) +
                               " ms): fallback chunker");
        break;
      case SyntaxChunker::Outcome::kUnavailable:
        result.notes.push_back("grammar for " + std::string(language) +
                               " refused by the tree-sitter runtime: fallback chunker");
        break;
    }
    chunk_internal::ChunkTextWindows(impl_->index, impl_->options, path, &sink);
    return result;
  }
  if (language == "markdown") {
    chunk_internal::ChunkMarkdown(impl_->index, impl_->options, path, &sink);
  } else {
    chunk_internal::ChunkTextWindows(impl_->index, impl_->options, path, &sink);
  }
  return result;
}

}  // namespace trawl
