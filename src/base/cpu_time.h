// CPU time used so far, by the calling thread or by the whole process.
// Thread-safety: reads the kernel's clocks; safe from any thread.
#pragma once

#include <time.h>

#include <cstdint>

namespace trawl {

inline int64_t ClockNanos(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Nanoseconds of CPU the calling thread has used; unlike wall time, it does not grow
// while the thread waits for a core, a lock or the disk.
inline int64_t ThreadCpuNanos() { return ClockNanos(CLOCK_THREAD_CPUTIME_ID); }

// Nanoseconds of CPU the whole process has used (every thread).
inline int64_t ProcessCpuNanos() { return ClockNanos(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace trawl
