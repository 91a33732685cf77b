// CPU time of the calling thread. Thread-safety: reads the calling thread's own clock.
#pragma once

#include <time.h>

#include <cstdint>

namespace trawl {

// Nanoseconds of CPU the calling thread has used; unlike wall time, it does not grow
// while the thread waits for a core, a lock or the disk.
inline int64_t ThreadCpuNanos() {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Nanoseconds of CPU the whole process has used (every thread).
inline int64_t ProcessCpuNanos() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace trawl
