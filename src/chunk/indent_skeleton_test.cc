#include "chunk/indent_skeleton.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trawl::chunk_internal {
namespace {

// The left-out texts and the bodies' last statements ("" when it is the last line).
struct Found {
  std::vector<std::string> left_out;
  std::vector<std::string> kept_tail;  // from the end of the left-out text to body_end
};

Found Scan(const std::string& text, uint32_t min_bytes = 1) {
  std::vector<IndentInterior> out;
  EXPECT_TRUE(IndentInteriors(text, min_bytes, &out)) << text;
  Found f;
  for (const IndentInterior& r : out) {
    EXPECT_LE(r.left_out.begin, r.left_out.end);
    EXPECT_LE(r.left_out.end, r.body_end);
    f.left_out.push_back(text.substr(r.left_out.begin, r.left_out.end - r.left_out.begin));
    f.kept_tail.push_back(text.substr(r.left_out.end, r.body_end - r.left_out.end));
  }
  return f;
}

bool Fails(const std::string& text) {
  std::vector<IndentInterior> out;
  return !IndentInteriors(text, 1, &out);
}

TEST(IndentSkeletonTest, LeavesOutAllButTheLastStatement) {
  Found f = Scan(
      "import os\n\n"
      "def f(x):\n"
      "    \"\"\"Doc.\"\"\"\n"
      "    y = x + 1\n"
      "    return y\n\n"
      "x = f(1)\n");
  ASSERT_EQ(f.left_out.size(), 1u);
  EXPECT_EQ(f.left_out[0], "    \"\"\"Doc.\"\"\"\n    y = x + 1\n");
  EXPECT_EQ(f.kept_tail[0], "    return y");
}

TEST(IndentSkeletonTest, KeepsACompoundLastStatementWhole) {
  Found f = Scan(
      "async def g(a,\n"
      "            b):  # header over two lines\n"
      "    total = 0\n"
      "    # a comment\n"
      "    if a:\n"
      "        total += a\n"
      "    elif b:\n"
      "        total += b\n"
      "    else:\n"
      "        pass\n");
  ASSERT_EQ(f.left_out.size(), 1u);
  EXPECT_EQ(f.left_out[0], "    total = 0\n    # a comment\n");
  EXPECT_EQ(f.kept_tail[0], "    if a:\n        total += a\n    elif b:\n        total += b\n    else:\n        pass");
}

TEST(IndentSkeletonTest, TryClausesAndDecoratorsStayWithTheirStatement) {
  Found f = Scan(
      "class C(Base):\n"
      "    x = 1\n"
      "    @property\n"
      "    @other\n"
      "    def p(self):\n"
      "        try:\n"
      "            return self._p\n"
      "        except AttributeError:\n"
      "            return None\n");
  // The class keeps its decorated last method; the method keeps its try statement
  // whole, so there is nothing to leave out of it.
  ASSERT_EQ(f.left_out.size(), 1u);
  EXPECT_EQ(f.left_out[0], "    x = 1\n");
  EXPECT_TRUE(f.kept_tail[0].starts_with("    @property\n    @other\n    def p(self):\n"));
}

TEST(IndentSkeletonTest, NestedDefinitionsInOrder) {
  Found f = Scan(
      "class A:\n"
      "    def m(self):\n"
      "        a = 1\n"
      "        return a\n"
      "    def n(self):\n"
      "        b = 2\n"
      "        return b\n"
      "    z = 3\n");
  ASSERT_EQ(f.left_out.size(), 3u);
  EXPECT_EQ(f.left_out[0],
            "    def m(self):\n        a = 1\n        return a\n    def n(self):\n        b = 2\n        return b\n");
  EXPECT_EQ(f.left_out[1], "        a = 1\n");
  EXPECT_EQ(f.left_out[2], "        b = 2\n");
  EXPECT_EQ(f.kept_tail[0], "    z = 3");
}

TEST(IndentSkeletonTest, BodiesOfStatementsInsideFunctions) {
  Found f = Scan(
      "if sys.platform == 'win32':\n"   // module level: looked inside for definitions
      "    a = 1\n"
      "    b = 2\n"
      "def f(xs):\n"
      "    for x in xs:\n"
      "        y = x\n"
      "        print(y)\n"
      "    try:\n"
      "        g()\n"
      "        h()\n"
      "    except E:\n"
      "        i()\n"
      "        j()\n");
  // f's body (but its try statement), the for body, the try body, the except body; the
  // last two inside the statement f keeps.
  ASSERT_EQ(f.left_out.size(), 4u);
  EXPECT_EQ(f.left_out[0], "    for x in xs:\n        y = x\n        print(y)\n");
  EXPECT_EQ(f.left_out[1], "        y = x\n");
  EXPECT_EQ(f.left_out[2], "        g()\n");
  EXPECT_EQ(f.left_out[3], "        i()\n");
  EXPECT_EQ(f.kept_tail[3], "        j()");
}

TEST(IndentSkeletonTest, StringsBracketsAndContinuations) {
  // Nothing inside a string, a bracket or after a backslash starts a line or a block.
  Found f = Scan(
      "def f():\n"
      "    s = '''\n"
      "def not_a_def():\n"
      "    pass\n"
      "'''\n"
      "    t = (1,\n"
      "  2)\n"
      "    u = f\"{d['k']:>{width}} {{x}}\" + rb'\\'' + \\\n"
      "  'tail'\n"
      "    v = f\"{d[\"k\"]}\"\n"
      "    # def commented(): pass\n"
      "    return s\n");
  ASSERT_EQ(f.left_out.size(), 1u);
  EXPECT_TRUE(f.left_out[0].ends_with("    # def commented(): pass\n"));
  EXPECT_EQ(f.kept_tail[0], "    return s");
}

TEST(IndentSkeletonTest, NothingToLeaveOut) {
  EXPECT_TRUE(Scan("def f(): return 1\n\nclass E(Exception): pass\n").left_out.empty());
  EXPECT_TRUE(Scan("def f():\n    return 1\n").left_out.empty());  // one statement
  EXPECT_TRUE(Scan("if x:\n    a = 1\n    b = 2\n").left_out.empty());  // not a definition
  // Shorter than min_bytes.
  EXPECT_TRUE(Scan("def f():\n    a = 1\n    return a\n", 64).left_out.empty());
  // A body dedented below its first line (an error) is parsed whole.
  EXPECT_TRUE(Scan("def f():\n        a = 1\n    b = 2\n    return b\n").left_out.empty());
}

TEST(IndentSkeletonTest, FailsWhenLinesCannotBeTold) {
  EXPECT_TRUE(Fails("def f():\n    s = '''never closed\n    return 1\n"));
  EXPECT_TRUE(Fails("def f():\n    s = 'open\n    return 1\n"));
  EXPECT_TRUE(Fails("def f():\n    x = (1,\n    return 1\n"));
  EXPECT_TRUE(Fails("x = 1)\n"));
  EXPECT_TRUE(Fails("def f():\n    a = 1\n\f    return a\n"));  // a form feed resets the count
  // Tabs against spaces: the indentation does not compare.
  EXPECT_TRUE(Fails("class A:\n\tdef f(self):\n\t\ta = 1\n\t\treturn a\n    x = 1\n"));
  // ... and within a body only that definition is parsed whole.
  EXPECT_TRUE(Scan("def f():\n\ta = 1\n    b = 2\n").left_out.empty());
}

// Ruby: the left-out texts.
std::vector<std::string> RubyBodies(const std::string& text) {
  std::vector<IndentInterior> out;
  RubyMethodBodies(text, 1, &out);
  std::vector<std::string> texts;
  for (const IndentInterior& r : out) {
    EXPECT_EQ(text.substr(r.header, 3), "def");
    texts.push_back(text.substr(r.left_out.begin, r.left_out.end - r.left_out.begin));
  }
  return texts;
}

TEST(IndentSkeletonTest, RubyMethodBodies) {
  std::string text =
      "class Store\n"
      "  def get(key,\n"
      "          default = nil)\n"
      "    @items.fetch(key) { default }\n"
      "  rescue KeyError\n"
      "    nil\n"
      "  end\n"
      "\n"
      "  def text\n"
      "    <<~EOS\n"
      "  end\n"
      "    EOS\n"
      "  end\n"
      "=begin\n"
      "  def commented\n"
      "=end\n"
      "  def one; end\n"
      "  def endless = 1\n"
      "  def self.build\n"
      "    new\n"
      "  end\n"
      "end\n";
  // The heredoc's `end` is text: the method ends at the one after it.
  EXPECT_EQ(RubyBodies(text),
            (std::vector<std::string>{"    @items.fetch(key) { default }\n  rescue KeyError\n    nil\n",
                                      "    <<~EOS\n  end\n    EOS\n", "    new\n"}));
  // `end?` and `end:` are names, not the keyword.
  EXPECT_EQ(RubyBodies("def f\n  a = 1\n  a\nend?\nend:\nend\n"), (std::vector<std::string>{}));
  // A line less indented than the body before the `end`: not listed.
  EXPECT_TRUE(RubyBodies("def f\n  x = [1,\n2]\n  x\nend\n").empty());
}

}  // namespace
}  // namespace trawl::chunk_internal
