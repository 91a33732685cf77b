#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "server/signals.h"
#include "watch/reindex_service.h"

namespace trawl::cli {
namespace {

// One stderr line per run that changed something: "indexed 3, deleted 1 (42 ms)".
void PrintRun(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) return;
  const nlohmann::json& s = j.value("summary", nlohmann::json());
  std::string state = j.value("state", "");
  if (state == "failed" && !s.is_object()) return;  // a run that could not start: the service logs it
  if (state != "finished" || !s.is_object()) {
    std::fprintf(stderr, "trawl: run %s %s%s%s\n", j.value("id", "").c_str(), state.c_str(),
                 j.contains("error") ? ": " : "", j.value("error", "").c_str());
    return;
  }
  int64_t indexed = s.value("files_indexed", int64_t{0}), deleted = s.value("files_deleted", int64_t{0}),
          failed = s.value("files_failed", int64_t{0}), skipped = s.value("files_skipped", int64_t{0});
  if (indexed + deleted + failed + skipped == 0 && j.value("trigger", "") != "startup") return;
  std::string line = fmt::format("indexed {}, deleted {}", indexed, deleted);
  if (failed > 0) line += fmt::format(", failed {}", failed);
  if (skipped > 0) line += fmt::format(", skipped {}", skipped);
  line += fmt::format(", unchanged {} ({:.0f} ms)", s.value("files_unchanged", int64_t{0}),
                      j.value("elapsed_s", 0.0) * 1000);
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

Runner RegisterWatch(CLI::App& app) {
  struct Args {
    std::string path = ".";
    int debounce_ms = -1;
    bool json = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "Bring the index up to date, then keep it so as files change (inotify; Ctrl-C to stop)");
  cmd->add_option("path", args->path, "tree to index and watch (default: .)")->check(kNonEmptyPath);
  cmd->add_option("--debounce-ms", args->debounce_ms, "quiet period before a burst of changes is indexed (watch.debounce_ms)")
      ->check(CLI::Range(0, 600000));
  cmd->add_flag("--json", args->json,
                "events as JSON lines on stdout: {\"event\": run_started|progress|run_finished|files_reindexed, \"data\": ...}");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    std::map<std::string, std::string> ov;
    if (args->debounce_ms >= 0) ov["watch.debounce_ms"] = std::to_string(args->debounce_ms);
    Result<Options> opts = Load(args->path, args->common, ov);
    if (!opts.ok()) return Fail(opts.status());
    BlockTerminationSignals();
    ReindexService::Config sc;
    sc.options = *opts;
    sc.watch = true;
    sc.index_at_start = true;
    bool json = args->json;
    sc.on_event = [json](const std::string& type, const std::string& data) {
      if (json) {
        std::string line = "{\"event\":\"" + type + "\",\"data\":" + data + "}\n";
        std::fputs(line.c_str(), stdout);
        std::fflush(stdout);
      }
      if (type == "run_finished") PrintRun(data);
    };
    Result<std::unique_ptr<ReindexService>> svc = ReindexService::Start(std::move(sc));
    if (!svc.ok()) return Fail(svc.status());
    std::fprintf(stderr, "trawl: watching %s (Ctrl-C to stop)\n", opts->root.c_str());
    WaitForTerminationSignal();
    ExitOnSecondSignal(kExitInterrupted);
    // A running run is cancelled: what is complete is committed, the next run finishes.
    (*svc)->Stop();
    return kExitOk;
  };
}

}  // namespace trawl::cli
