// The syntax chunker. A node's children, each stretched over the gap before it, tile
// the node's byte range; a level of the tree is a list of such "units". A unit over
// the size limit is split at its own children (recursively, cutting by lines as the
// last resort), then adjacent units are merged up to the limit. Because the units of
// a level always tile their parent, every byte of the file ends up in exactly one
// chunk and no chunk is dropped.
//
// Definitions stay whole when they fit. A definition that does not fit becomes the
// owner of the pieces it is split into, and pieces only merge with pieces of the same
// owner, so a method is never glued to its neighbour's fragments. Types, namespaces
// and the file itself are also split when they are long in lines, so that a method of
// a 60-line class is its own chunk and is found as such. When a definition is split,
// its body's members join the level of its header, so the header, fields and small
// members merge into one chunk named after the type. Comments and decorators go with
// the code below them; punctuation ("}", ";", "end") with the code before it.
//
// This file is the walk and the parse that feeds it. What a node is (a definition and
// its name, an import, a comment) is language_rules.h's; when units glue, merge or must
// be split is split_merge.h's; which bodies the first parse leaves out, and the parses
// that look inside one, are skeleton_parse.h's.
#include "chunk/syntax_chunker.h"

#include <tree_sitter/api.h>

#include <algorithm>
#include <string>
#include <vector>

#include "chunk/language_rules.h"
#include "chunk/skeleton_parse.h"
#include "chunk/split_merge.h"

namespace trawl::chunk_internal {
namespace {

// Past this depth of splitting, a unit is cut by lines (keeps the recursion bounded on
// pathological nesting; real code is never split this deep).
constexpr int kMaxDepth = 96;
// tree-sitter reads the input in pieces of this size; between pieces we look at `cancel`.
constexpr uint32_t kReadPiece = 64 * 1024;

struct ReadState {
  std::string_view text;
  const std::atomic<bool>* cancel;
  size_t* flag;
};

const char* ReadInput(void* payload, uint32_t byte, TSPoint /*position*/, uint32_t* bytes_read) {
  auto* state = static_cast<ReadState*>(payload);
  if (state->cancel != nullptr && state->cancel->load(std::memory_order_relaxed)) {
    *state->flag = 1;
  }
  const auto size = static_cast<uint32_t>(state->text.size());
  if (byte >= size) {
    *bytes_read = 0;
    return "";
  }
  uint32_t end = byte + std::min(kReadPiece, size - byte);
  // End the piece on a character boundary.
  while (end < size && end > byte + 1 &&
         (static_cast<unsigned char>(state->text[end]) & 0xC0) == 0x80) {
    --end;
  }
  *bytes_read = end - byte;
  return state->text.data() + byte;
}

// A definition met while walking; chunks name it by symbol and context by header.
struct Def {
  std::string_view kind;
  std::string symbol;
  std::string header;  // its first line (the line of its name)
  int parent = -1;
  int lines = 1;       // its own line span (without leading comments)
  TSNode inner{};      // the node it is split at
  bool container = false;
  bool type_scope = false;
};

// The walk over one file's tree. Holds the definitions met so far.
class Walk {
 public:
  Walk(const LanguageRules& rules, const TextIndex& index, const ChunkOptions& options,
       FullParses* full)
      : rules_(rules),
        index_(index),
        options_(options),
        full_(full) {}

  // False, emitting nothing, when a skeleton tree could not be expanded.
  bool Run(TSNode root, std::string_view path, ChunkSink* sink) {
    std::vector<Unit> out;
    Split(root, 0, index_.size(), /*owner=*/-1, /*header_first=*/false, /*reserve=*/0, 0, &out);
    if (failed_) return false;
    std::vector<int> chain;
    for (const Unit& u : out) {
      if (u.nws == 0) continue;
      std::string_view kind;
      std::string_view symbol;
      int context_from;
      if (u.owner >= 0 && u.has_header) {
        kind = defs_[u.owner].kind;
        symbol = defs_[u.owner].symbol;
        context_from = defs_[u.owner].parent;
      } else if (u.def >= 0) {
        kind = defs_[u.def].kind;
        symbol = defs_[u.def].symbol;
        context_from = u.owner;
      } else if (u.owner >= 0) {
        kind = defs_[u.owner].kind;
        symbol = defs_[u.owner].symbol;
        context_from = u.owner;
      } else {
        kind = u.has_import && u.only_imports_or_comments ? "imports" : "block";
        context_from = -1;
      }
      chain.clear();
      for (int d = context_from; d >= 0; d = defs_[d].parent) chain.push_back(d);
      std::string context(path);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        context += " > ";
        context += defs_[*it].header;
      }
      sink->Emit(u.begin, u.end, kind, symbol, std::move(context));
    }
    return true;
  }

 private:
  int LinesOf(uint32_t b, uint32_t e) const {
    uint32_t s = index_.FirstNonSpace(b, e);
    if (s >= e) return 1;
    return index_.LineOf(index_.EndNonSpace(s, e) - 1) - index_.LineOf(s) + 1;
  }

  int AddDef(const DefInfo& info, TSNode node, int parent) {
    Def def;
    def.parent = parent;
    def.container = info.rule->container;
    def.type_scope = info.rule->type_scope;
    def.kind = info.kind;
    if (def.kind == "function" && parent >= 0 && defs_[parent].type_scope) def.kind = "method";
    const std::string& parent_symbol = parent >= 0 ? defs_[parent].symbol : std::string();
    if (info.name.empty()) {
      def.symbol = parent_symbol;
    } else if (parent_symbol.empty()) {
      def.symbol = info.name;
    } else {
      def.symbol = parent_symbol;
      def.symbol += rules_.spec().separator;
      def.symbol += info.name;
    }
    uint32_t start = std::min(ts_node_start_byte(info.inner), index_.size());
    uint32_t end = std::min(ts_node_end_byte(node), index_.size());
    uint32_t header_byte = info.name_byte < index_.size() ? info.name_byte : start;
    def.header = HeaderLine(index_, index_.LineOf(header_byte));
    def.lines = LinesOf(start, std::max(start, end));
    def.inner = info.inner;
    defs_.push_back(std::move(def));
    return static_cast<int>(defs_.size()) - 1;
  }

  // Children of `node` as units tiling [b, e).
  // Returns the node whose children they are: `node`, or its counterpart in a fuller
  // parse where the skeleton left some of them out.
  TSNode Collect(TSNode node, uint32_t b, uint32_t e, int owner, std::vector<Unit>* units) {
    if (full_ != nullptr && !full_->Expand(&node)) failed_ = true;
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    uint32_t pos = b;
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      do {
        TSNode c = ts_tree_cursor_current_node(&cursor);
        uint32_t ce = std::min(ts_node_end_byte(c), e);
        if (ce <= pos) continue;  // empty (MISSING) nodes
        Unit u;
        u.begin = pos;
        u.end = ce;
        u.owner = owner;
        u.node = static_cast<int>(nodes_.size());
        nodes_.push_back(c);
        u.is_token = !ts_node_is_named(c) && ts_node_end_byte(c) - ts_node_start_byte(c) <= 16;
        u.is_comment = rules_.IsComment(c);
        u.is_prefix = u.is_comment || rules_.IsAttribute(c);
        u.has_import = rules_.IsImport(c, index_.text());
        DefInfo info;
        if (rules_.Classify(c, index_.text(), &info)) u.def = AddDef(info, c, owner);
        u.only_imports_or_comments = u.has_import || u.is_comment;
        units->push_back(u);
        pos = ce;
      } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    if (!units->empty()) units->back().end = e;
    for (Unit& u : *units) {
      Measure(index_, &u);
      if (u.def >= 0) {
        u.def_nws = u.nws;
        u.min_def_lines = defs_[u.def].lines;
      }
    }
    return node;
  }

  // Whether `u` is a node with children (not merged, not cut by lines).
  bool HasChildren(const Unit& u) const { return u.node >= 0 && ts_node_child_count(nodes_[u.node]) > 0; }

  bool NeedsSplit(const Unit& u, bool in_container) const {
    // Inside a type, namespace or the file, a long non-definition (a class body, an
    // #ifdef, extern "C") may hold definitions: look inside. Its statements merge
    // back freely when it holds none.
    bool split_if_long = u.def >= 0 ? defs_[u.def].container : in_container && HasChildren(u);
    return chunk_internal::NeedsSplit(u, split_if_long, options_);
  }

  // A definition being split: its body's members join the level of its header, so
  // that the header, fields and small members can merge into one chunk.
  void SpliceBody(TSNode def_node, int owner, std::vector<Unit>* units) {
    TSNode body = rules_.Body(def_node);
    if (ts_node_is_null(body)) return;
    for (size_t i = 0; i < units->size(); ++i) {
      const Unit u = (*units)[i];
      if (u.def >= 0 || u.node < 0 || !ts_node_eq(nodes_[u.node], body)) continue;
      std::vector<Unit> members;
      Collect(body, u.begin, u.end, owner, &members);
      if (members.empty()) return;
      units->erase(units->begin() + static_cast<std::ptrdiff_t>(i));
      units->insert(units->begin() + static_cast<std::ptrdiff_t>(i), members.begin(), members.end());
      return;
    }
  }

  void Split(TSNode node, uint32_t b, uint32_t e, int owner, bool header_first, int reserve,
             int depth, std::vector<Unit>* out) {
    std::vector<Unit> units;
    TSNode walked = Collect(node, b, e, owner, &units);
    if (owner >= 0 && ts_node_eq(node, defs_[owner].inner)) SpliceBody(walked, owner, &units);
    std::vector<Unit> level;
    if (units.empty()) {
      CutIntoLines(index_, b, e, owner, header_first, reserve, options_, &level);
    } else {
      units.front().has_header |= header_first;
      Glue(&units, options_);
    }
    const bool in_container = owner < 0 || defs_[owner].container;
    std::vector<Unit> sub;
    for (Unit u : units) {
      JoinTinyHeader(&level, &u, reserve, options_);
      if (!NeedsSplit(u, in_container)) {
        AddToLevel(&level, u, reserve, options_);
        continue;
      }
      // Room to keep for the small group before it, which may then join its first piece.
      int room = u.def < 0 ? RoomBefore(level, owner, reserve, options_) : 0;
      sub.clear();
      if (depth >= kMaxDepth) {
        CutIntoLines(index_, u.begin, u.end, u.def >= 0 ? u.def : owner, u.def >= 0 || u.has_header,
                     0, options_, &sub);
      } else if (u.def >= 0) {
        Split(defs_[u.def].inner, u.begin, u.end, u.def, /*header_first=*/true, 0, depth + 1, &sub);
      } else if (HasChildren(u)) {
        Split(nodes_[u.node], u.begin, u.end, owner, u.has_header, room, depth + 1, &sub);
      } else {
        CutIntoLines(index_, u.begin, u.end, owner, u.has_header, room, options_, &sub);
      }
      for (const Unit& piece : sub) AddToLevel(&level, piece, reserve, options_);
    }
    out->insert(out->end(), level.begin(), level.end());
  }

  const LanguageRules& rules_;
  const TextIndex& index_;
  const ChunkOptions& options_;
  FullParses* full_;  // null: the tree is a whole parse
  bool failed_ = false;
  std::vector<Def> defs_;
  std::vector<TSNode> nodes_;  // the nodes of the units collected, by Unit::node
};

}  // namespace

void SyntaxChunker::ParserDeleter::operator()(TSParser* p) const { ts_parser_delete(p); }

SyntaxChunker::SyntaxChunker(const LanguageSpec& spec) : spec_(spec), parser_(ts_parser_new()) {
  const TSLanguage* lang = spec.ts_language();
  if (!ts_parser_set_language(parser_.get(), lang)) return;
  ts_parser_set_cancellation_flag(parser_.get(), &cancel_flag_);
  rules_.emplace(spec, lang);
}

SyntaxChunker::~SyntaxChunker() = default;

SyntaxChunker::Outcome SyntaxChunker::Chunk(const TextIndex& index, const ChunkOptions& options,
                                            std::string_view path,
                                            const std::atomic<bool>* cancel, ChunkSink* sink) {
  if (!rules_.has_value()) return Outcome::kUnavailable;
  cancel_flag_ = 0;
  ts_parser_set_timeout_micros(parser_.get(),
                               static_cast<uint64_t>(std::max(0, options.parse_timeout_ms)) * 1000);
  ReadState state{index.text(), cancel, &cancel_flag_};
  TSInput input{&state, ReadInput, TSInputEncodingUTF8};
  auto no_tree = [&] {
    bool cancelled = cancel_flag_ != 0 || (cancel != nullptr && cancel->load());
    return cancelled ? Outcome::kCancelled : Outcome::kTimeout;
  };
  const SkeletonKind kind = spec_.skeleton;
  LeftOut left_out;
  if (options.skeleton_parse) left_out = ChooseLeftOut(spec_, index, options.max_chunk_chars);
  Tree tree;
  Tree skeleton;
  if (!left_out.interiors.empty()) {
    // The skeleton: everything but the interiors; the walk looks inside one by
    // FullParses when it must, and when even that fails the file is walked again from
    // a whole parse. A syntax error in the skeleton is kept: tree-sitter recovers from
    // it as it would in a whole parse, and with function bodies out of sight, the macros
    // in them (`list_for_each_entry(...) {`) no longer derail the recovery around
    // definitions (design.md, "Skeleton parse"). Ruby's skeleton rests on a guess the
    // parse must confirm.
    skeleton.reset(ParseIncluded(parser_.get(), input, IncludedRanges(index, left_out.interiors)));
    if (skeleton == nullptr) return no_tree();
    if (kind == SkeletonKind::kRuby && !RubySkeletonConfirmed(skeleton.get(), index, left_out)) {
      skeleton.reset();
    }
  }
  if (skeleton != nullptr) {
    FullParses full(parser_.get(), input, index, skeleton.get(), left_out.interiors, kind,
                    ItemPrefix(spec_, index));
    Walk walk(*rules_, index, options, &full);
    if (walk.Run(ts_tree_root_node(skeleton.get()), path, sink)) return Outcome::kOk;
    if (full.stopped()) return no_tree();
    tree = full.TakeWhole();
  }
  if (tree == nullptr) tree.reset(ParseIncluded(parser_.get(), input, {}));
  if (tree == nullptr) return no_tree();
  Walk walk(*rules_, index, options, nullptr);
  walk.Run(ts_tree_root_node(tree.get()), path, sink);
  return Outcome::kOk;
}

}  // namespace trawl::chunk_internal
