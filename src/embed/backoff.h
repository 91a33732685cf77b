// Retry timing for the remote embedders: exponential backoff with jitter, and the
// server's own hints (Retry-After, x-ratelimit-reset-*), parsed from header text.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace trawl {

// Delay before retry number `attempt` (0 = the first retry): min(cap, base * 2^attempt),
// of which the upper half is jitter: `unit` in [0, 1) picks the point ("equal jitter",
// so that parallel callers that failed together do not retry together).
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, double unit);

// Retry-After: delay-seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT",
// measured from `now`; a date in the past is 0). nullopt when it is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

// x-ratelimit-reset-requests / -tokens: a Go-style duration ("1s", "6m0s", "20ms",
// "1h2m3.5s", "0.5s"); a bare number is seconds. nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseResetDuration(std::string_view value);

}  // namespace trawl
