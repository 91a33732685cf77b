#include "pipeline/byte_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "pipeline/work_queue.h"

namespace trawl {
namespace {

TEST(ByteBudgetTest, NeverExceedsCapacityUnderContention) {
  ByteBudget budget(1000);
  std::atomic<int64_t> in_use{0}, max_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        ASSERT_TRUE(budget.Acquire(300));
        int64_t now = in_use.fetch_add(300) + 300;
        int64_t m = max_seen.load();
        while (now > m && !max_seen.compare_exchange_weak(m, now)) {
        }
        in_use.fetch_sub(300);
        budget.Release(300);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_seen.load(), 1000);
  EXPECT_LE(budget.peak(), 1000);
  EXPECT_EQ(budget.used(), 0);
}

TEST(ByteBudgetTest, OversizedItemPassesAloneAndCancelWakesWaiters) {
  ByteBudget budget(100);
  ASSERT_TRUE(budget.Acquire(500));  // alone: allowed
  std::thread waiter([&] { EXPECT_FALSE(budget.Acquire(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  budget.Cancel();
  waiter.join();
}

TEST(WorkQueueTest, DeliversEverythingOnceThenCloses) {
  WorkQueue<int> q;
  std::atomic<int64_t> sum{0};
  std::vector<std::thread> consumers;
  for (int c = 0; c < 3; ++c) {
    consumers.emplace_back([&] {
      while (auto v = q.Pop()) sum += *v;
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 1; i <= 1000; ++i) q.Push(i + p * 1000);
    });
  }
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(sum.load(), 2000 * 2001 / 2);
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.PopFor(std::chrono::milliseconds(1)).has_value());
}

}  // namespace
}  // namespace trawl
