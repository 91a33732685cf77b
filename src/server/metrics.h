// Prometheus text-format pieces for GET /metrics: a latency histogram with fixed
// buckets and the exposition helpers.
// Thread-safety: Histogram::Observe and Render are safe from any thread (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace trawl {

class LatencyHistogram {
 public:
  // Upper bounds in seconds (the +Inf bucket is implicit).
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  void Observe(double seconds);
  // "# HELP/# TYPE" lines, then name_bucket{le=...}, name_sum and name_count.
  std::string Render(const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<int64_t>, kBounds.size() + 1> buckets_{};  // not cumulative
  std::atomic<int64_t> sum_micros_{0};
};

// One sample with its HELP and TYPE lines.
std::string PromMetric(const std::string& name, const std::string& type, const std::string& help, double value);

}  // namespace trawl
