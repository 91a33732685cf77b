#include "server/event_hub.h"

#include <algorithm>

namespace trawl {

bool EventSubscription::Wait(std::chrono::milliseconds timeout, std::vector<HubEvent>* out, int64_t* dropped) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(&mu_);
  while (queue_.empty() && !closed_) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    cv_.WaitFor(&mu_, deadline - now);
  }
  *dropped = dropped_;
  dropped_ = 0;
  bool had = !queue_.empty();
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return had || !closed_;
}

bool EventSubscription::Push(const HubEvent& e) {
  bool dropped = false;
  {
    MutexLock lock(&mu_);
    if (closed_) return false;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();  // a slow reader loses the oldest, never stalls the publisher
      ++dropped_;
      dropped = true;
    }
    queue_.push_back(e);
  }
  cv_.NotifyOne();
  return dropped;
}

void EventSubscription::Close() {
  {
    MutexLock lock(&mu_);
    closed_ = true;
  }
  cv_.NotifyAll();
}

std::shared_ptr<EventSubscription> EventHub::Subscribe(size_t max_subscribers) {
  MutexLock lock(&mu_);
  if (closed_ || subs_.size() >= max_subscribers) return nullptr;
  std::shared_ptr<EventSubscription> sub(new EventSubscription(capacity_));
  subs_.push_back(sub);
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<EventSubscription>& sub) {
  MutexLock lock(&mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void EventHub::Publish(const std::string& type, const std::string& data) {
  HubEvent e{type, data};
  std::vector<std::shared_ptr<EventSubscription>> subs;
  {
    MutexLock lock(&mu_);
    ++published_;
    subs = subs_;
  }
  int64_t dropped = 0;
  for (const auto& s : subs) dropped += s->Push(e) ? 1 : 0;
  if (dropped > 0) {
    MutexLock lock(&mu_);
    dropped_ += dropped;
  }
}

void EventHub::Close() {
  std::vector<std::shared_ptr<EventSubscription>> subs;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    subs = subs_;
  }
  for (const auto& s : subs) s->Close();
}

size_t EventHub::subscribers() const {
  MutexLock lock(&mu_);
  return subs_.size();
}

int64_t EventHub::published() const {
  MutexLock lock(&mu_);
  return published_;
}

int64_t EventHub::dropped() const {
  MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace trawl
