#include <gtest/gtest.h>

#include "trawl/search.h"

namespace trawl {
namespace {

SearchResult Chunk(const std::string& path, double score, int line, const std::string& repo = "") {
  SearchResult r;
  r.repo = repo;
  r.path = path;
  r.score = score;
  r.start_line = line;
  return r;
}

TEST(RankFilesTest, FilesRankByTheirChunksEvidenceWithTheBestChunksFirst) {
  // b.py: one chunk at 1.0; a.py: 0.8 + 0.5 * 0.6 = 1.1; c.py: 0.9 + 0.5 * 0.1 = 0.95.
  std::vector<SearchResult> chunks = {Chunk("b.py", 1.0, 1), Chunk("c.py", 0.9, 1), Chunk("a.py", 0.8, 10),
                                      Chunk("a.py", 0.6, 20), Chunk("c.py", 0.1, 5)};
  auto files = RankFiles(chunks, 10);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "a.py");
  EXPECT_DOUBLE_EQ(files[0].score, 1.1);
  ASSERT_EQ(files[0].chunks.size(), 2u);
  EXPECT_EQ(files[0].chunks[0].start_line, 10);
  EXPECT_EQ(files[1].path, "b.py");
  EXPECT_EQ(files[2].path, "c.py");
  EXPECT_DOUBLE_EQ(files[2].score, 0.95);
}

TEST(RankFilesTest, ManyWeakChunksNeverOutweighOneStrongOneAndKBounds) {
  std::vector<SearchResult> chunks = {Chunk("strong.py", 1.0, 1)};
  for (int i = 0; i < 20; ++i) chunks.push_back(Chunk("weak.py", 0.5, i));
  auto files = RankFiles(chunks, 1, 2);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "strong.py");
  auto both = RankFiles(chunks, 5, 2);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_DOUBLE_EQ(both[1].score, 0.5 * 1.75);  // three chunks count, weights 1, 1/2, 1/4
  EXPECT_EQ(both[1].chunks.size(), 2u);         // per_file
}

TEST(RankFilesTest, TheSamePathInTwoRepositoriesIsTwoFiles) {
  auto files = RankFiles({Chunk("x.py", 1.0, 1, "alpha"), Chunk("x.py", 0.9, 1, "beta")}, 10);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].repo, "alpha");
  EXPECT_EQ(files[1].repo, "beta");
}

}  // namespace
}  // namespace trawl
