// CPU time used so far, by the calling thread or by the whole process.
// Thread-safety: reads the kernel's clocks; safe from any thread.
#pragma once

#include <time.h>

#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

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

// CPU nanoseconds of every thread of the process now alive, by thread id (from
// /proc/self/task/<tid>/schedstat; empty where /proc is not mounted).
inline std::unordered_map<int, int64_t> TaskCpuNanos() {
  std::unordered_map<int, int64_t> out;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = std::string("/proc/self/task/") + e->d_name + "/schedstat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    long long ns = 0;
    if (std::fscanf(f, "%lld", &ns) == 1) out[std::atoi(e->d_name)] = ns;
    std::fclose(f);
  }
  ::closedir(dir);
  return out;
}

}  // namespace trawl
