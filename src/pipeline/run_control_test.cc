// How a run stops: the first fault is the one reported, stopping frees whoever waits on
// a budget, and the caller's cancel flag is seen.
#include "pipeline/run_control.h"

#include <gtest/gtest.h>

#include <thread>

namespace trawl {
namespace {

TEST(RunControlTest, TheFirstFaultWinsAndStopsTheRun) {
  FileBudgets budgets(1 << 20);
  RunControl control(nullptr, &budgets);
  EXPECT_FALSE(control.Stopping());
  EXPECT_TRUE(control.fatal().ok());
  control.Fail(Status::IoError("disk full"));
  control.Fail(Status::Internal("later"));
  EXPECT_TRUE(control.Stopping());
  EXPECT_TRUE(control.stop_flag()->load());
  EXPECT_EQ(control.fatal().message(), Status::IoError("disk full").message());
  // After the streaming stages, a fault replaces nothing but is recorded when none was.
  RunControl after(nullptr, &budgets);
  after.SetFatal(Status::IoError("checkpoint"));
  EXPECT_FALSE(after.fatal().ok());
}

TEST(RunControlTest, StoppingReleasesAStageBlockedOnABudget) {
  FileBudgets budgets(1 << 20);
  RunControl control(nullptr, &budgets);
  ASSERT_TRUE(budgets.inflight.Acquire(1 << 20));
  bool acquired = true;
  std::thread blocked([&] { acquired = budgets.inflight.Acquire(1024); });
  control.Stop();
  blocked.join();
  EXPECT_FALSE(acquired);
  EXPECT_FALSE(budgets.writer_backlog.Acquire(1));
}

TEST(RunControlTest, TheCallersCancelFlagStopsTheStages) {
  FileBudgets budgets(1 << 20);
  std::atomic<bool> cancel{false};
  RunControl control(&cancel, &budgets);
  EXPECT_FALSE(control.Cancelled());
  cancel = true;
  EXPECT_TRUE(control.Cancelled());
  EXPECT_TRUE(control.Stopping());
  // Long calls see it only once the run passes it on.
  EXPECT_FALSE(control.stop_flag()->load());
  control.Stop();
  EXPECT_TRUE(control.stop_flag()->load());
}

TEST(FileBudgetsTest, AFileGivesBothSharesBack) {
  FileBudgets budgets(64 << 20);
  EXPECT_EQ(budgets.writer_backlog.capacity(), (64 << 20) / kWriterBacklogShare);
  EXPECT_EQ(FileBudgets(1 << 20).writer_backlog.capacity(), 1 << 20);  // never under 1 MiB
  FileWork w;
  ASSERT_TRUE(budgets.inflight.Acquire(5000));
  ASSERT_TRUE(budgets.writer_backlog.Acquire(5000));
  w.budget_bytes = w.backlog_bytes = 5000;
  budgets.Release(&w);
  EXPECT_EQ(budgets.inflight.used(), 0);
  EXPECT_EQ(budgets.writer_backlog.used(), 0);
  EXPECT_EQ(w.budget_bytes, 0);
  budgets.Release(&w);  // a second release gives nothing back twice
  EXPECT_EQ(budgets.inflight.used(), 0);
}

}  // namespace
}  // namespace trawl
