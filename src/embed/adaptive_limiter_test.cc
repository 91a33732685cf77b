#include "embed/adaptive_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace trawl {
namespace {

using Outcome = AdaptiveLimiter::Outcome;

TEST(AdaptiveLimiterTest, HalvesOncePerBurstOfThrottlesThenRecovers) {
  AdaptiveLimiter limiter(8);
  EXPECT_EQ(limiter.limit(), 8);
  std::vector<AdaptiveLimiter::Slot> slots(8);
  for (auto& s : slots) ASSERT_TRUE(limiter.Acquire(nullptr, &s));
  EXPECT_EQ(limiter.in_flight(), 8);
  // Eight parallel requests all get a 429: one decrease, not eight.
  for (auto& s : slots) limiter.Release(s, Outcome::kThrottled);
  EXPECT_EQ(limiter.limit(), 4);
  EXPECT_EQ(limiter.in_flight(), 0);

  // A 429 on a request sent after the decrease halves again.
  AdaptiveLimiter::Slot s;
  ASSERT_TRUE(limiter.Acquire(nullptr, &s));
  limiter.Release(s, Outcome::kThrottled);
  EXPECT_EQ(limiter.limit(), 2);

  // Additive increase: `limit` successes raise it by one, up to the maximum.
  int successes = 0;
  while (limiter.limit() < 8) {
    ASSERT_TRUE(limiter.Acquire(nullptr, &s));
    limiter.Release(s, Outcome::kSuccess);
    ++successes;
  }
  EXPECT_EQ(successes, 2 + 3 + 4 + 5 + 6 + 7);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limiter.Acquire(nullptr, &s));
    limiter.Release(s, Outcome::kSuccess);
  }
  EXPECT_EQ(limiter.limit(), 8);

  // Failures other than 429 leave the limit alone; it never goes below one.
  ASSERT_TRUE(limiter.Acquire(nullptr, &s));
  limiter.Release(s, Outcome::kFailed);
  EXPECT_EQ(limiter.limit(), 8);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter.Acquire(nullptr, &s));
    limiter.Release(s, Outcome::kThrottled);
  }
  EXPECT_EQ(limiter.limit(), 1);
}

TEST(AdaptiveLimiterTest, NeverMoreInFlightThanTheLimit) {
  AdaptiveLimiter limiter(3);
  std::atomic<int> in_flight{0}, max_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        AdaptiveLimiter::Slot s;
        ASSERT_TRUE(limiter.Acquire(nullptr, &s));
        int now = ++in_flight;
        int prev = max_seen.load();
        while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --in_flight;
        limiter.Release(s, AdaptiveLimiter::Outcome::kSuccess);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_GE(max_seen.load(), 2);
}

TEST(AdaptiveLimiterTest, WaitersAreCancellableAndPausesHold) {
  AdaptiveLimiter limiter(1);
  AdaptiveLimiter::Slot held;
  ASSERT_TRUE(limiter.Acquire(nullptr, &held));
  std::atomic<bool> cancel{false};
  std::thread waiter([&] {
    AdaptiveLimiter::Slot s;
    EXPECT_FALSE(limiter.Acquire(&cancel, &s));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  cancel = true;
  waiter.join();
  limiter.Release(held, Outcome::kSuccess);

  auto t0 = AdaptiveLimiter::Clock::now();
  limiter.PauseUntil(t0 + std::chrono::milliseconds(100));
  AdaptiveLimiter::Slot s;
  ASSERT_TRUE(limiter.Acquire(nullptr, &s));
  EXPECT_GE(AdaptiveLimiter::Clock::now() - t0, std::chrono::milliseconds(100));
  limiter.Release(s, Outcome::kSuccess);

  // A pause is cancellable too.
  limiter.PauseUntil(AdaptiveLimiter::Clock::now() + std::chrono::seconds(60));
  std::atomic<bool> stop{true};
  EXPECT_FALSE(limiter.Acquire(&stop, &s));
}

}  // namespace
}  // namespace trawl
