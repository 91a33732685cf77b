#include "search/query_analysis.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(MentionedPathsTest, TracebackFramesInOrderOfLastMention) {
  std::string q =
      "Simplify fails:\n"
      "Traceback (most recent call last):\n"
      "  File \"/home/u/sympy/sympy/simplify/simplify.py\", line 600, in simplify\n"
      "  File \"/home/u/sympy/sympy/core/add.py\", line 532, in _eval_is_zero\n"
      "  File \"/home/u/sympy/sympy/simplify/simplify.py\", line 610, in simplify\n"
      "ValueError: see lib\\util\\io.py and ./src/main.c:12:5, not sympy.core.add or README.md";
  EXPECT_EQ(MentionedPaths(q), (std::vector<std::string>{"/home/u/sympy/sympy/core/add.py",
                                                          "/home/u/sympy/sympy/simplify/simplify.py", "lib/util/io.py",
                                                          "src/main.c"}));
  EXPECT_TRUE(MentionedPaths("use the .py files, e.g. x.pyc or a.txt").empty());
  EXPECT_EQ(MentionedPaths("a.py b.py c.py", 2), (std::vector<std::string>{"b.py", "c.py"}));
}

TEST(PathIndexTest, LongestComponentSuffixAndNoGuessing) {
  PathIndex paths({"doc/conf.py", "sympy/core/add.py", "sympy/core/tests/test_add.py",
                                    "sympy/polys/add.py", "sympy/simplify/simplify.py", "x/core/add.py"});
  EXPECT_EQ(paths.Resolve("/home/u/sympy/sympy/core/add.py"), (std::vector<std::string>{"sympy/core/add.py"}));
  EXPECT_EQ(paths.Resolve("simplify.py"), (std::vector<std::string>{"sympy/simplify/simplify.py"}));
  EXPECT_EQ(paths.Resolve("core/add.py"), (std::vector<std::string>{"sympy/core/add.py", "x/core/add.py"}));
  EXPECT_TRUE(paths.Resolve("add.py", 2).empty());             // three add.py: which?
  EXPECT_TRUE(paths.Resolve("other/add.py").empty());          // a folder that does not match
  EXPECT_TRUE(paths.Resolve("dd.py").empty());                 // not a component
}

}  // namespace
}  // namespace trawl
