#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include <fmt/format.h>

#include "cli.h"
#include "trawl/index.h"

namespace trawl::cli {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signals{0};

// First Ctrl-C / SIGTERM: stop taking files, commit what is complete. Second: leave
// at once; the store's transactions keep the index consistent.
void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) ::_exit(kExitInterrupted);
  g_cancel.store(true);
}

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::string FormatEta(double s) {
  if (s < 0) return "--";
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", s / 60, std::fmod(s, 60));
  return fmt::format("{:.0f}h{:02.0f}m", s / 3600, std::fmod(s / 60, 60));
}

void DrawBar(const IndexProgress& p) {
  const int width = 28;
  double frac = p.files_total > 0 ? static_cast<double>(p.files_done) / static_cast<double>(p.files_total) : 0;
  int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  std::string line = fmt::format("\r[{}] {}/{} files  {} chunks  {:.1f} MB/s  ETA {}  errors {}", bar,
                                 p.files_done, p.files_total, p.chunks, p.mb_per_s, FormatEta(p.eta_s), p.errors);
  if (!p.throttled.empty()) line += "  " + p.throttled;
  line += "\x1b[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace

Runner RegisterIndex(CLI::App& app) {
  struct Args {
    std::string path = ".";
    std::string progress = "auto";
    int workers = 0;
    int shards = 0;
    bool rebuild = false, wait = false, stats = false, no_default_ignores = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("index", "Index a tree (incremental: only what changed since the last run)");
  cmd->add_option("path", args->path, "tree to index (default: .)")->check(kNonEmptyPath);
  cmd->add_option("--workers,-j", args->workers, "CPU workers (indexing.concurrent_workers; default: cores)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--shards", args->shards,
                  "shards of a new index, each written by its own thread (indexing.shards; default half the cores); "
                  "another count than an existing index's needs --rebuild")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--rebuild", args->rebuild,
                "drop the index's content and re-embed everything (a damaged index too); until the run "
                "ends the index holds only what it has redone");
  cmd->add_flag("--wait", args->wait, "wait for another trawl writing this index instead of failing");
  cmd->add_option("--progress", args->progress, "auto (a bar on a terminal), json (JSON lines on stdout), none")
      ->check(CLI::IsMember({"auto", "json", "none", "bar"}));
  cmd->add_flag("--stats", args->stats, "print the run summary as JSON on stdout");
  cmd->add_flag("--no-default-ignores", args->no_default_ignores, "do not apply trawl's default ignores");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    std::map<std::string, std::string> ov;
    if (args->workers > 0) {
      ov["indexing.concurrent_workers"] = std::to_string(args->workers);
      ov["indexing.enable_parallel"] = "true";
    }
    if (args->shards > 0) ov["indexing.shards"] = std::to_string(args->shards);
    if (args->no_default_ignores) ov["ignore.use_defaults"] = "false";
    Result<Options> opts = Load(args->path, args->common, ov);
    if (!opts.ok()) return Fail(opts.status());
    InstallSignalHandlers();
    IndexRequest req;
    req.options = *opts;
    req.rebuild = args->rebuild;
    req.wait = args->wait;
    req.cancel = &g_cancel;
    bool bar = args->progress == "bar" || (args->progress == "auto" && StderrIsTerminal());
    bool json = args->progress == "json";
    if (json) {
      req.on_progress = [](const IndexProgress& p) {
        std::string s = p.ToJson();
        std::fprintf(stdout, "%s\n", s.c_str());
        std::fflush(stdout);
      };
    } else if (bar) {
      req.progress_interval_ms = 100;
      req.on_progress = [](const IndexProgress& p) {
        if (p.event == "file_failed") {
          std::fprintf(stderr, "\r\x1b[Kfailed: %s: %s\n", p.path.c_str(), p.error.c_str());
        }
        if (p.event == "progress" || p.event == "finished") DrawBar(p);
      };
    }
    Result<IndexSummary> summary = RunIndex(req);
    if (bar) std::fputs("\n", stderr);
    if (!summary.ok() && summary.status().code() == StatusCode::kUnavailable) {
      return Fail(Status::Unavailable(summary.status().message() + "; use --wait to wait"));
    }
    if (!summary.ok()) return Fail(summary.status());
    if (args->stats) {
      std::fprintf(stdout, "%s\n", summary->ToJson().c_str());
    } else if (!json) {
      std::fputs(summary->ToText().c_str(), stderr);
    }
    if (summary->state == RunState::kCancelled) {
      std::fprintf(stderr, "trawl: interrupted; what was complete is committed, the next run finishes the job\n");
      return kExitInterrupted;
    }
    if (summary->state == RunState::kFailed) {
      std::fprintf(stderr, "trawl: %s\n", summary->error.c_str());
      return kExitFailure;
    }
    if (summary->files_failed > 0) {
      std::fprintf(stderr,
                   "trawl: %lld file(s) failed and kept their last indexed content; `trawl status` lists "
                   "them, the next run retries them\n",
                   static_cast<long long>(summary->files_failed));
      return kExitFilesFailed;
    }
    return kExitOk;
  };
}

}  // namespace trawl::cli
