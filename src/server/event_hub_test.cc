#include "server/event_hub.h"

#include <gtest/gtest.h>

#include <thread>

namespace trawl {
namespace {

using std::chrono::milliseconds;

TEST(EventHubTest, EverySubscriberGetsEveryEvent) {
  EventHub hub(16);
  auto a = hub.Subscribe(4), b = hub.Subscribe(4);
  ASSERT_TRUE(a && b);
  hub.Publish("progress", "{\"n\":1}");
  hub.Publish("run_finished", "{}");
  for (auto* s : {&a, &b}) {
    std::vector<HubEvent> got;
    int64_t dropped = -1;
    EXPECT_TRUE((*s)->Wait(milliseconds(100), &got, &dropped));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].type, "progress");
    EXPECT_EQ(got[1].type, "run_finished");
    EXPECT_EQ(dropped, 0);
  }
}

TEST(EventHubTest, SlowSubscriberLosesOldestAndNeverBlocksPublisher) {
  EventHub hub(4);
  auto slow = hub.Subscribe(4);
  for (int i = 0; i < 1000; ++i) hub.Publish("progress", std::to_string(i));
  std::vector<HubEvent> got;
  int64_t dropped = 0;
  EXPECT_TRUE(slow->Wait(milliseconds(10), &got, &dropped));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front().data, "996");
  EXPECT_EQ(dropped, 996);
  EXPECT_EQ(hub.dropped(), 996);
}

TEST(EventHubTest, LimitAndClose) {
  EventHub hub;
  auto a = hub.Subscribe(1);
  EXPECT_TRUE(a);
  EXPECT_FALSE(hub.Subscribe(1));
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    hub.Close();
  });
  std::vector<HubEvent> got;
  int64_t dropped = 0;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(a->Wait(milliseconds(5000), &got, &dropped));  // woken by Close, not the timeout
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
  closer.join();
  EXPECT_FALSE(hub.Subscribe(8));
  hub.Unsubscribe(a);
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace trawl
