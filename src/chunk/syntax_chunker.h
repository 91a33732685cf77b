// Internal to src/chunk: one grammar's parser and the syntax tree -> chunks algorithm
// (cAST-style split-then-merge that keeps definitions whole).
// Thread-safety: none; owned by one Chunker.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "chunk/chunker.h"
#include "chunk/language_rules.h"
#include "chunk/languages.h"
#include "chunk/text_index.h"

namespace trawl::chunk_internal {

class SyntaxChunker {
 public:
  enum class Outcome {
    kOk,
    kTimeout,      // parsing took longer than the options allow
    kCancelled,    // `cancel` was set
    kUnavailable,  // the runtime refused the grammar (ABI)
  };

  explicit SyntaxChunker(const LanguageSpec& spec);
  ~SyntaxChunker();
  SyntaxChunker(const SyntaxChunker&) = delete;
  SyntaxChunker& operator=(const SyntaxChunker&) = delete;

  // Chunks `index.text()` into `sink`; emits nothing unless the outcome is kOk.
  Outcome Chunk(const TextIndex& index, const ChunkOptions& options, std::string_view path,
                const std::atomic<bool>* cancel, ChunkSink* sink);

 private:
  struct ParserDeleter {
    void operator()(TSParser* p) const;
  };

  const LanguageSpec& spec_;
  std::unique_ptr<TSParser, ParserDeleter> parser_;
  std::optional<LanguageRules> rules_;  // none: the runtime refused the grammar
  size_t cancel_flag_ = 0;  // what tree-sitter polls; set from `cancel` while reading input
};

}  // namespace trawl::chunk_internal
