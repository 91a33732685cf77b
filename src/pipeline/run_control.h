// RunControl: how an indexing run stops. A stop flag that the stages check between
// items and pass into long calls (parsing, embedding), the caller's cancel flag, and
// the run's fatal error (the first one wins). Stopping cancels the byte budgets, so
// that no stage stays blocked on one.
// Thread-safety: safe from any thread.
#pragma once

#include <atomic>
#include <utility>

#include "base/mutex.h"
#include "pipeline/file_work.h"
#include "trawl/status.h"

namespace trawl {

class RunControl {
 public:
  // `cancel` (may be null): the caller's flag; `budgets` are cancelled by Stop.
  RunControl(const std::atomic<bool>* cancel, FileBudgets* budgets) : cancel_(cancel), budgets_(budgets) {}
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // The run was stopped, failed, or the caller cancelled it.
  bool Stopping() const {
    return stop_.load(std::memory_order_relaxed) ||
           (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed));
  }
  // The caller's flag alone (the reporter turns it into Stop).
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }
  // What long calls check (the caller's flag reaches them through Stop).
  const std::atomic<bool>* stop_flag() const { return &stop_; }

  void Stop() {
    stop_.store(true);
    budgets_->Cancel();
  }
  // A fault of the whole run: recorded (unless one already was) and the run stops.
  void Fail(Status st) EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      if (fatal_.ok()) fatal_ = std::move(st);
    }
    Stop();
  }
  // A fault once the streaming stages are over (checkpoint, publish): nothing to stop.
  void SetFatal(Status st) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    fatal_ = std::move(st);
  }
  Status fatal() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return fatal_;
  }

 private:
  const std::atomic<bool>* const cancel_;
  FileBudgets* const budgets_;
  std::atomic<bool> stop_{false};
  Mutex mu_;
  Status fatal_ GUARDED_BY(mu_);
};

}  // namespace trawl
