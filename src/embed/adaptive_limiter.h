// AdaptiveLimiter: how many embedding requests may be in flight at once, adapted to
// the server's rate limit (AIMD, as TCP does with its window): a 429 halves the limit,
// `limit` successes in a row raise it by one, never above the configured maximum.
// A server's Retry-After also pauses every new request until it has passed.
// Thread-safety: safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "base/mutex.h"

namespace trawl {

class AdaptiveLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AdaptiveLimiter(int max_limit);

  // A held slot. `epoch` is the limiter's epoch when the request started: answers to
  // requests sent before the last decrease do not decrease it again, so one burst of
  // 429s from N parallel requests halves the limit once, not N times.
  struct Slot {
    uint64_t epoch = 0;
  };
  enum class Outcome { kSuccess, kThrottled, kFailed };

  // Waits until fewer than limit() requests are in flight and no pause is in force.
  // False (holding nothing) when `cancel` became true while waiting.
  bool Acquire(const std::atomic<bool>* cancel, Slot* slot);
  void Release(const Slot& slot, Outcome outcome);
  // Holds new Acquire()s until `until` (extends, never shortens, a pause).
  void PauseUntil(Clock::time_point until);

  int limit() const;
  int in_flight() const;
  int max_limit() const { return max_limit_; }

 private:
  const int max_limit_;
  mutable Mutex mu_;
  CondVar cv_;
  int limit_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;
  int successes_ GUARDED_BY(mu_) = 0;  // since the limit last changed
  uint64_t epoch_ GUARDED_BY(mu_) = 0;
  Clock::time_point paused_until_ GUARDED_BY(mu_){};
};

}  // namespace trawl
