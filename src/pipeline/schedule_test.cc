#include "pipeline/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace trawl {
namespace {

TEST(BalancedOrderTest, EmptyAndSingle) {
  EXPECT_TRUE(BalancedOrder({}).empty());
  EXPECT_EQ(BalancedOrder({42}), std::vector<size_t>{0});
}

TEST(BalancedOrderTest, IsAPermutationStartingWithTheLargest) {
  std::mt19937 rng(3);
  std::vector<uint64_t> sizes(2000);
  // Sizes spread like a source tree's: many small files, a few large ones.
  for (auto& s : sizes) s = static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(4, 14)(rng)));
  sizes[700] = 5'000'000;
  std::vector<size_t> order = BalancedOrder(sizes);
  ASSERT_EQ(order.size(), sizes.size());
  EXPECT_EQ(order.front(), 700u);
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
}

TEST(BalancedOrderTest, EveryStretchMixesLargeAndSmallFiles) {
  std::mt19937 rng(5);
  std::vector<uint64_t> sizes(5000);
  for (auto& s : sizes) s = static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(3, 13)(rng)));
  const double total = std::accumulate(sizes.begin(), sizes.end(), 0.0);
  const double mean = total / static_cast<double>(sizes.size());
  std::vector<size_t> order = BalancedOrder(sizes);
  // After the first few files, each quarter of the order holds about a quarter of the
  // bytes (largest-first would put most of them in the first quarter).
  for (int q = 0; q < 4; ++q) {
    double bytes = 0;
    for (size_t i = order.size() * q / 4; i < order.size() * (q + 1) / 4; ++i) bytes += static_cast<double>(sizes[order[i]]);
    EXPECT_NEAR(bytes / total, 0.25, 0.05) << "quarter " << q;
  }
  // The last files are of middling size, not the largest ones.
  for (size_t i = order.size() - 20; i < order.size(); ++i) EXPECT_LT(static_cast<double>(sizes[order[i]]), 2 * mean);
  // Within each side, sizes only decrease (large side) or increase (small side): the
  // large files are still taken largest first.
  uint64_t last_large = UINT64_MAX;
  const uint64_t pivot = sizes[order.back()];
  for (size_t i : order) {
    if (sizes[i] > pivot) {
      EXPECT_LE(sizes[i], last_large);
      last_large = sizes[i];
    }
  }
}

TEST(BalancedOrderTest, EqualSizesKeepTheirOrder) {
  std::vector<uint64_t> sizes(10, 7);
  std::vector<size_t> order = BalancedOrder(sizes);
  // Stable: the large side takes from the front, the small side from the back.
  EXPECT_EQ(order.front(), 0u);
  std::vector<size_t> again = BalancedOrder(sizes);
  EXPECT_EQ(order, again);
}

}  // namespace
}  // namespace trawl
