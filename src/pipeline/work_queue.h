// WorkQueue: a closable multi-producer multi-consumer queue. Its size is bounded by
// the ByteBudget items hold while in it, not by a count.
// Thread-safety: safe from any thread.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "base/mutex.h"

namespace trawl {

template <typename T>
class WorkQueue {
 public:
  void Push(T item) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    items_.push_back(std::move(item));
    cv_.NotifyOne();
  }
  // Blocks until an item or Close(); nullopt once closed and empty.
  std::optional<T> Pop() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (items_.empty() && !closed_) cv_.Wait(&mu_);
    return TakeLocked();
  }
  // As Pop, but gives up after `timeout` (nullopt; check closed()).
  template <class Rep, class Period>
  std::optional<T> PopFor(std::chrono::duration<Rep, Period> timeout) EXCLUDES(mu_) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(&mu_);
    while (items_.empty() && !closed_) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      cv_.WaitFor(&mu_, deadline - now);
    }
    return TakeLocked();
  }
  void Close() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    closed_ = true;
    cv_.NotifyAll();
  }
  bool closed() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return closed_ && items_.empty();
  }
  size_t size() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return items_.size();
  }

 private:
  std::optional<T> TakeLocked() REQUIRES(mu_) {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  Mutex mu_;
  CondVar cv_;
  std::deque<T> items_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace trawl
