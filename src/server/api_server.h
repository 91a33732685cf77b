// The HTTP/JSON API of `trawl serve` (docs/api.md): search, index runs, change
// notifications, status, a server-sent event stream and Prometheus metrics, over one
// ReindexService that keeps the index up to date (optionally following the tree with
// inotify). Searches are served while a run writes: they read through their own
// connections, and the Searcher is re-opened and swapped in after every run.
// Thread-safety: Serve() runs on one thread; Shutdown() may be called from any other.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

struct ApiServerConfig {
  Options options;           // host, port (0: any free port), token_file are in options.server
  bool watch = false;        // follow the tree with inotify (and index at start)
  std::string token;         // required bearer token; "" = none
  int threads = 16;          // connection threads (an event stream holds one)
  int max_queued_connections = 64;      // whole requests waiting for a thread (then 503)
  int request_read_timeout_ms = 10000;  // a request (head and body) must arrive within this (then 408)
  int max_subscribers = 8;   // concurrent GET /v1/events streams
  size_t max_body_bytes = 1 << 20;
  int heartbeat_ms = 10000;  // comment line on idle event streams
  size_t subscriber_queue = 1024;  // events buffered per subscriber before dropping the oldest
  std::string version;
};

class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> Create(ApiServerConfig config);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds options.server.host:port; returns the bound port (useful with port 0).
  Result<int> Bind();
  // Serves until Shutdown(); returns when the connections are drained.
  Status Serve();
  // Stops accepting, cancels a running index run (what is complete is committed),
  // waits for it, ends the event streams. Idempotent.
  void Shutdown();

  class Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl
