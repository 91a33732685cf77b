// The skeleton parse: what a first parse leaves out, and the parses that look inside.
#include "chunk/skeleton_parse.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "chunk/brace_skeleton.h"
#include "chunk/indent_skeleton.h"
#include "chunk/split_merge.h"

namespace trawl::chunk_internal {
namespace {

// A brace interior shorter than this stays in the first parse: leaving it out would
// save little and add an included range.
constexpr uint32_t kMinLeftOut = 64;

TSPoint PointOf(const TextIndex& index, uint32_t byte) {
  int line = index.LineOf(byte);
  return TSPoint{static_cast<uint32_t>(line), byte - index.LineStart(line)};
}

// What `spec`'s skeleton may leave out of `index`'s text, in order, with where each
// body ends. False when it cannot be told: the file is parsed whole.
bool SkeletonCandidates(const LanguageSpec& spec, const TextIndex& index, std::vector<IndentInterior>* out) {
  switch (spec.skeleton) {
    case SkeletonKind::kNone:
      return false;
    case SkeletonKind::kBraces: {
      std::vector<ByteRange> pairs;
      if (!BraceInteriors(index.text(), spec.braces, kMinLeftOut, &pairs)) return false;
      for (const ByteRange& r : pairs) out->push_back({r, r.end});
      return true;
    }
    case SkeletonKind::kPython: {
      std::vector<IndentInterior> bodies;
      if (!IndentInteriors(index.text(), kMinLeftOut, &bodies)) return false;
      for (const IndentInterior& b : bodies) {
        // A long class is split into its members whatever its size (NeedsSplit,
        // split_merge.h): left out, it would be parsed again; its methods are left out
        // instead.
        if (b.type && index.LineOf(b.body_end - 1) - index.LineOf(b.left_out.begin) + 2 > kWholeContainerMaxLines) {
          continue;
        }
        out->push_back(b);
      }
      return true;
    }
    case SkeletonKind::kRuby:
      RubyMethodBodies(index.text(), kMinLeftOut, out);
      return true;
  }
  return false;
}

// The first of `left_out` (sorted) that begins at or after `byte`.
std::vector<ByteRange>::const_iterator FirstFrom(std::vector<ByteRange>::const_iterator first,
                                                 std::vector<ByteRange>::const_iterator last,
                                                 uint32_t byte) {
  return std::lower_bound(first, last, byte, [](const ByteRange& r, uint32_t v) { return r.begin < v; });
}

}  // namespace

LeftOut ChooseLeftOut(const LanguageSpec& spec, const TextIndex& index, int max_chunk_chars) {
  LeftOut left_out;
  const SkeletonKind kind = spec.skeleton;
  std::vector<IndentInterior> candidates;
  if (kind == SkeletonKind::kNone || !SkeletonCandidates(spec, index, &candidates)) return left_out;
  // The outermost interiors that fit in a chunk. One over the size limit belongs to a
  // definition that will be split: it stays in (parsing it now beats parsing its item
  // again later), and the bodies inside it that fit are left out in its place.
  // In JavaScript and TypeScript only top-level ones (methods' bodies, as class braces
  // are transparent): a bundle is one wrapping function, and looking inside a body
  // left out deep in it means parsing most of the file again (bench, side by side:
  // the JavaScript eval corpus' chunk CPU +12% with nested ones, /usr/share/nodejs
  // -8%; java.base -4%, C -6-9%, Go -14%, Rust -7%).
  const bool nested = kind != SkeletonKind::kBraces ||
                      (spec.braces != BraceDialect::kJavaScript && spec.braces != BraceDialect::kTypeScript);
  uint32_t covered = 0;
  uint32_t outer = 0;  // end of the definitions seen so far
  for (const IndentInterior& c : candidates) {
    const ByteRange& r = c.left_out;
    bool inside = r.begin < outer;
    outer = std::max(outer, c.body_end);
    if ((inside && !nested) || r.begin < covered || index.Nws(r.begin, c.body_end) > max_chunk_chars) {
      continue;
    }
    left_out.interiors.push_back(r);
    left_out.headers.push_back(c.header);
    // Python: what is left out of the kept last statement too (brace interiors end
    // where their definitions do).
    covered = r.end;
  }
  return left_out;
}

std::vector<TSRange> IncludedRanges(const TextIndex& index, const std::vector<ByteRange>& left_out,
                                    ByteRange keep) {
  std::vector<TSRange> ranges;
  uint32_t pos = 0;
  for (const ByteRange& r : left_out) {
    if (r.begin >= keep.begin && r.begin < keep.end) continue;
    ranges.push_back({PointOf(index, pos), PointOf(index, r.begin), pos, r.begin});
    pos = r.end;
  }
  ranges.push_back({PointOf(index, pos), PointOf(index, index.size()), pos, index.size()});
  return ranges;
}

// tree-sitter begins a parse, and ts_parser_reset resets, by giving the external scanner
// an empty state to restore, and Python's scanner then keeps its inside_f_string flag
// from what it scanned last: after a file that ends inside an f-string's braces it makes
// no DEDENT, and the next file's classes never end (chunker_order_test.cc). Setting the
// language again destroys the scanner and makes a new one.
TSTree* ParseIncluded(TSParser* parser, TSInput input, const std::vector<TSRange>& ranges) {
  // The language was accepted when the parser was made: it is accepted again.
  ts_parser_set_language(parser, ts_parser_language(parser));
  bool ok = ranges.empty() || ts_parser_set_included_ranges(
                                  parser, ranges.data(), static_cast<uint32_t>(ranges.size()));
  TSTree* tree = ok ? ts_parser_parse(parser, nullptr, input) : nullptr;
  if (!ranges.empty()) ts_parser_set_included_ranges(parser, nullptr, 0);
  if (tree == nullptr) ts_parser_reset(parser);
  return tree;
}

bool RubySkeletonConfirmed(const TSTree* skeleton, const TextIndex& index, const LeftOut& left_out) {
  TSNode root = ts_tree_root_node(skeleton);
  if (ts_node_has_error(root)) return false;
  for (size_t i = 0; i < left_out.interiors.size(); ++i) {
    uint32_t end_kw = index.FirstNonSpace(left_out.interiors[i].end, index.size());
    TSNode n = ts_node_descendant_for_byte_range(root, end_kw, end_kw + 3);
    if (ts_node_is_null(n) || std::string_view(ts_node_type(n)) != "end" || ts_node_start_byte(n) != end_kw) {
      return false;
    }
    TSNode method = ts_node_parent(n);
    if (ts_node_is_null(method)) return false;
    std::string_view type = ts_node_type(method);
    if ((type != "method" && type != "singleton_method") || ts_node_start_byte(method) != left_out.headers[i] ||
        ts_node_end_byte(method) != ts_node_end_byte(n)) {
      return false;
    }
  }
  return true;
}

uint32_t ItemPrefix(const LanguageSpec& spec, const TextIndex& index) {
  // PHP: the opening tag (BraceInteriors made sure the file begins with it).
  if (spec.skeleton != SkeletonKind::kBraces || spec.braces != BraceDialect::kPhp) return 0;
  size_t tag = index.text().find("<?php");
  return tag == std::string_view::npos ? 0 : static_cast<uint32_t>(tag + 5);
}

bool FullParses::Expand(TSNode* node) {
  if (node->tree != skeleton_) return true;
  if (stopped_) return false;
  const ByteRange* held = HeldLeftOut(*node);
  if (held == nullptr) return true;
  if (whole_ != nullptr) return Find(whole_.get(), node);
  // One parse of an item serves every expansion inside it; a put-back serves one.
  TSNode item = TopLevelItem(*node);
  if (!ts_node_is_null(item) &&
      ts_node_end_byte(item) - ts_node_start_byte(item) <= index_.size() / 2) {
    const TSTree* tree = ParseItem(item);
    if (tree == nullptr) return Stop();
    if (Find(tree, node)) return true;
  }
  if (put_backs_.size() < kMaxPutBacks) {
    // Put back with the interior what is left out of the rest of the node (in Python,
    // of the body's last statement), so that the node is whole.
    put_backs_.emplace_back(ParseIncluded(
        parser_, input_, IncludedRanges(index_, left_out_, {held->begin, std::max(held->end, ts_node_end_byte(*node))})));
    const TSTree* tree = put_backs_.back().get();
    if (tree == nullptr) return Stop();
    if (Find(tree, node)) return true;
  }
  whole_.reset(ParseIncluded(parser_, input_, {}));
  if (whole_ == nullptr) return Stop();
  return Find(whole_.get(), node);
}

bool FullParses::Find(const TSTree* tree, TSNode* node) {
  uint32_t b = ts_node_start_byte(*node);
  uint32_t e = ts_node_end_byte(*node);
  TSSymbol symbol = ts_node_symbol(*node);
  for (TSNode n = ts_node_descendant_for_byte_range(ts_tree_root_node(tree), b, e);
       !ts_node_is_null(n); n = ts_node_parent(n)) {
    uint32_t nb = ts_node_start_byte(n);
    uint32_t ne = ts_node_end_byte(n);
    if (nb == b && ne == e && ts_node_symbol(n) == symbol) {
      *node = n;
      return true;
    }
    if (nb < b || ne > e) break;
  }
  return false;
}

// The top-level item holding `node`: the child of the root, or of the top-level
// preprocessor conditionals, namespaces, extern "C" blocks, Java type bodies and Rust
// impl, trait and mod blocks, Python classes, it descends from. Null for the root itself.
TSNode FullParses::TopLevelItem(TSNode node) const {
  std::vector<TSNode> chain;
  for (TSNode n = node; !ts_node_is_null(n); n = ts_node_parent(n)) chain.push_back(n);
  if (chain.size() < 2) return TSNode{};
  size_t item = chain.size() - 2;
  while (item > 0 && IsTransparent(ts_node_type(chain[item]))) --item;
  return chain[item];
}

bool FullParses::IsTransparent(std::string_view type) const {
  static const std::unordered_set<std::string_view> kTypes = {
      "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef",
      "namespace_definition", "linkage_specification", "declaration_list",
      // Java
      "class_declaration", "class_body", "interface_declaration", "interface_body",
      "enum_declaration", "enum_body", "enum_body_declarations", "record_declaration",
      "annotation_type_declaration", "annotation_type_body",
      // Rust
      "impl_item", "trait_item", "mod_item", "foreign_mod_item",
      // PHP (its classes, interfaces and enums are named as Java's)
      "trait_declaration", "enum_declaration_list"};
  // Python: a method is parsed alone, without its class (or its decorators); Ruby: without
  // its class or module.
  if (kind_ == SkeletonKind::kPython) {
    return type == "class_definition" || type == "block" || type == "decorated_definition";
  }
  if (kind_ == SkeletonKind::kRuby) {
    return type == "class" || type == "module" || type == "singleton_class" || type == "body_statement";
  }
  return kTypes.count(type) != 0;
}

// The left-out interior whose '{' is among the node's children; in Python, one
// between two of its children (a header's ':' and its block; a match statement's
// block, which begins at the indent, and its first case). Null if none.
const ByteRange* FullParses::HeldLeftOut(TSNode node) const {
  uint32_t b = ts_node_start_byte(node);
  uint32_t e = ts_node_end_byte(node);
  auto first = FirstFrom(left_out_.begin(), left_out_.end(), b);
  if (first == left_out_.end() || first->begin >= e) return nullptr;
  const ByteRange* held = nullptr;
  if (kind_ != SkeletonKind::kBraces) {
    uint32_t gap = b;  // where the gap before the next child begins
    auto in_gap = [&](uint32_t gap_end) {
      auto it = FirstFrom(first, left_out_.end(), gap);
      if (it != left_out_.end() && it->end <= gap_end) held = &*it;
    };
    uint32_t count = ts_node_child_count(node);
    for (uint32_t i = 0; i < count && held == nullptr; ++i) {
      TSNode c = ts_node_child(node, i);
      in_gap(ts_node_start_byte(c));
      gap = std::max(gap, ts_node_end_byte(c));
    }
    if (held == nullptr) in_gap(e);
    return held;
  }
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&cursor);
      if (ts_node_is_named(c)) continue;
      uint32_t open = ts_node_start_byte(c) + 1;
      auto it = FirstFrom(first, left_out_.end(), open);
      if (it != left_out_.end() && it->begin == open) held = &*it;
    } while (held == nullptr && ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return held;
}

// `item` parsed alone, through a ";" that ends it ("struct s {...};").
const TSTree* FullParses::ParseItem(TSNode item) {
  uint32_t b = ts_node_start_byte(item);
  for (const auto& [start, tree] : items_) {
    if (start == b) return tree.get();
  }
  uint32_t e = ts_node_end_byte(item);
  TSNode next = ts_node_next_sibling(item);
  if (!ts_node_is_null(next) && ts_node_type(next) == std::string_view(";")) {
    e = ts_node_end_byte(next);
  }
  std::vector<TSRange> ranges;
  if (prefix_ > 0 && prefix_ <= b) ranges.push_back({PointOf(index_, 0), PointOf(index_, prefix_), 0, prefix_});
  ranges.push_back({PointOf(index_, b), PointOf(index_, e), b, e});
  items_.emplace_back(b, Tree(ParseIncluded(parser_, input_, ranges)));
  return items_.back().second.get();
}

}  // namespace trawl::chunk_internal
