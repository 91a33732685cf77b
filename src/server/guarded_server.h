// GuardedServer: httplib's server (Debian's 0.11) made safe against slow and greedy
// clients. httplib gives each connection a thread from the moment it is accepted and
// bounds each read, not a request, so a few clients sending a byte every few seconds
// hold every thread and stop the server. Here a request never holds a thread while
// it arrives:
//  - one reader thread (epoll) reads every connection's request head, and its body when
//    it declares one of at most `max_body_bytes`, into memory; only a whole request is
//    handed to a request thread, which runs httplib's routing and handlers on it;
//  - a request must arrive within `request_read_timeout` of its connection being
//    accepted, or it is answered 408 and closed;
//  - connections still arriving are bounded in number (`max_pending`) and per peer
//    address (`max_pending_per_client`): at a bound, the one arriving longest is
//    answered 503 (or 429) and closed to make room, so slow connections cannot keep a
//    quick one out; bytes buffered over all of them are bounded (`max_pending_bytes`,
//    503); a head over `max_head_bytes` is answered 431.
// A request declaring a larger body (or a chunked one) is handed over at once after its
// head: the handlers refuse it (401/411/413) without reading the body.
// Thread-safety: Serve() runs on one thread; Stop() and counts() from any thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace trawl {

struct ConnectionLimits {
  std::chrono::milliseconds request_read_timeout{10000};  // a request's head and body
  std::chrono::milliseconds io_timeout{5000};             // one read or write once handed over
  int threads = 16;                  // request threads (an event stream holds one)
  int max_queued = 64;               // whole requests waiting for a thread; beyond: 503
  int max_pending = 1024;            // connections whose request is arriving
  int max_pending_per_client = 512;  // of those, from one address
  size_t max_head_bytes = 64 << 10;
  size_t max_body_bytes = 1 << 20;
  size_t max_pending_bytes = 64 << 20;  // buffered over all arriving requests
};

struct ConnectionCounts {
  int64_t timed_out = 0;       // 408: the request did not arrive in time
  int64_t client_limit = 0;    // 429: evicted for a newer connection of its address
  int64_t overloaded = 0;      // 503: evicted for a newer connection, too many bytes, queue full
  int64_t head_too_large = 0;  // 431
};

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(ConnectionLimits limits);
  ~GuardedServer() override;
  GuardedServer(const GuardedServer&) = delete;
  GuardedServer& operator=(const GuardedServer&) = delete;

  // After bind_to_port: serves until Stop(), then answers the requests already read and
  // returns once every request thread is done.
  bool Serve();
  // Stops accepting; connections whose request is still arriving are answered 503.
  // Use instead of stop().
  void Stop();

  ConnectionCounts counts() const;

 private:
  struct Arriving;
  struct WholeRequest {
    int fd = -1;
    std::string bytes;  // the head and as much of the body as was read
  };

  // Called by httplib's accept loop, on its thread: hands the socket to the reader.
  bool process_and_close_socket(socket_t sock) override;
  void ReadLoop();
  void Work();
  void Handle(WholeRequest r);
  void Count(int64_t ConnectionCounts::*field);

  const ConnectionLimits limits_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: new sockets to watch, or Stop()

  mutable Mutex mu_;
  std::vector<int> incoming_ GUARDED_BY(mu_);  // accepted, not yet watched by the reader
  bool stopping_ GUARDED_BY(mu_) = false;
  ConnectionCounts counts_ GUARDED_BY(mu_);

  Mutex queue_mu_;
  CondVar queue_cv_;
  std::deque<WholeRequest> queue_ GUARDED_BY(queue_mu_);  // whole requests for the request threads
  bool queue_closed_ GUARDED_BY(queue_mu_) = false;

  std::thread reader_;
  std::vector<std::thread> workers_;
};

}  // namespace trawl
