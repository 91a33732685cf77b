// Clang thread-safety annotations (no-ops on other compilers). Build with clang
// (the tsan preset) to get -Wthread-safety checks of every GUARDED_BY field.
#pragma once

#if defined(__clang__)
#define TRAWL_TSA(x) __attribute__((x))
#else
#define TRAWL_TSA(x)
#endif

#define CAPABILITY(x) TRAWL_TSA(capability(x))
#define SCOPED_CAPABILITY TRAWL_TSA(scoped_lockable)
#define GUARDED_BY(x) TRAWL_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) TRAWL_TSA(pt_guarded_by(x))
#define REQUIRES(...) TRAWL_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) TRAWL_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) TRAWL_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TRAWL_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) TRAWL_TSA(try_acquire_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS TRAWL_TSA(no_thread_safety_analysis)
