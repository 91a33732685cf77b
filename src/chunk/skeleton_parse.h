// Internal to src/chunk: the skeleton parse (design.md, "Skeleton parse"). A file is
// first parsed without the bodies a chunk keeps whole; which ones those are is decided
// here (from brace_skeleton.h and indent_skeleton.h), and so is how the walk looks
// inside one when it must split what holds it (FullParses).
// Thread-safety: none; the parser passed in belongs to one SyntaxChunker.
#pragma once

#include <tree_sitter/api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "chunk/chunker.h"
#include "chunk/languages.h"
#include "chunk/text_index.h"

namespace trawl::chunk_internal {

struct TreeDeleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};
using Tree = std::unique_ptr<TSTree, TreeDeleter>;

// What a first parse leaves out: interiors in order, disjoint. `headers`, one per
// interior, is where its definition begins (Ruby's skeleton is checked against them).
struct LeftOut {
  std::vector<ByteRange> interiors;
  std::vector<uint32_t> headers;
};

// The interiors of `index`'s text that a first parse of `spec`'s language leaves out:
// the outermost bodies that fit in a chunk of `max_chunk_chars`. Empty when the
// language has no skeleton or its bodies cannot be told for sure (the file is then
// parsed whole).
LeftOut ChooseLeftOut(const LanguageSpec& spec, const TextIndex& index, int max_chunk_chars);

// The ranges tree-sitter reads: all of the text but `left_out` (sorted, disjoint), except
// those that begin in `keep`.
std::vector<TSRange> IncludedRanges(const TextIndex& index, const std::vector<ByteRange>& left_out,
                                    ByteRange keep = {});

// `parser` over `ranges` of the input (empty: all of it). Null when the parse stops
// (timeout, cancellation), the parser reset (else its next parse would resume this one).
// Each parse begins with a new external scanner: nothing of a parse (of this file or of
// the one before) is left to the next.
TSTree* ParseIncluded(TSParser* parser, TSInput input, const std::vector<TSRange>& ranges);

// Ruby: whether the skeleton parsed as the guess said (indent_skeleton.h): without an
// error, each left-out body inside a method that begins at its header and ends with the
// `end` right after the body.
bool RubySkeletonConfirmed(const TSTree* skeleton, const TextIndex& index, const LeftOut& left_out);

// The bytes [0, prefix) that go with every item parsed alone: PHP's `<?php`, without
// which the rest is HTML. 0 for other languages.
uint32_t ItemPrefix(const LanguageSpec& spec, const TextIndex& index);

// The parses that look inside left-out interiors, made when the walk must split what
// holds one: the top-level item holding it, parsed alone, unless that is most of the
// file or its parse lacks the node (a Java method outside its class); then the skeleton
// with that interior put back (the body parses in the context it has in the skeleton).
// After a few put-backs the whole file is parsed once and serves the rest.
class FullParses {
 public:
  // `parser`, `input`, `index`, `skeleton` and `left_out` must outlive this.
  FullParses(TSParser* parser, TSInput input, const TextIndex& index, const TSTree* skeleton,
             const std::vector<ByteRange>& left_out, SkeletonKind kind, uint32_t prefix)
      : parser_(parser),
        input_(input),
        index_(index),
        skeleton_(skeleton),
        left_out_(left_out),
        kind_(kind),
        prefix_(prefix) {}

  // Replaces `*node` by its counterpart in a parse with its inside when it is a
  // skeleton node whose children would include left-out text. False if no parse has
  // such a node (the caller then walks a whole parse), or a parse stopped (timeout,
  // cancellation: stopped() tells; nothing more is parsed).
  bool Expand(TSNode* node);

  bool stopped() const { return stopped_; }

  // The whole file's parse, if a look inside needed one (the caller may reuse it).
  Tree TakeWhole() { return std::move(whole_); }

 private:
  static constexpr size_t kMaxPutBacks = 4;

  bool Stop() {
    stopped_ = true;
    return false;
  }
  TSNode TopLevelItem(TSNode node) const;
  // The node of `tree` with `*node`'s range and symbol.
  static bool Find(const TSTree* tree, TSNode* node);
  bool IsTransparent(std::string_view type) const;
  const ByteRange* HeldLeftOut(TSNode node) const;
  const TSTree* ParseItem(TSNode item);

  TSParser* parser_;
  TSInput input_;
  const TextIndex& index_;
  const TSTree* skeleton_;
  const std::vector<ByteRange>& left_out_;
  const SkeletonKind kind_;
  const uint32_t prefix_;
  std::vector<std::pair<uint32_t, Tree>> items_;
  std::vector<Tree> put_backs_;
  Tree whole_;
  bool stopped_ = false;
};

}  // namespace trawl::chunk_internal
