#include "watch/reindex_service.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "pipeline/index_json.h"

#include "trawl/inspect.h"
#include "watch/tree_watcher.h"

namespace trawl {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kRunsKept = 200;
constexpr size_t kPathsInEvent = 100;
constexpr auto kBusyRetry = std::chrono::seconds(1);

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A run over more changed paths than this walks the whole tree instead (a checkout of
// another branch): one walk then costs less than the folders on the way to each.
constexpr size_t kMaxScopedPaths = 4096;

bool IsIgnoreFile(const std::string& rel) {
  size_t slash = rel.rfind('/');
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return base == ".gitignore" || base == ".trawlignore" || rel == ".git/info/exclude";
}

}  // namespace

std::string ReindexRun::ToJson() const { return DumpJson(JsonValue()); }

nlohmann::ordered_json ReindexRun::JsonValue() const {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["trigger"] = trigger;
  j["state"] = RunStateName(state);
  if (!index_run_id.empty()) j["index_run_id"] = index_run_id;
  j["changed_paths"] = changed_paths;
  if (started_at > 0) j["whole_tree"] = whole_tree;
  j["queued_at"] = queued_at;
  if (started_at > 0) j["started_at"] = started_at;
  if (finished_at > 0) j["finished_at"] = finished_at;
  if (!error.empty()) j["error"] = error;
  if (summary) {
    j["summary"] = SummaryJson(*summary);
  } else if (progress) {
    j["progress"] = ProgressJson(*progress);
  }
  return j;
}

ReindexService::ReindexService(Config config) : config_(std::move(config)) {}

ReindexService::~ReindexService() { Stop(); }

Result<std::unique_ptr<ReindexService>> ReindexService::Start(Config config) {
  std::unique_ptr<ReindexService> svc(new ReindexService(std::move(config)));
  if (svc->config_.watch) {
    svc->RefreshSkippedDirs();
    TreeWatcher::Config wc;
    wc.root = svc->config_.options.root;
    wc.exclude_dirs = {svc->config_.options.index_dir};
    ReindexService* self = svc.get();
    wc.skip_dir = [self](const std::string& rel) { return self->skipped_dirs_.count(rel) > 0; };
    TRAWL_ASSIGN_OR_RETURN(svc->watcher_, TreeWatcher::Open(std::move(wc)));
    MutexLock lock(&svc->mu_);
    svc->stats_.watched_dirs = static_cast<int64_t>(svc->watcher_->watched_dirs());
  }
  if (svc->config_.index_at_start) {
    MutexLock lock(&svc->mu_);
    svc->QueueLocked({}, "startup");
    svc->run_now_ = true;
  }
  ReindexService* self = svc.get();
  svc->run_thread_ = std::thread([self] { self->RunLoop(); });
  if (svc->watcher_) svc->watch_thread_ = std::thread([self] { self->WatchLoop(); });
  return svc;
}

void ReindexService::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  idle_cv_.NotifyAll();
  cancel_.store(true);
  watch_stop_.store(true);
  if (watcher_) watcher_->Wake();
  if (run_thread_.joinable()) run_thread_.join();
  if (watch_thread_.joinable()) watch_thread_.join();
}

void ReindexService::Emit(const std::string& type, const std::string& json) {
  if (config_.on_event) config_.on_event(type, json);
}

// Directories the ignore rules leave out are not watched: a build writing into an
// ignored build/ costs no events. The rules are discover's own, through ListFiles.
void ReindexService::RefreshSkippedDirs() {
  Result<std::vector<FileListing>> files = ListFiles(config_.options, /*include_skipped=*/true);
  if (!files.ok()) {
    std::fprintf(stderr, "trawl: watching every directory (%s)\n", files.status().message().c_str());
    skipped_dirs_.clear();
    return;
  }
  std::unordered_set<std::string> dirs;
  for (const auto& f : *files) {
    if (f.status == "skip" && !f.path.empty() && f.path.back() == '/' && f.reason.rfind("ignored", 0) == 0) {
      dirs.insert(f.path.substr(0, f.path.size() - 1));
    }
  }
  skipped_dirs_ = std::move(dirs);
}

std::string ReindexService::QueueLocked(const std::vector<std::string>& paths, const std::string& trigger) {
  auto now = Clock::now();
  if (queued_id_.empty()) {
    queued_id_ = "r" + std::to_string(next_id_++);
    ReindexRun run;
    run.id = queued_id_;
    run.trigger = trigger;
    run.state = RunState::kQueued;
    run.queued_at = UnixNow();
    runs_.push_back(std::move(run));
    while (runs_.size() > kRunsKept) runs_.pop_front();  // the queued and running runs are the newest
    first_change_ = now;
  }
  pending_.insert(paths.begin(), paths.end());
  if (paths.empty()) whole_next_ = true;  // a run asked for without paths: all of them
  // What an ignore file rules on is anywhere in the tree, whoever reports its change
  // (the watcher, POST /v1/changes, a git hook).
  if (std::any_of(paths.begin(), paths.end(), IsIgnoreFile)) whole_next_ = true;
  last_change_ = now;
  if (ReindexRun* r = FindLocked(queued_id_)) r->changed_paths = static_cast<int64_t>(pending_.size());
  cv_.NotifyAll();
  return queued_id_;
}

std::string ReindexService::QueueChanges(const std::vector<std::string>& paths, const std::string& trigger) {
  MutexLock lock(&mu_);
  return QueueLocked(paths, trigger);
}

std::pair<bool, std::string> ReindexService::RequestRun(const std::string& trigger) {
  MutexLock lock(&mu_);
  if (!running_id_.empty()) return {false, running_id_};
  std::string id = QueueLocked({}, trigger);
  run_now_ = true;
  return {true, id};
}

std::string ReindexService::RequestRunNext(const std::string& trigger) {
  MutexLock lock(&mu_);
  std::string id = QueueLocked({}, trigger);
  run_now_ = true;
  return id;
}

bool ReindexService::CancelRun(const std::string& id) {
  MutexLock lock(&mu_);
  ReindexRun* r = FindLocked(id);
  if (r == nullptr) return false;
  if (r->id == running_id_) {
    cancel_.store(true);
    return true;
  }
  if (r->id == queued_id_) {
    queued_id_.clear();
    run_now_ = false;
    r->state = RunState::kCancelled;
    r->finished_at = UnixNow();
    ++stats_.runs_cancelled;
    idle_cv_.NotifyAll();
    return true;
  }
  return false;
}

std::optional<ReindexRun> ReindexService::WaitRun(const std::string& id, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  bool first = true;
  int64_t progress_at_entry = 0;
  MutexLock lock(&mu_);
  for (;;) {
    const ReindexRun* found = nullptr;
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
      if (it->id == id || (!it->index_run_id.empty() && it->index_run_id == id)) {
        found = &*it;
        break;
      }
    }
    if (found == nullptr) return std::nullopt;
    auto now = Clock::now();
    if (found->done() || stopping_ || now >= deadline) return *found;
    if (first) {
      first = false;
      progress_at_entry = found->progress_updates;
    } else if (found->progress_updates != progress_at_entry) {
      return *found;
    }
    idle_cv_.WaitFor(&mu_, deadline - now);
  }
}

ReindexRun* ReindexService::FindLocked(const std::string& id) {
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (it->id == id || (!it->index_run_id.empty() && it->index_run_id == id)) return &*it;
  }
  return nullptr;
}

std::optional<ReindexRun> ReindexService::GetRun(const std::string& id) const {
  MutexLock lock(&mu_);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (it->id == id || (!it->index_run_id.empty() && it->index_run_id == id)) return *it;
  }
  return std::nullopt;
}

std::vector<ReindexRun> ReindexService::RecentRuns() const {
  MutexLock lock(&mu_);
  return std::vector<ReindexRun>(runs_.rbegin(), runs_.rend());
}

ReindexStats ReindexService::Stats() const {
  MutexLock lock(&mu_);
  ReindexStats s = stats_;
  s.pending_paths = static_cast<int64_t>(pending_.size());
  s.run_queued = !queued_id_.empty();
  s.running = !running_id_.empty();
  return s;
}

bool ReindexService::WaitIdle(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  MutexLock lock(&mu_);
  while (!queued_id_.empty() || !running_id_.empty()) {
    auto now = Clock::now();
    if (stopping_ || now >= deadline) return false;
    idle_cv_.WaitFor(&mu_, deadline - now);
  }
  return true;
}

void ReindexService::RunLoop() {
  const auto debounce = std::chrono::milliseconds(std::max(0, config_.options.watch.debounce_ms));
  const auto max_delay = std::max<Clock::duration>(debounce, std::chrono::milliseconds(config_.max_delay_ms));
  for (;;) {
    std::string id;
    std::vector<std::string> paths;
    bool whole = true;
    {
      MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        if (queued_id_.empty()) {
          cv_.Wait(&mu_);
          continue;
        }
        auto now = Clock::now();
        // Quiet for `debounce`, or changing for `max_delay` already.
        Clock::time_point due = run_now_ ? now : std::min(last_change_ + debounce, first_change_ + max_delay);
        due = std::max(due, not_before_);
        if (now >= due) break;
        cv_.WaitFor(&mu_, due - now);
      }
      id = std::move(queued_id_);
      queued_id_.clear();
      run_now_ = false;
      paths.assign(pending_.begin(), pending_.end());
      pending_.clear();
      whole = whole_next_ || paths.empty() || paths.size() > kMaxScopedPaths;
      whole_next_ = false;
      running_id_ = id;
      cancel_.store(false);  // not stopping (checked above): a cancel is for an earlier run
      if (ReindexRun* r = FindLocked(id)) {
        r->state = RunState::kRunning;
        r->started_at = UnixNow();
      }
    }
    ExecuteRun(id, std::move(paths), whole);
  }
}

void ReindexService::ExecuteRun(const std::string& id, std::vector<std::string> paths, bool whole) {
  std::sort(paths.begin(), paths.end());
  std::string trigger;
  {
    MutexLock lock(&mu_);
    if (ReindexRun* r = FindLocked(id)) {
      trigger = r->trigger;
      r->whole_tree = whole;
    }
  }
  Json started;
  started["id"] = id;
  started["trigger"] = trigger;
  started["changed_paths"] = paths.size();
  started["whole_tree"] = whole;
  Emit("run_started", DumpJson(started));

  IndexRequest req;
  req.options = config_.options;
  req.cancel = &cancel_;
  if (!whole) req.paths = paths;
  req.progress_interval_ms = config_.progress_interval_ms;
  req.on_progress = [this, &id](const IndexProgress& p) {
    {
      MutexLock lock(&mu_);
      if (ReindexRun* r = FindLocked(id)) {
        r->progress = p;
        ++r->progress_updates;
        if (r->index_run_id.empty()) r->index_run_id = p.run_id;
      }
    }
    idle_cv_.NotifyAll();  // WaitRun returns on progress
    Emit("progress", p.ToJson());
  };
  auto t0 = Clock::now();
  Result<IndexSummary> summary = RunIndex(req);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();

  ReindexRun done;
  {
    MutexLock lock(&mu_);
    ReindexRun* r = FindLocked(id);
    if (r == nullptr) {  // trimmed: only if kRunsKept runs were queued meanwhile
      runs_.push_back(ReindexRun{id, trigger, RunState::kRunning});
      r = &runs_.back();
    }
    r->finished_at = UnixNow();
    stats_.run_seconds += secs;
    stats_.last_run_seconds = secs;
    if (summary.ok()) {
      r->state = summary->state;
      // A run over some paths that stopped early: the next one walks the whole tree.
      if (!whole && r->state != RunState::kFinished) whole_next_ = true;
      r->index_run_id = summary->run_id;
      r->summary = *summary;
      r->progress.reset();
      r->error = summary->error;
      if (r->state == RunState::kFinished) ++stats_.runs_finished;
      else if (r->state == RunState::kCancelled) ++stats_.runs_cancelled;
      else ++stats_.runs_failed;
      stats_.files_indexed += summary->files_indexed;
      stats_.files_deleted += summary->files_deleted;
      stats_.files_failed += summary->files_failed;
      stats_.chunks += summary->chunks;
      stats_.embed_requests += summary->embed_requests;
      stats_.embed_retries += summary->embed_retries;
    } else {
      r->state = RunState::kFailed;
      r->error = summary.status().message();
      if (!whole) whole_next_ = true;
      ++stats_.runs_failed;
      if (summary.status().code() == StatusCode::kUnavailable && !stopping_) {
        // Another writer (a `trawl index` by hand) holds the index: try again shortly.
        r->error += "; its changes are retried shortly";
        QueueLocked(paths, trigger);
        if (whole) whole_next_ = true;
        not_before_ = Clock::now() + kBusyRetry;
      }
    }
    running_id_.clear();
    done = *r;
    idle_cv_.NotifyAll();  // WaitRun; WaitIdle checks for a queued run itself
  }
  if (!summary.ok()) {
    std::fprintf(stderr, "trawl: run %s failed: %s\n", id.c_str(), done.error.c_str());
  }
  // Before run_finished goes out, so a client reacting to it sees the new index.
  if (config_.on_run_finished) config_.on_run_finished(done);

  Json fin;
  fin["id"] = id;
  fin["trigger"] = trigger;
  fin["state"] = RunStateName(done.state);
  if (!done.error.empty()) fin["error"] = done.error;
  fin["elapsed_s"] = secs;
  fin["summary"] = done.summary ? SummaryJson(*done.summary) : Json(nullptr);
  Emit("run_finished", DumpJson(fin));
  if (summary.ok() && (summary->files_total > 0 || summary->files_deleted > 0)) {
    Json files;
    files["id"] = id;
    files["index_run_id"] = summary->run_id;
    files["files_indexed"] = summary->files_indexed;
    files["files_deleted"] = summary->files_deleted;
    files["files_failed"] = summary->files_failed;
    files["files_skipped"] = summary->files_skipped;
    files["chunks"] = summary->chunks;
    Json changed = Json::array();
    for (size_t i = 0; i < paths.size() && i < kPathsInEvent; ++i) changed.push_back(paths[i]);
    files["changed_paths"] = std::move(changed);
    files["changed_paths_total"] = paths.size();
    Emit("files_reindexed", DumpJson(files));
  }
}

void ReindexService::WatchLoop() {
  std::vector<TreeChange> changes;
  while (!watch_stop_.load()) {
    changes.clear();
    Status st = watcher_->Next(&changes);
    if (!st.ok()) {
      std::fprintf(stderr, "trawl: watching stopped: %s\n", st.message().c_str());
      return;
    }
    if (watch_stop_.load()) return;
    if (changes.empty()) continue;
    bool rescan = false, ignores_changed = false;
    std::vector<std::string> paths;
    paths.reserve(changes.size());
    for (auto& c : changes) {
      if (c.kind == TreeChange::Kind::kRescan) {
        rescan = true;
        continue;
      }
      ignores_changed |= IsIgnoreFile(c.path);
      paths.push_back(std::move(c.path));
    }
    if (ignores_changed) {
      // Newly ignored directories stop being watched, newly un-ignored ones start.
      RefreshSkippedDirs();
      watcher_->Resync();
    }
    int64_t dirs = static_cast<int64_t>(watcher_->watched_dirs());
    MutexLock lock(&mu_);
    stats_.watch_events += static_cast<int64_t>(paths.size());
    stats_.watched_dirs = dirs;
    if (rescan) ++stats_.watch_rescans;
    QueueLocked(paths, rescan ? "rescan" : "watch");
    if (rescan) whole_next_ = true;  // what a lost event hid is anywhere in the tree
  }
}

}  // namespace trawl
