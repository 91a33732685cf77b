#include "embed/backoff.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  EXPECT_EQ(BackoffDelay(0, milliseconds(500), milliseconds(30000), 0.0), milliseconds(250));
  EXPECT_EQ(BackoffDelay(0, milliseconds(500), milliseconds(30000), 1.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(3, milliseconds(500), milliseconds(30000), 1.0), milliseconds(4000));
  EXPECT_EQ(BackoffDelay(20, milliseconds(500), milliseconds(30000), 1.0), milliseconds(30000));
  EXPECT_EQ(BackoffDelay(1000, milliseconds(500), milliseconds(30000), 0.0), milliseconds(15000));
  milliseconds mid = BackoffDelay(2, milliseconds(100), milliseconds(30000), 0.5);
  EXPECT_EQ(mid, milliseconds(300));
}

TEST(BackoffTest, RetryAfterSeconds) {
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(ParseRetryAfter("4", now), milliseconds(4000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-3", now), std::nullopt);
}

TEST(BackoffTest, RetryAfterHttpDate) {
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 seconds after the epoch.
  auto now = std::chrono::system_clock::from_time_t(1445412480 - 90);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(90000));
  // In the past: retry now.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now + std::chrono::hours(1)), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Foo 2015 07:28:00 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 PST", now), std::nullopt);
}

TEST(BackoffTest, ResetDurationsInGoSyntax) {
  EXPECT_EQ(ParseResetDuration("1s"), milliseconds(1000));
  EXPECT_EQ(ParseResetDuration("6m0s"), milliseconds(360000));
  EXPECT_EQ(ParseResetDuration("20ms"), milliseconds(20));
  EXPECT_EQ(ParseResetDuration("1h2m3.5s"), milliseconds(3723500));
  EXPECT_EQ(ParseResetDuration("0.25s"), milliseconds(250));
  EXPECT_EQ(ParseResetDuration("2"), milliseconds(2000));
  EXPECT_EQ(ParseResetDuration("1500us"), milliseconds(2));  // rounded up, never 0 for a wait
  EXPECT_EQ(ParseResetDuration(""), std::nullopt);
  EXPECT_EQ(ParseResetDuration("1m30"), std::nullopt);
  EXPECT_EQ(ParseResetDuration("5x"), std::nullopt);
  EXPECT_EQ(ParseResetDuration("s"), std::nullopt);
}

}  // namespace
}  // namespace trawl
