#include "search/fusion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trawl {
namespace {

std::vector<int64_t> Ids(const std::vector<ChunkHit>& hits) {
  std::vector<int64_t> out;
  for (const auto& h : hits) out.push_back(h.chunk_id);
  return out;
}

TEST(FuseListsTest, ScoreFusionKeepsALeadThatRanksThrowAway) {
  // Chunk 1 is far ahead in the lexical list; 2 is second in both lists.
  std::vector<ChunkHit> lexical = {{1, 10.0}, {2, 1.0}, {3, 0.9}};
  std::vector<ChunkHit> dense = {{3, 0.50}, {2, 0.49}, {4, 0.10}};
  std::vector<ChunkHit> fused = FuseLists(lexical, dense, FusionMethod::kScore);
  EXPECT_THAT(Ids(fused), ::testing::ElementsAre(3, 2, 1, 4));
  EXPECT_DOUBLE_EQ(fused[0].score, 0.09 + 1.0);
  EXPECT_DOUBLE_EQ(fused[2].score, 1.0);
  // RRF sees ranks only: 2 and 3 (in both lists) pass 1.
  std::vector<ChunkHit> rrf = FuseLists(lexical, dense, FusionMethod::kRrf, 1.0, 60);
  EXPECT_THAT(Ids(rrf), ::testing::ElementsAre(3, 2, 1, 4));
  EXPECT_DOUBLE_EQ(rrf[0].score, 1.0 / 63 + 1.0 / 61);
  // A heavier lexical list: 1 leads.
  EXPECT_EQ(FuseLists(lexical, dense, FusionMethod::kScore, 2.0)[0].chunk_id, 1);
}

TEST(FuseListsTest, OneListAloneAndTiesByIdAndNothing) {
  std::vector<ChunkHit> dense = {{7, 0.5}, {5, 0.5}, {6, 0.25}};
  std::vector<ChunkHit> fused = FuseLists({}, dense, FusionMethod::kScore);
  EXPECT_THAT(Ids(fused), ::testing::ElementsAre(5, 7, 6));
  EXPECT_DOUBLE_EQ(fused[2].score, 0.5);
  EXPECT_TRUE(FuseLists({}, {}, FusionMethod::kRrf).empty());
  // Scores of zero do not divide by zero.
  std::vector<ChunkHit> zero = FuseLists({{1, 0.0}}, {}, FusionMethod::kScore);
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_EQ(zero[0].score, 0.0);
}

}  // namespace
}  // namespace trawl
