#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "trawl/index.h"

namespace trawl {
namespace {

double Round(double v, int digits = 3) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

std::string IndexProgress::ToJson() const {
  nlohmann::ordered_json j;
  j["event"] = event;
  j["run_id"] = run_id;
  j["stage"] = stage;
  j["files_done"] = files_done;
  j["files_total"] = files_total;
  j["files_unchanged"] = files_unchanged;
  if (files_elsewhere > 0) j["files_elsewhere"] = files_elsewhere;
  j["files_deleted"] = files_deleted;
  j["chunks"] = chunks;
  j["bytes"] = bytes;
  j["errors"] = errors;
  j["elapsed_s"] = Round(elapsed_s);
  j["eta_s"] = eta_s < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(Round(eta_s, 1));
  j["files_per_s"] = Round(files_per_s, 1);
  j["mb_per_s"] = Round(mb_per_s, 2);
  if (!bottleneck.empty()) j["bottleneck"] = bottleneck;
  if (!worker_files.empty()) j["worker_files"] = worker_files;
  if (!throttled.empty()) j["throttled"] = throttled;
  if (!path.empty()) j["path"] = path;
  if (!error.empty()) j["error"] = error;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IndexSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["run_id"] = run_id;
  j["state"] = state;
  if (!error.empty()) j["error"] = error;
  j["workers"] = workers;
  j["files_seen"] = files_seen;
  j["files_processed"] = files_total;
  j["files_indexed"] = files_indexed;
  j["files_unchanged"] = files_unchanged;
  if (files_elsewhere > 0) j["files_elsewhere"] = files_elsewhere;
  j["files_deleted"] = files_deleted;
  j["files_failed"] = files_failed;
  j["files_skipped"] = files_skipped;
  j["chunks"] = chunks;
  j["bytes"] = bytes;
  j["elapsed_s"] = Round(elapsed_s);
  j["files_per_s"] = elapsed_s > 0 ? Round(static_cast<double>(files_total) / elapsed_s, 1) : 0.0;
  j["mb_per_s"] = elapsed_s > 0 ? Round(static_cast<double>(bytes) / elapsed_s / 1e6, 2) : 0.0;
  j["embedding"] = {{"vectors_embedded", vectors_embedded},
                    {"vectors_cached", vectors_cached},
                    {"requests", embed_requests},
                    {"retries", embed_retries},
                    {"throttled", embed_throttled},
                    {"throttled_s", Round(embed_throttled_s, 1)},
                    {"truncated", embed_truncated},
                    {"busy_fraction", Round(embedder_busy_fraction)}};
  j["memory"] = {{"peak_inflight_bytes", peak_inflight_bytes},
                 {"inflight_budget_bytes", inflight_budget_bytes}};
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (const auto& s : this->stages) {
    stages.push_back({{"stage", s.name}, {"busy_s", Round(s.busy_s)}, {"cpu_s", Round(s.cpu_s)}, {"threads", s.threads}, {"items", s.items}});
  }
  j["stages"] = stages;
  j["bottleneck"] = bottleneck;
  j["workers_done_s"] = Round(workers_done_s);
  j["writer_tail_s"] = Round(writer_tail_s);
  nlohmann::ordered_json workers_j = nlohmann::ordered_json::array();
  for (const auto& w : worker_stats) {
    workers_j.push_back({{"worker", w.worker}, {"files", w.files}, {"busy_s", Round(w.busy_s)}, {"cpu_s", Round(w.cpu_s)}});
  }
  j["per_worker"] = workers_j;
  nlohmann::ordered_json threads_j = nlohmann::ordered_json::array();
  double total = 0, busiest = 0;
  for (const auto& t : threads) {
    threads_j.push_back({{"name", t.name}, {"cpu_s", Round(t.cpu_s)}});
    total += t.cpu_s;
    busiest = std::max(busiest, t.cpu_s);
  }
  j["threads"] = threads_j;
  j["serial_share"] = total > 0 ? Round(busiest / total) : 0.0;
  nlohmann::ordered_json fails = nlohmann::ordered_json::array();
  for (const auto& [path, reason] : failures) fails.push_back({{"path", path}, {"reason", reason}});
  j["failures"] = fails;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IndexSummary::ToText() const {
  std::ostringstream o;
  o << fmt::format("{} in {:.2f}s: {} files indexed, {} unchanged, {} deleted, {} failed, {} skipped; "
                   "{} chunks, {:.1f} MB ({:.1f} files/s, {:.2f} MB/s)\n",
                   state, elapsed_s, files_indexed, files_unchanged, files_deleted, files_failed,
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
