// ByteBudget: the bound on bytes in flight between the pipeline's stages (the old
// design's memory semaphore). Acquire blocks (no polling) until the bytes fit.
// Thread-safety: safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "base/mutex.h"

namespace trawl {

class ByteBudget {
 public:
  explicit ByteBudget(int64_t capacity) : capacity_(capacity) {}

  // Blocks until `bytes` fit (an item larger than the whole budget is let through
  // alone). Returns false, taking nothing, once Cancel() was called.
  bool Acquire(int64_t bytes) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (!cancelled_ && used_ > 0 && used_ + bytes > capacity_) cv_.Wait(&mu_);
    if (cancelled_) return false;
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    return true;
  }
  void Release(int64_t bytes) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    used_ -= bytes;
    cv_.NotifyAll();
  }
  void Cancel() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    cancelled_ = true;
    cv_.NotifyAll();
  }
  int64_t used() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return used_;
  }
  int64_t peak() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return peak_;
  }
  int64_t capacity() const { return capacity_; }

 private:
  const int64_t capacity_;
  Mutex mu_;
  CondVar cv_;
  int64_t used_ GUARDED_BY(mu_) = 0;
  int64_t peak_ GUARDED_BY(mu_) = 0;
  bool cancelled_ GUARDED_BY(mu_) = false;
};

}  // namespace trawl
