#include "store/vector_index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "store/store_test_util.h"

namespace trawl::store_internal {
namespace {

VectorBlock RandomBlock(int n, int dim, unsigned seed, int64_t first_id = 1) {
  std::mt19937 rng(seed);
  VectorBlock b;
  b.dim = dim;
  for (int i = 0; i < n; ++i) {
    b.ids.push_back(first_id + i);
    auto v = store_test::RandomVector(&rng, dim);
    b.data.insert(b.data.end(), v.begin(), v.end());
  }
  return b;
}

TEST(TopKTest, KeepsBestAndBreaksTiesById) {
  TopK top(3);
  for (int i = 0; i < 10; ++i) top.Push(static_cast<float>(i % 5), i);
  auto got = top.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, 4);
  EXPECT_EQ(got[1].id, 9);
  EXPECT_EQ(got[2].score, 3.0f);
}

TEST(DotTest, MatchesNaive) {
  std::mt19937 rng(1);
  for (int dim : {1, 7, 8, 13, 64, 257}) {
    auto a = store_test::RandomVector(&rng, dim), b = store_test::RandomVector(&rng, dim);
    double naive = 0;
    for (int i = 0; i < dim; ++i) naive += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(Dot(a.data(), b.data(), static_cast<size_t>(dim)), naive, 1e-5);
  }
}

TEST(HnswGraphTest, RecallAgainstExactAndSaveLoad) {
  constexpr int kDim = 64;
  VectorBlock block = RandomBlock(8000, kDim, 3);
  HnswParams params;
  auto graph = HnswGraph::Create(kDim, 1000, params);  // grows as needed
  ASSERT_TRUE(graph.ok());
  ASSERT_TRUE((*graph)->Add(block, 2).ok());
  EXPECT_EQ((*graph)->size(), 8000u);

  store_test::TempDir tmp;
  std::string path = tmp.path() + "/g.hnsw";
  ASSERT_TRUE((*graph)->Save(path).ok());
  auto loaded = HnswGraph::Load(path, kDim, params);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_FALSE(HnswGraph::Load(path, kDim + 1, params).ok());

  std::mt19937 rng(77);
  double found = 0;
  const int kQueries = 100;
  for (int q = 0; q < kQueries; ++q) {
    auto query = store_test::RandomVector(&rng, kDim);
    TopK exact(10);
    ExactSearch(block, query.data(), &exact);
    std::set<int64_t> truth;
    for (const auto& s : exact.Take()) truth.insert(s.id);
    for (const auto& s : (*loaded)->Search(query.data(), 10)) found += truth.count(s.id);
  }
  double recall = found / (10.0 * kQueries);
  std::printf("hnsw recall@10 (8000 x 64, M=%d efc=%d ef=%d): %.3f\n", params.m, params.ef_construction,
              params.ef_search, recall);
  EXPECT_GE(recall, 0.9);

  // Deleted labels never come back.
  for (int64_t id = 1; id <= 4000; ++id) (*loaded)->MarkDeleted(id);
  EXPECT_EQ((*loaded)->deleted(), 4000u);
  auto hits = (*loaded)->Search(block.row(0), 10);
  for (const auto& h : hits) EXPECT_GT(h.id, 4000);
  TopK all(10);
  (*loaded)->ExactSearch(block.row(0), &all);
  for (const auto& h : all.Take()) EXPECT_GT(h.id, 4000);
}

TEST(HnswGraphTest, ForeignFilesFailCleanly) {
  store_test::TempDir tmp;
  std::string path = tmp.path() + "/bad.hnsw";
  HnswParams params;
  EXPECT_FALSE(HnswGraph::Load(path, 8, params).ok());  // missing
  for (size_t size : {0, 10, 200, 5000}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, '\x07');
    EXPECT_FALSE(HnswGraph::Load(path, 8, params).ok()) << size;
  }
}

}  // namespace
}  // namespace trawl::store_internal
