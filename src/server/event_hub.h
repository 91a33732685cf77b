// EventHub: fans events out to any number of subscribers (the SSE connections of
// GET /v1/events). Publishing never blocks on a subscriber: each has a bounded queue,
// and when a slow one's queue is full its oldest event is dropped (and counted, so
// the stream can tell the client it lost some).
// Thread-safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"

namespace trawl {

struct HubEvent {
  std::string type;  // the SSE "event:" field
  std::string data;  // one line of JSON
};

class EventSubscription {
 public:
  // Waits until an event is queued, the hub closes, or `timeout` passes; moves the
  // queued events to `out`. Returns false once the hub is closed and the queue empty.
  bool Wait(std::chrono::milliseconds timeout, std::vector<HubEvent>* out, int64_t* dropped);

 private:
  friend class EventHub;
  explicit EventSubscription(size_t capacity) : capacity_(capacity) {}
  bool Push(const HubEvent& e);  // true when the oldest event was dropped for it
  void Close();

  const size_t capacity_;
  Mutex mu_;
  CondVar cv_;
  std::deque<HubEvent> queue_ GUARDED_BY(mu_);
  int64_t dropped_ GUARDED_BY(mu_) = 0;  // since the last Wait
  bool closed_ GUARDED_BY(mu_) = false;
};

class EventHub {
 public:
  explicit EventHub(size_t queue_capacity = 1024) : capacity_(queue_capacity) {}

  // nullptr when closed or `max_subscribers` are connected already. Shared: the hub
  // and the connection's stream both hold it until Unsubscribe.
  std::shared_ptr<EventSubscription> Subscribe(size_t max_subscribers);
  void Unsubscribe(const std::shared_ptr<EventSubscription>& sub);
  void Publish(const std::string& type, const std::string& data);
  // Ends every stream (server shutdown); later Subscribe calls fail.
  void Close();

  size_t subscribers() const;
  int64_t published() const;
  int64_t dropped() const;

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  std::vector<std::shared_ptr<EventSubscription>> subs_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  int64_t published_ GUARDED_BY(mu_) = 0;
  int64_t dropped_ GUARDED_BY(mu_) = 0;
};

}  // namespace trawl
