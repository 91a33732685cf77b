#include "chunk/skeleton_parse.h"

#include <gtest/gtest.h>
#include <tree_sitter/api.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/chunk_test_util.h"
#include "chunk/languages.h"
#include "chunk/split_merge.h"

namespace trawl::chunk_internal {
namespace {

using chunk_testing::SmallChunks;

const char* ReadText(void* payload, uint32_t byte, TSPoint /*position*/, uint32_t* bytes_read) {
  auto* text = static_cast<std::string_view*>(payload);
  if (byte >= text->size()) {
    *bytes_read = 0;
    return "";
  }
  *bytes_read = static_cast<uint32_t>(text->size()) - byte;
  return text->data() + byte;
}

struct ParserDeleter {
  void operator()(TSParser* p) const { ts_parser_delete(p); }
};

// One file of `language`: its text, index, the interiors its first parse leaves out,
// and a parser for its grammar.
class File {
 public:
  File(std::string_view language, std::string text) : text_(std::move(text)), view_(text_) {
    spec_ = FindSyntaxLanguage(language);
    EXPECT_NE(spec_, nullptr) << language;
    index_.Reset(text_);
    parser_.reset(ts_parser_new());
    if (spec_ == nullptr) return;
    EXPECT_TRUE(ts_parser_set_language(parser_.get(), spec_->ts_language()));
    left_out_ = ChooseLeftOut(*spec_, index_, SmallChunks().max_chunk_chars);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& text() const { return text_; }
  const TextIndex& index() const { return index_; }
  const LanguageSpec& spec() const { return *spec_; }
  LeftOut& left_out() { return left_out_; }
  TSParser* parser() { return parser_.get(); }
  TSInput input() { return TSInput{&view_, ReadText, TSInputEncodingUTF8}; }

  Tree ParseSkeleton() {
    return Tree(ParseIncluded(parser(), input(), IncludedRanges(index_, left_out_.interiors)));
  }
  Tree ParseWhole() { return Tree(ParseIncluded(parser(), input(), {})); }

  uint32_t Offset(std::string_view s, uint32_t from = 0) const {
    return static_cast<uint32_t>(text_.find(s, from));
  }
  // Whether an interior holds the text `s`.
  bool LeftOutHolds(std::string_view s) const {
    uint32_t at = Offset(s);
    for (const ByteRange& r : left_out_.interiors) {
      if (r.begin <= at && at + s.size() <= r.end) return true;
    }
    return false;
  }

 private:
  std::string text_;
  std::string_view view_;
  const LanguageSpec* spec_ = nullptr;
  TextIndex index_;
  std::unique_ptr<TSParser, ParserDeleter> parser_;
  LeftOut left_out_;
};

// A small function, then one over the size limit that holds a small block.
std::string SmallAndBigFunctions(std::string_view keyword, std::string_view param) {
  const std::string head = std::string(keyword) + " ";
  const std::string params = "(" + std::string(param) + ") {\n";
  std::string s = head + "small" + params +
                  "  small_marker = a + 1; /* at least 64 bytes in here */\n"
                  "  return small_marker;\n"
                  "}\n\n";
  s += head + "big" + params + "  big_marker = 0;\n";
  for (int i = 0; i < 60; ++i) s += "  big_marker += a * 12345 + 67890 + " + std::to_string(i) + ";\n";
  s += "  if (a) {\n"
       "    inner_marker = a; /* and at least 64 bytes in here too */\n"
       "    return inner_marker;\n"
       "  }\n"
       "  return big_marker;\n"
       "}\n";
  return s;
}

// The node of `type` (the `nth` one, in document order) under `n`.
TSNode FindNode(TSNode n, std::string_view type, int* nth) {
  if (type == ts_node_type(n) && (*nth)-- == 0) return n;
  uint32_t count = ts_node_child_count(n);
  for (uint32_t i = 0; i < count; ++i) {
    TSNode found = FindNode(ts_node_child(n, i), type, nth);
    if (!ts_node_is_null(found)) return found;
  }
  return TSNode{};
}
TSNode FindNode(const TSTree* tree, std::string_view type, int nth = 0) {
  return FindNode(ts_tree_root_node(tree), type, &nth);
}

std::vector<std::string> ChildTypes(TSNode n) {
  std::vector<std::string> types;
  uint32_t count = ts_node_child_count(n);
  for (uint32_t i = 0; i < count; ++i) types.emplace_back(ts_node_type(ts_node_child(n, i)));
  return types;
}

TEST(SkeletonParseTest, IncludedRangesAreTheTextButTheInteriors) {
  TextIndex index;
  const std::string text = "a {\n  xx\n} b {\n  yy\n} c {\n  zz\n}\n";
  index.Reset(text);
  std::vector<ByteRange> left_out;
  for (std::string_view s : {"xx", "yy", "zz"}) {
    auto at = static_cast<uint32_t>(text.find(s));
    left_out.push_back({at, at + 2});
  }
  for (ByteRange keep : {ByteRange{}, left_out[1]}) {
    std::vector<TSRange> ranges = IncludedRanges(index, left_out, keep);
    std::vector<ByteRange> gone;
    for (const ByteRange& r : left_out) {
      if (r.begin != keep.begin || keep.end == 0) gone.push_back(r);
    }
    ASSERT_EQ(ranges.size(), gone.size() + 1);
    EXPECT_EQ(ranges.front().start_byte, 0u);
    EXPECT_EQ(ranges.back().end_byte, index.size());
    for (size_t i = 0; i < gone.size(); ++i) {
      EXPECT_EQ(ranges[i].end_byte, gone[i].begin);
      EXPECT_EQ(ranges[i + 1].start_byte, gone[i].end);
    }
    for (const TSRange& r : ranges) {
      EXPECT_EQ(r.start_point.row, static_cast<uint32_t>(index.LineOf(r.start_byte)));
      EXPECT_EQ(r.start_point.column, r.start_byte - index.LineStart(index.LineOf(r.start_byte)));
    }
  }
}

TEST(SkeletonParseTest, LeavesOutBodiesThatFitAndBlocksInsideOnesThatDoNot) {
  File c("c", SmallAndBigFunctions("int", "int a"));
  const LeftOut& lo = c.left_out();
  ASSERT_EQ(lo.interiors.size(), 2u);
  ASSERT_EQ(lo.headers.size(), 2u);
  EXPECT_TRUE(c.LeftOutHolds("small_marker = a + 1"));
  EXPECT_TRUE(c.LeftOutHolds("inner_marker = a"));
  EXPECT_FALSE(c.LeftOutHolds("big_marker = 0"));
  for (const ByteRange& r : lo.interiors) {
    EXPECT_LE(c.index().Nws(r.begin, r.end), SmallChunks().max_chunk_chars);
  }
  EXPECT_LT(lo.interiors[0].end, lo.interiors[1].begin);
}

TEST(SkeletonParseTest, JavaScriptLeavesOutTopLevelBodiesOnly) {
  File js("javascript", SmallAndBigFunctions("function", "a"));
  EXPECT_EQ(js.left_out().interiors.size(), 1u);
  EXPECT_TRUE(js.LeftOutHolds("small_marker = a + 1"));
  EXPECT_FALSE(js.LeftOutHolds("inner_marker = a"));
}

TEST(SkeletonParseTest, PythonLeavesOutALongClassesMethodsNotItsBody) {
  std::string text = "class Short:\n";
  for (int i = 0; i < 2; ++i) {
    text += "    def s" + std::to_string(i) + "(self):\n        x = 1 + 2 + 3 + 4 + 5 + 6 + 7\n"
            "        y = x * 2 + x * 3 + x * 4 + x * 5\n        return x + y\n";
  }
  text += "\n\nclass Long:\n";
  for (int i = 0; i < kWholeContainerMaxLines / 4 + 1; ++i) {
    text += "    def m" + std::to_string(i) + "(self):\n        x = 1 + 2 + 3 + 4 + 5 + 6 + 7\n"
            "        y = x * 2 + x * 3 + x * 4 + x * 5\n        return x + y\n";
  }
  File py("python", text);
  const uint32_t short_body = py.Offset("    def s0");
  const uint32_t long_body = py.Offset("    def m0");
  const uint32_t long_method_body = py.Offset("        x", long_body);
  bool short_left_out = false;
  bool long_method_left_out = false;
  for (const ByteRange& r : py.left_out().interiors) {
    short_left_out |= r.begin == short_body;
    EXPECT_NE(r.begin, long_body);
    long_method_left_out |= r.begin == long_method_body;
  }
  EXPECT_TRUE(short_left_out);
  EXPECT_TRUE(long_method_left_out);
}

TEST(SkeletonParseTest, LanguagesWithoutSkeletonAreParsedWhole) {
  File bash("bash", "f() {\n  echo 'a body long enough to be left out if bash had a skeleton'\n}\n");
  EXPECT_TRUE(bash.left_out().interiors.empty());
  File broken("c", "int f(void) {\n  return 1; /* an unbalanced brace follows, long enough */\n");
  EXPECT_TRUE(broken.left_out().interiors.empty());
}

TEST(SkeletonParseTest, ExpandFindsTheNodeWithItsInside) {
  File c("c", SmallAndBigFunctions("int", "int a"));
  Tree skeleton = c.ParseSkeleton();
  Tree whole = c.ParseWhole();
  ASSERT_NE(skeleton, nullptr);
  ASSERT_NE(whole, nullptr);
  FullParses full(c.parser(), c.input(), c.index(), skeleton.get(), c.left_out().interiors,
                  c.spec().skeleton, ItemPrefix(c.spec(), c.index()));
  // compound_statement 0: small's body (left out); 1: big's (kept); 2: the if's (left out).
  for (int nth : {0, 2}) {
    TSNode node = FindNode(skeleton.get(), "compound_statement", nth);
    TSNode expected = FindNode(whole.get(), "compound_statement", nth);
    ASSERT_FALSE(ts_node_is_null(node));
    EXPECT_NE(ChildTypes(node), ChildTypes(expected));  // its inside is left out
    ASSERT_TRUE(full.Expand(&node)) << nth;
    EXPECT_NE(node.tree, skeleton.get());
    EXPECT_EQ(ts_node_start_byte(node), ts_node_start_byte(expected));
    EXPECT_EQ(ts_node_end_byte(node), ts_node_end_byte(expected));
    EXPECT_EQ(ChildTypes(node), ChildTypes(expected));
  }
  // A node that holds no left-out interior stays the skeleton's.
  TSNode big_body = FindNode(skeleton.get(), "compound_statement", 1);
  TSNode same = big_body;
  ASSERT_TRUE(full.Expand(&same));
  EXPECT_TRUE(ts_node_eq(same, big_body));
  EXPECT_FALSE(full.stopped());
}

TEST(SkeletonParseTest, RubySkeletonIsConfirmedByItsMethods) {
  File rb("ruby",
          "class Greeter\n"
          "  def hello(name)\n"
          "    greeting = \"Hello, \" + name + \"! How are you today? Fine.\"\n"
          "    puts greeting\n"
          "  end\n\n"
          "  def bye\n"
          "    farewell = \"Goodbye and see you again soon, friend of mine!\"\n"
          "    puts farewell\n"
          "  end\n"
          "end\n");
  ASSERT_EQ(rb.left_out().interiors.size(), 2u);
  EXPECT_EQ(rb.left_out().headers[0], rb.Offset("def hello"));
  EXPECT_EQ(rb.left_out().headers[1], rb.Offset("def bye"));
  Tree skeleton = rb.ParseSkeleton();
  ASSERT_NE(skeleton, nullptr);
  EXPECT_TRUE(RubySkeletonConfirmed(skeleton.get(), rb.index(), rb.left_out()));
  // A method that does not begin where the guess said is not confirmed.
  rb.left_out().headers[1] = rb.Offset("bye");
  EXPECT_FALSE(RubySkeletonConfirmed(skeleton.get(), rb.index(), rb.left_out()));
}

TEST(SkeletonParseTest, PhpItemsArePrefixedWithTheOpeningTag) {
  File php("php", "\n<?php\nfunction f() { return 1; }\n");
  EXPECT_EQ(ItemPrefix(php.spec(), php.index()), php.Offset("<?php") + 5);
  File c("c", "int f(void) { return 1; }\n");
  EXPECT_EQ(ItemPrefix(c.spec(), c.index()), 0u);
}

}  // namespace
}  // namespace trawl::chunk_internal
