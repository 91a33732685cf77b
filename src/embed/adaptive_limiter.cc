#include "embed/adaptive_limiter.h"

#include <algorithm>

namespace trawl {
namespace {
// `cancel` is a plain flag nobody notifies on: waits look at it this often.
constexpr auto kCancelPoll = std::chrono::milliseconds(20);
}  // namespace

AdaptiveLimiter::AdaptiveLimiter(int max_limit)
    : max_limit_(std::max(1, max_limit)), limit_(max_limit_) {}

bool AdaptiveLimiter::Acquire(const std::atomic<bool>* cancel, Slot* slot) {
  MutexLock lock(&mu_);
  while (true) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    Clock::time_point now = Clock::now();
    if (now < paused_until_) {
      cv_.WaitFor(&mu_, std::min<Clock::duration>(paused_until_ - now, kCancelPoll));
      continue;
    }
    if (in_flight_ < limit_) {
      ++in_flight_;
      slot->epoch = epoch_;
      return true;
    }
    if (cancel != nullptr) {
      cv_.WaitFor(&mu_, kCancelPoll);
    } else {
      cv_.Wait(&mu_);
    }
  }
}

void AdaptiveLimiter::Release(const Slot& slot, Outcome outcome) {
  MutexLock lock(&mu_);
  --in_flight_;
  switch (outcome) {
    case Outcome::kSuccess:
      if (++successes_ >= limit_) {
        limit_ = std::min(max_limit_, limit_ + 1);
        successes_ = 0;
      }
      break;
    case Outcome::kThrottled:
      if (slot.epoch == epoch_) {
        limit_ = std::max(1, limit_ / 2);
        ++epoch_;
      }
      successes_ = 0;
      break;
    case Outcome::kFailed:
      break;
  }
  cv_.NotifyAll();
}

void AdaptiveLimiter::PauseUntil(Clock::time_point until) {
  MutexLock lock(&mu_);
  paused_until_ = std::max(paused_until_, until);
}

int AdaptiveLimiter::limit() const {
  MutexLock lock(&mu_);
  return limit_;
}

int AdaptiveLimiter::in_flight() const {
  MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace trawl
