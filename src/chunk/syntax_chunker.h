// Internal to src/chunk: one grammar's parser and the syntax tree -> chunks algorithm
// (cAST-style split-then-merge that keeps definitions whole).
// Thread-safety: none; owned by one Chunker.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "chunk/chunker.h"
#include "chunk/languages.h"
#include "chunk/text_index.h"

struct TSParser;

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

  // What the chunker knows about one node type (by grammar symbol id).
  struct SymbolInfo {
    int16_t def_rule = -1;  // index in spec.defs
    ImportRule import = ImportRule::kNone;
    bool comment = false;
    bool attribute = false;
  };
  struct FieldIds {
    uint16_t name = 0, declarator = 0, type = 0, receiver = 0, value = 0, body = 0,
             method = 0, property = 0;
  };

 private:
  struct ParserDeleter {
    void operator()(TSParser* p) const;
  };

  const LanguageSpec& spec_;
  std::unique_ptr<TSParser, ParserDeleter> parser_;
  bool language_ok_ = false;
  std::vector<SymbolInfo> symbols_;
  std::vector<uint16_t> inner_fields_;  // per spec.defs entry; 0: none
  FieldIds fields_;
  size_t cancel_flag_ = 0;  // what tree-sitter polls; set from `cancel` while reading input
};

}  // namespace trawl::chunk_internal
