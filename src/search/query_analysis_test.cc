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

double Salience(const QueryAnalysis& a, const std::string& name) {
  for (const auto& n : a.names) {
    if (n.name == name) return n.salience;
  }
  return 0;
}

TEST(AnalyzeQueryTest, ReadsTitleProseCodeAndTrace) {
  std::string q =
      "uniq modifies list argument\n"
      "Calling `multiset` on a list and then kernS(text) fails, see sympy.utilities.iterables\n"
      "```python\n"
      ">>> from sympy.core.sympify import kernS\n"
      ">>> expr = kernS(text)\n"
      "```\n"
      "Traceback (most recent call last):\n"
      "  File \"/x/sympy/core/sympify.py\", line 10, in sympify\n"
      "  File \"/x/sympy/core/sympify.py\", line 20, in _eval_kern\n"
      "UnboundLocalError: local variable 'kern' referenced before assignment\n";
  QueryAnalysis a = AnalyzeQuery(q);
  EXPECT_TRUE(a.structured);
  EXPECT_TRUE(a.has_code);
  // Called in prose and in code: the most salient; a backticked word; a plain title
  // word counts a little (the query has a body); a frame's function, the innermost more.
  EXPECT_GE(Salience(a, "kernS"), 0.9);
  EXPECT_DOUBLE_EQ(Salience(a, "multiset"), 0.7);
  EXPECT_DOUBLE_EQ(Salience(a, "uniq"), 0.3);
  EXPECT_GT(Salience(a, "_eval_kern"), Salience(a, "sympify") - 0.3);
  EXPECT_EQ(Salience(a, "expr"), 0);  // a variable of the snippet
  EXPECT_EQ(Salience(a, "list"), 0);  // a builtin
  EXPECT_EQ(Salience(a, "modifies"), 0.3);
  EXPECT_EQ(Salience(a, "argument"), 0.3);
  EXPECT_EQ(a.names.front().name, "kernS");
  EXPECT_EQ(a.modules, (std::vector<std::string>{"sympy/utilities/iterables", "sympy/core/sympify"}));
  EXPECT_EQ(a.messages, (std::vector<std::string>{"local variable 'kern' referenced before assignment"}));
  EXPECT_EQ(a.paths, (std::vector<std::string>{"/x/sympy/core/sympify.py"}));
  // Prose weighs less than the title and code.
  EXPECT_LT(a.term_weight.at("calling"), 1.0);
  EXPECT_DOUBLE_EQ(a.term_weight.at("uniq"), 1.0);
  EXPECT_DOUBLE_EQ(a.term_weight.at("expr"), 1.0);
}

TEST(AnalyzeQueryTest, OneLineOfWordsNamesNothing) {
  QueryAnalysis a = AnalyzeQuery("Return the dict for the current thread");
  EXPECT_FALSE(a.structured);
  EXPECT_FALSE(a.has_code);
  EXPECT_TRUE(a.names.empty());
  EXPECT_TRUE(a.modules.empty());
  // Code-styled and qualified names count in one line too; URLs do not.
  QueryAnalysis b = AnalyzeQuery("Contains.as_set returns Contains, see https://docs.python.org/3/x.html");
  EXPECT_DOUBLE_EQ(Salience(b, "as_set"), 1.0);
  EXPECT_EQ(b.names.front().qualifier.empty() ? "" : b.names.front().qualifier, "Contains");
  EXPECT_EQ(Salience(b, "python"), 0);
  EXPECT_EQ(Salience(b, "docs"), 0);
}

TEST(AnalyzeQueryTest, ASentenceInBackticksIsAMessage) {
  QueryAnalysis a = AnalyzeQuery("simpify gives `Imaginary coordinates are not permitted.` with `evaluate(False)`\nbody");
  EXPECT_EQ(a.messages, (std::vector<std::string>{"Imaginary coordinates are not permitted."}));
  EXPECT_DOUBLE_EQ(Salience(a, "evaluate"), 1.0);
  EXPECT_DOUBLE_EQ(Salience(a, "Imaginary"), 0.3);  // a word of the title, not code
}

TEST(AnalyzeQueryTest, ACraftedQueryIsBounded) {
  std::string q = "title\n";
  for (int i = 0; i < 5000; ++i) q += "m" + std::to_string(i) + ".sub.leaf" + std::to_string(i % 7) + "() ";
  QueryAnalysis a = AnalyzeQuery(q);
  EXPECT_EQ(a.modules.size(), 64u);
  EXPECT_LE(a.messages.size(), 8u);
}

TEST(MessageFragmentsTest, LiteralPartsBetweenValues) {
  EXPECT_EQ(MessageFragments("Dimension of \"exp(second/(farad*ohm))\" is Dimension(time), but it should be Dimension(1)"),
            (std::vector<std::string>{"but it should be"}));
  EXPECT_EQ(MessageFragments("local variable 'kern' referenced before assignment"),
            (std::vector<std::string>{"referenced before assignment"}));
  EXPECT_TRUE(MessageFragments("x = 3").empty());
  EXPECT_TRUE(MessageFragments("").empty());
}

TEST(PathIndexTest, ModulesNameTheirFileOrPackage) {
  PathIndex paths({"sympy/core/numbers.py", "sympy/polys/__init__.py", "sympy/polys/rings.py", "lib/x/rings.py",
                   "src/com/acme/Parser.java"});
  EXPECT_EQ(paths.ResolveModule("sympy/polys/rings"), (std::vector<std::string>{"sympy/polys/rings.py"}));
  EXPECT_EQ(paths.ResolveModule("sympy/polys"), (std::vector<std::string>{"sympy/polys/__init__.py"}));
  // The last part a class or function in the module.
  EXPECT_EQ(paths.ResolveModule("sympy/core/numbers/Float"), (std::vector<std::string>{"sympy/core/numbers.py"}));
  EXPECT_EQ(paths.ResolveModule("com/acme/Parser"), (std::vector<std::string>{"src/com/acme/Parser.java"}));
  EXPECT_TRUE(paths.ResolveModule("rings").empty());         // one part: no module path
  EXPECT_TRUE(paths.ResolveModule("other/rings").empty());   // every part must match
  EXPECT_TRUE(paths.ResolveModule("np/array").empty());
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

const CodeName* Named(const QueryAnalysis& a, std::string_view name) {
  for (const auto& n : a.names) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

TEST(AnalyzeQueryTest, ImportsSayWhoseNamesASnippetUses) {
  QueryAnalysis a = AnalyzeQuery(
      "Lambdify misreads identity matrices\n"
      "```python\n"
      ">>> import numpy as np\n"
      ">>> from matplotlib.pyplot import subplots, show as display\n"
      ">>> from sympy import lambdify, MatrixSymbol\n"
      ">>> a = np.array([[1, 2], [3, 4]])\n"
      ">>> f = lambdify(A, A + Identity(n))\n"
      ">>> fig, ax = subplots()\n"
      ">>> sympy.Matrix.zeros(2)\n"
      "```\n");
  EXPECT_EQ(a.imports.at("np"), "numpy");
  EXPECT_EQ(a.imports.at("subplots"), "matplotlib");
  EXPECT_EQ(a.imports.at("display"), "matplotlib");
  EXPECT_EQ(a.imports.at("lambdify"), "sympy");
  EXPECT_EQ(a.imports.at("pd"), "pandas");  // the usual alias, unbound here
  EXPECT_EQ(a.imports.count("show"), 0u);
  // A statement ends where its names do.
  QueryAnalysis doctest = AnalyzeQuery(">>> import io >>> read_int4(io.BytesIO(b'\\xff')) 255");
  EXPECT_EQ(doctest.imports.at("io"), "io");
  EXPECT_EQ(doctest.imports.count("read_int4"), 0u);
  EXPECT_EQ(doctest.imports.count(">>>"), 0u);
  PathIndex project({"sympy/__init__.py", "sympy/utilities/lambdify.py", "sympy/matrices/dense.py"});
  ASSERT_NE(Named(a, "array"), nullptr);
  EXPECT_TRUE(IsForeignName(*Named(a, "array"), a, project));
  ASSERT_NE(Named(a, "subplots"), nullptr);
  EXPECT_TRUE(IsForeignName(*Named(a, "subplots"), a, project));
  ASSERT_NE(Named(a, "lambdify"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(a, "lambdify"), a, project));
  ASSERT_NE(Named(a, "Identity"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(a, "Identity"), a, project));  // bound by no import
  ASSERT_NE(Named(a, "zeros"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(a, "zeros"), a, project));
  // Past four roots a name's origin is unknown: never foreign.
  QueryAnalysis many = AnalyzeQuery("t\n    np.fit(1)\n    pd.fit(2)\n    plt.fit(3)\n    tf.fit(4)\n    sympy.fit(5)\n");
  ASSERT_NE(Named(many, "fit"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(many, "fit"), many, project));
  // In numpy's own repository, np.array is its own.
  PathIndex numpy({"numpy/__init__.py", "numpy/core/numeric.py"});
  EXPECT_FALSE(IsForeignName(*Named(a, "array"), a, numpy));
}

TEST(AnalyzeQueryTest, ANameAlsoUsedThroughTheProjectIsNotForeign) {
  QueryAnalysis a = AnalyzeQuery(
      "Two arrays\n"
      "    import numpy as np\n"
      "    from sympy import Array\n"
      "    np.asarray(1).size\n"
      "    sympy.asarray(x)\n");
  PathIndex project({"src/sympy/__init__.py", "src/sympy/tensor/array/ndim_array.py"});
  EXPECT_TRUE(project.HasModule("sympy"));
  EXPECT_FALSE(project.HasModule("numpy"));
  EXPECT_FALSE(project.HasModule("ympy"));
  EXPECT_TRUE(PathIndex({"calc/ops.py"}).HasModule("calc")) << "a namespace package";
  EXPECT_TRUE(PathIndex({"lib/six.py"}).HasModule("six"));
  ASSERT_NE(Named(a, "asarray"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(a, "asarray"), a, project));
  // After a call, whose value's library is unknown.
  ASSERT_NE(Named(a, "size"), nullptr);
  EXPECT_FALSE(IsForeignName(*Named(a, "size"), a, project));
}

}  // namespace
}  // namespace trawl
