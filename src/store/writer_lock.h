// The index's writer lock: an flock on <dir>/lock that records the holder's pid, so
// a second writer (another process, or another Store in this one) is refused with a
// clear message or waits. The kernel drops the lock when the process dies, so a
// crashed writer never leaves the index locked.
// Thread-safety: an object is owned by one Store.
#pragma once

#include <memory>
#include <string>

#include "trawl/status.h"

namespace trawl::store_internal {

class WriterLock {
 public:
  // `dir` is the index folder (shown in the message); fails kUnavailable when held
  // elsewhere and !wait.
  static Result<std::unique_ptr<WriterLock>> Acquire(const std::string& dir, bool wait);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace trawl::store_internal
