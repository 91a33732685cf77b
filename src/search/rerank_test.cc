#include "search/rerank.h"

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
  std::vector<double> s = RerankScores(q, chunks, {1.0, 0.9});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_GT(s[1], s[0]);
}

TEST(RerankScoresTest, WordInsideAOneWordName) {
  std::vector<QueryTerm> q = RerankQueryTerms("format a year");
  std::vector<ChunkView> chunks = {Chunk("cal.py", "", "def formatyear(y):\n", "cal.py"),
                                   Chunk("cal.py", "", "def other(y):\n", "cal.py")};
  std::vector<double> s = RerankScores(q, chunks, {1.0, 1.0});
  EXPECT_GT(s[0], s[1]);
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
  std::vector<double> s = RerankScores(q, chunks, {1.0, 0.9});
  EXPECT_GT(s[1], s[0]);
  // Only the best signature counts: two small functions merged into one chunk do not
  // add their parameters up.
  std::vector<ChunkView> merged = {
      Chunk("a.c", "", "int set_time(int t) {\n}\nint get_date(void) {\n}\n", "a.c"),
      Chunk("a.c", "", "int set_time_date(int t, int date) {\n}\n", "a.c"),
  };
  std::vector<double> m = RerankScores(RerankQueryTerms("set the time and date"), merged, {1.0, 1.0});
  EXPECT_GT(m[1], m[0]);
}

TEST(RerankScoresTest, EmptyInput) {
  EXPECT_THAT(RerankScores({}, {}, {}), IsEmpty());
}

}  // namespace
}  // namespace trawl
