#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "pipeline/index_json.h"
#include "trawl/index.h"

namespace trawl {
namespace {

double Round(double v, int digits = 3) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

const char* RunStateName(RunState state) {
  switch (state) {
    case RunState::kQueued: return "queued";
    case RunState::kRunning: return "running";
    case RunState::kFinished: return "finished";
    case RunState::kCancelled: return "cancelled";
    case RunState::kFailed: return "failed";
  }
  return "failed";
}

std::string DumpJson(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IndexProgress::ToJson() const { return DumpJson(ProgressJson(*this)); }

std::string IndexSummary::ToJson() const { return DumpJson(SummaryJson(*this)); }

nlohmann::ordered_json ProgressJson(const IndexProgress& p) {
  nlohmann::ordered_json j;
  j["event"] = p.event;
  j["run_id"] = p.run_id;
  j["stage"] = p.stage;
  j["files_done"] = p.files_done;
  j["files_total"] = p.files_total;
  j["files_unchanged"] = p.files_unchanged;
  if (p.files_elsewhere > 0) j["files_elsewhere"] = p.files_elsewhere;
  j["files_deleted"] = p.files_deleted;
  j["chunks"] = p.chunks;
  j["bytes"] = p.bytes;
  j["errors"] = p.errors;
  j["elapsed_s"] = Round(p.elapsed_s);
  j["eta_s"] = p.eta_s < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(Round(p.eta_s, 1));
  j["files_per_s"] = Round(p.files_per_s, 1);
  j["mb_per_s"] = Round(p.mb_per_s, 2);
  if (!p.bottleneck.empty()) j["bottleneck"] = p.bottleneck;
  if (!p.worker_files.empty()) j["worker_files"] = p.worker_files;
  if (!p.throttled.empty()) j["throttled"] = p.throttled;
  if (!p.path.empty()) j["path"] = p.path;
  if (!p.error.empty()) j["error"] = p.error;
  return j;
}

nlohmann::ordered_json SummaryJson(const IndexSummary& sum) {
  nlohmann::ordered_json j;
  j["run_id"] = sum.run_id;
  j["state"] = RunStateName(sum.state);
  if (!sum.error.empty()) j["error"] = sum.error;
  j["workers"] = sum.workers;
  j["files_seen"] = sum.files_seen;
  j["files_processed"] = sum.files_total;
  j["files_indexed"] = sum.files_indexed;
  j["files_unchanged"] = sum.files_unchanged;
  if (sum.files_elsewhere > 0) j["files_elsewhere"] = sum.files_elsewhere;
  j["files_deleted"] = sum.files_deleted;
  j["files_failed"] = sum.files_failed;
  j["files_skipped"] = sum.files_skipped;
  j["chunks"] = sum.chunks;
  j["bytes"] = sum.bytes;
  j["elapsed_s"] = Round(sum.elapsed_s);
  j["files_per_s"] = sum.elapsed_s > 0 ? Round(static_cast<double>(sum.files_total) / sum.elapsed_s, 1) : 0.0;
  j["mb_per_s"] = sum.elapsed_s > 0 ? Round(static_cast<double>(sum.bytes) / sum.elapsed_s / 1e6, 2) : 0.0;
  j["embedding"] = {{"vectors_embedded", sum.vectors_embedded},
                    {"vectors_cached", sum.vectors_cached},
                    {"requests", sum.embed_requests},
                    {"retries", sum.embed_retries},
                    {"throttled", sum.embed_throttled},
                    {"throttled_s", Round(sum.embed_throttled_s, 1)},
                    {"truncated", sum.embed_truncated},
                    {"busy_fraction", Round(sum.embedder_busy_fraction)}};
  j["memory"] = {{"peak_inflight_bytes", sum.peak_inflight_bytes},
                 {"inflight_budget_bytes", sum.inflight_budget_bytes}};
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (const auto& s : sum.stages) {
    stages.push_back({{"stage", s.name}, {"busy_s", Round(s.busy_s)}, {"cpu_s", Round(s.cpu_s)}, {"threads", s.threads}, {"items", s.items}});
  }
  j["stages"] = stages;
  j["bottleneck"] = sum.bottleneck;
  j["workers_done_s"] = Round(sum.workers_done_s);
  j["writer_tail_s"] = Round(sum.writer_tail_s);
  nlohmann::ordered_json workers_j = nlohmann::ordered_json::array();
  for (const auto& w : sum.worker_stats) {
    workers_j.push_back({{"worker", w.worker}, {"files", w.files}, {"busy_s", Round(w.busy_s)}, {"cpu_s", Round(w.cpu_s)}});
  }
  j["per_worker"] = workers_j;
  nlohmann::ordered_json threads_j = nlohmann::ordered_json::array();
  double total = 0, busiest = 0;
  for (const auto& t : sum.threads) {
    threads_j.push_back({{"name", t.name}, {"cpu_s", Round(t.cpu_s)}});
    total += t.cpu_s;
    busiest = std::max(busiest, t.cpu_s);
  }
  j["threads"] = threads_j;
  j["serial_share"] = total > 0 ? Round(busiest / total) : 0.0;
  nlohmann::ordered_json fails = nlohmann::ordered_json::array();
  for (const auto& [path, reason] : sum.failures) fails.push_back({{"path", path}, {"reason", reason}});
  j["failures"] = fails;
  return j;
}

std::string IndexSummary::ToText() const {
  std::ostringstream o;
  o << fmt::format("{} in {:.2f}s: {} files indexed, {} unchanged, {} deleted, {} failed, {} skipped; "
                   "{} chunks, {:.1f} MB ({:.1f} files/s, {:.2f} MB/s)\n",
                   RunStateName(state), elapsed_s, files_indexed, files_unchanged, files_deleted, files_failed,
                   files_skipped, chunks, static_cast<double>(bytes) / 1e6,
                   elapsed_s > 0 ? static_cast<double>(files_total) / elapsed_s : 0.0,
                   elapsed_s > 0 ? static_cast<double>(bytes) / elapsed_s / 1e6 : 0.0);
  if (!error.empty()) o << "error: " << error << "\n";
  if (files_elsewhere > 0) {
    o << fmt::format("shared work: {} of the files to index were indexed meanwhile by other processes\n",
                     files_elsewhere);
  }
  o << fmt::format("embedding: {} embedded, {} cached, {} requests, {} retries, busy {:.0f}%", vectors_embedded,
                   vectors_cached, embed_requests, embed_retries, embedder_busy_fraction * 100);
  if (embed_throttled > 0) {
    o << fmt::format("; throttled {} times ({:.1f} s backing off)", embed_throttled, embed_throttled_s);
  }
  if (embed_truncated > 0) o << fmt::format("; {} inputs truncated", embed_truncated);
  o << "\n";
  o << "stages (busy / CPU seconds):";
  for (const auto& s : stages) o << fmt::format(" {} {:.2f}/{:.2f}", s.name, s.busy_s, s.cpu_s);
  o << "\nbottleneck: " << (bottleneck.empty() ? "-" : bottleneck) << "\n";
  o << "workers:";
  for (const auto& w : worker_stats) o << fmt::format(" #{} {} files {:.2f}s ({:.2f}s CPU)", w.worker, w.files, w.busy_s, w.cpu_s);
  {
    double total = 0, busiest = 0;
    std::string name;
    for (const auto& t : threads) {
      total += t.cpu_s;
      if (t.cpu_s > busiest) {
        busiest = t.cpu_s;
        name = t.name;
      }
    }
    if (total > 0) {
      o << fmt::format("\nthreads: {} with CPU {:.2f}s; busiest {} {:.2f}s (serial share {:.2f})", threads.size(), total,
                       name, busiest, busiest / total);
    }
  }
  o << fmt::format("\npeak in flight: {:.1f} MB of {:.0f} MB\n", static_cast<double>(peak_inflight_bytes) / 1e6,
                   static_cast<double>(inflight_budget_bytes) / 1e6);
  size_t shown = 0;
  for (const auto& [path, reason] : failures) {
    if (shown++ == 10) {
      o << fmt::format("... and {} more (trawl status)\n", failures.size() - 10);
      break;
    }
    o << "failed: " << path << ": " << reason << "\n";
  }
  return o.str();
}

}  // namespace trawl
