#include "search/rerank.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trawl {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RerankQueryTermsTest, DistinctTermsWithoutStopWords) {
  std::vector<QueryTerm> q = RerankQueryTerms("Return the dict for the current thread; the dicts");
  std::vector<std::string> terms;
  for (const auto& t : q) terms.push_back(t.term);
  EXPECT_THAT(terms, ElementsAre("dict", "current", "thread", "dicts"));
  EXPECT_EQ(q[3].stem, "dict");
}

ChunkView Chunk(std::string path, std::string symbol, std::string content, std::string context) {
  ChunkView v;
  v.path = std::move(path);
  v.symbol = std::move(symbol);
  v.content = std::move(content);
  v.context = std::move(context);
  return v;
}

TEST(RerankScoresTest, DeclaredNameOutranksWordsInTheBody) {
  std::vector<QueryTerm> q = RerankQueryTerms("Return the dict for the current thread");
  std::vector<ChunkView> chunks = {
      Chunk("local.py", "Local.close", "    def close(self):\n        # drops the dict of the current thread\n",
            "local.py > class Local:"),
      Chunk("local.py", "Local", "class Local:\n    def get_dict(self):\n        return self.x\n", "local.py"),
  };
  std::vector<RerankScore> s = RerankScores(q, chunks, {1.0, 0.9});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_GT(s[1].total, s[0].total);
}

TEST(RerankScoresTest, WordInsideAOneWordName) {
  std::vector<QueryTerm> q = RerankQueryTerms("format a year");
  std::vector<ChunkView> chunks = {Chunk("cal.py", "", "def formatyear(y):\n", "cal.py"),
                                   Chunk("cal.py", "", "def other(y):\n", "cal.py")};
  std::vector<RerankScore> s = RerankScores(q, chunks, {1.0, 1.0});
  EXPECT_GT(s[0].total, s[1].total);
}

TEST(RerankScoresTest, ParametersOfOneSignatureCount) {
  // "date" is in setTime's parameters; setTimeInMillis's body mentions time only.
  std::vector<QueryTerm> q = RerankQueryTerms("Sets this calendar's time with the given date");
  std::vector<ChunkView> chunks = {
      Chunk("Calendar.java", "Calendar.setTimeInMillis",
            "    public void setTimeInMillis(long millis) {\n        time = millis;\n    }\n", "Calendar.java"),
      Chunk("Calendar.java", "Calendar.setTime",
            "    public final void setTime(\n            Date date) {\n        setTimeInMillis(date.getTime());\n    }\n",
            "Calendar.java"),
  };
  std::vector<RerankScore> s = RerankScores(q, chunks, {1.0, 0.9});
  EXPECT_GT(s[1].total, s[0].total);
  // Only the best signature counts: two small functions merged into one chunk do not
  // add their parameters up.
  std::vector<ChunkView> merged = {
      Chunk("a.c", "", "int set_time(int t) {\n}\nint get_date(void) {\n}\n", "a.c"),
      Chunk("a.c", "", "int set_time_date(int t, int date) {\n}\n", "a.c"),
  };
  std::vector<RerankScore> m = RerankScores(RerankQueryTerms("set the time and date"), merged, {1.0, 1.0});
  EXPECT_GT(m[1].total, m[0].total);
}

TEST(RerankScoresTest, DefinitionOfANameTheQueryUsesLeads) {
  std::vector<QueryTerm> q = RerankQueryTerms("kernS fails on text");
  std::vector<ChunkView> chunks = {
      Chunk("sympy/core/tests/test_sympify.py", "test_kernS", "def test_kernS():\n    kernS(text)\n",
            "sympy/core/tests/test_sympify.py"),
      Chunk("sympy/core/sympify.py", "kernS", "def kernS(s):\n    return s\n", "sympy/core/sympify.py"),
      Chunk("doc/sympify.md", "", "kernS fails on text\n", "doc/sympify.md"),
  };
  chunks[2].language = "markdown";
  RerankEvidence evidence;
  evidence.names = {{"kernS", 1.0}};
  evidence.pasted = true;
  std::vector<RerankScore> s = RerankScores(q, chunks, {1.0, 0.5, 1.0}, RerankWeights(), evidence);
  EXPECT_GT(s[1].total, s[0].total);
  EXPECT_GT(s[1].total, s[2].total);
  EXPECT_EQ(s[1].defined, "kernS");
  EXPECT_DOUBLE_EQ(s[1].defines, 1.0);
  EXPECT_EQ(s[0].test, 1);
  EXPECT_EQ(s[2].prose, 1);
  EXPECT_DOUBLE_EQ(s[1].file_defines, 1.0);
  EXPECT_EQ(s[0].file_defines, 0);
  // The defining file's other chunks share in it.
  chunks.push_back(Chunk("sympy/core/sympify.py", "helper", "def helper():\n    pass\n", "sympy/core/sympify.py"));
  s = RerankScores(q, chunks, {1.0, 0.5, 1.0, 0.1}, RerankWeights(), evidence);
  EXPECT_EQ(s[3].defines, 0);
  EXPECT_DOUBLE_EQ(s[3].file_defines, 1.0);
  chunks.pop_back();
  // Two files defining the name share it.
  chunks[0] = Chunk("other/sympify.py", "kernS", "def kernS(x):\n    pass\n", "other/sympify.py");
  s = RerankScores(q, chunks, {1.0, 0.5, 1.0}, RerankWeights(), evidence);
  EXPECT_NEAR(s[1].defines, 1 / std::sqrt(2.0), 1e-9);
  // Without the evidence nothing of this counts.
  s = RerankScores(q, chunks, {1.0, 0.5, 1.0});
  EXPECT_EQ(s[1].defines, 0);
  EXPECT_EQ(s[2].prose, 0);
}

TEST(RerankScoresTest, AHandlerNamedAfterANameTheQueryUsesCounts) {
  std::vector<ChunkView> chunks = {
      Chunk("printing/latex.py", "LatexPrinter._print_Poly", "def _print_Poly(self, poly):\n    pass\n",
            "printing/latex.py > class LatexPrinter"),
      Chunk("printing/latex.py", "LatexPrinter._print_Add", "def _print_Add(self, expr):\n    pass\n",
            "printing/latex.py > class LatexPrinter"),
      Chunk("core/assume.py", "Expr._eval_is_zero", "def _eval_is_zero(self):\n    pass\n", "core/assume.py"),
      Chunk("misc.py", "print_x", "def print_x():\n    pass\n", "misc.py"),
      Chunk("tests/test_latex.py", "test_latex_Poly", "def test_latex_Poly():\n    pass\n", "tests/test_latex.py")};
  RerankEvidence evidence;
  evidence.names = {{"Poly", 1.0}, {"is_zero", 0.5}, {"x", 1.0}};
  std::vector<RerankScore> s =
      RerankScores(RerankQueryTerms("latex of Poly"), chunks, {1.0, 1.0, 1.0, 1.0, 1.0}, RerankWeights(), evidence);
  EXPECT_EQ(s[4].handles, 0) << "a test named after a name tests it";
  EXPECT_DOUBLE_EQ(s[0].handles, 1.0);
  EXPECT_EQ(s[1].handles, 0);
  EXPECT_DOUBLE_EQ(s[2].handles, 0.5);
  EXPECT_EQ(s[3].handles, 0) << "a suffix of fewer than three characters is no name";
  EXPECT_EQ(s[0].defines, 0) << "a handler does not define the name";
  EXPECT_GT(s[0].total, s[1].total);
}

TEST(RerankScoresTest, DocumentationOfEveryMarkupIsProse) {
  std::vector<ChunkView> chunks = {Chunk("docs/api.rst", "", "routes and subdomains\n", "docs/api.rst"),
                                   Chunk("README.md", "", "routes and subdomains\n", "README.md"),
                                   Chunk("NOTES", "", "routes and subdomains\n", "NOTES"),
                                   Chunk("src/cli.py", "routes", "def routes():\n    pass\n", "src/cli.py")};
  chunks[0].language = "rst";
  chunks[1].language = "markdown";
  chunks[2].language = "text";
  chunks[3].language = "python";
  RerankEvidence evidence;
  evidence.pasted = true;
  std::vector<RerankScore> s =
      RerankScores(RerankQueryTerms("routes subdomains"), chunks, {1.0, 1.0, 1.0, 1.0}, RerankWeights(), evidence);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s[static_cast<size_t>(i)].prose, 1) << chunks[static_cast<size_t>(i)].path;
  EXPECT_EQ(s[3].prose, 0);
}

TEST(RerankScoresTest, MessageLiteralCounts) {
  std::vector<ChunkView> chunks = {Chunk("a.py", "f", "raise ValueError('but it should be {}'.format(x))\n", "a.py"),
                                   Chunk("b.py", "g", "print('it should be')\n", "b.py")};
  RerankEvidence evidence;
  evidence.fragments = {"but it should be"};
  std::vector<RerankScore> s = RerankScores(RerankQueryTerms("should"), chunks, {1.0, 1.0}, RerankWeights(), evidence);
  EXPECT_EQ(s[0].message, 1);
  EXPECT_EQ(s[1].message, 0);
  EXPECT_GT(s[0].total, s[1].total);
}

TEST(IsTestPathTest, FoldersAndNames) {
  for (const char* p : {"sympy/core/tests/test_add.py", "tests/x.py", "src/test/java/a/B.java", "pkg/foo_test.go",
                        "a/FooTest.java", "web/app.test.js", "web/app.spec.ts", "lib/__tests__/a.js", "test_x.py"}) {
    EXPECT_TRUE(IsTestPath(p)) << p;
  }
  for (const char* p : {"sympy/core/add.py", "src/contest/a.py", "latest/x.py", "attestation.c", "testament.md"}) {
    EXPECT_FALSE(IsTestPath(p)) << p;
  }
}

TEST(RerankScoresTest, EmptyInput) {
  EXPECT_THAT(RerankScores({}, {}, {}), IsEmpty());
}

}  // namespace
}  // namespace trawl
