// Indexing: bring the index of a tree up to date (discover -> plan -> read/parse/chunk
// -> enrich -> embed -> write), in parallel, incrementally, resumably.
// Thread-safety: RunIndex may be called from any thread; one run per index at a time
// (a second writer waits or fails, see IndexRequest::wait). The progress callback is
// called from one reporter thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl {

struct IndexProgress {
  std::string event;  // "started", "progress", "file_failed", "finished"
  std::string run_id;
  int64_t files_total = 0;    // files to process this run (changed or new)
  int64_t files_done = 0;     // of those, committed (indexed, failed or skipped)
  int64_t files_unchanged = 0;
  int64_t files_elsewhere = 0;  // of files_done: found indexed by another process sharing the work
  int64_t files_deleted = 0;
  int64_t chunks = 0;
  int64_t bytes = 0;
  int64_t errors = 0;
  double elapsed_s = 0;
  double eta_s = -1;          // -1: unknown
  double files_per_s = 0;
  double mb_per_s = 0;
  std::string stage;          // "discover", "plan", "index", "vectors", "done"
  std::string throttled;      // "throttled, retrying in 4 s" while a remote embedder backs off
  std::string bottleneck;     // the streaming stage whose threads are busiest so far (once indexing)
  std::vector<int64_t> worker_files;  // files each CPU worker has done (once indexing)
  std::string path;           // file_failed: the file
  std::string error;          // file_failed: why
  std::string ToJson() const; // one line, no newline
};

using ProgressCallback = std::function<void(const IndexProgress&)>;

struct IndexRequest {
  Options options;
  bool rebuild = false;  // drop the index's content and re-embed everything
  bool wait = false;     // wait for another writer instead of failing
  // Only these paths (relative to the root: files or folders, changed, added or deleted;
  // what a watcher saw): the run walks just the folders on the way to them, with every
  // ignore rule a whole walk applies, and leaves the rest of the index as it is. Empty:
  // the whole tree. Ignored with `rebuild`.
  std::vector<std::string> paths;
  const std::atomic<bool>* cancel = nullptr;
  ProgressCallback on_progress;
  int progress_interval_ms = 250;
};

struct StageSummary {
  std::string name;
  double busy_s = 0;  // wall time, summed over the threads of the stage
  double cpu_s = 0;   // CPU time of those threads in the stage (less than busy_s when
                      // they waited for a core or for the disk)
  int threads = 1;
  int64_t items = 0;
};

struct WorkerSummary {
  int worker = 0;
  int64_t files = 0;
  double busy_s = 0;
  double cpu_s = 0;
};

// CPU of one thread over a run: the busiest thread's share of all of them is the run's
// serial share (what more cores cannot speed up).
struct ThreadSummary {
  std::string name;  // "main", "writer-0", "embed-1", "git", "pool-<tid>" (oneTBB: workers, discovery) ...
  double cpu_s = 0;
};

// An index run's state: a run of `trawl index` ends finished, cancelled or failed; a run
// of the watch service is queued and running before that.
enum class RunState { kQueued, kRunning, kFinished, kCancelled, kFailed };
// "queued", "running", "finished", "cancelled", "failed": the word JSON, SQL and text use.
const char* RunStateName(RunState state);

struct IndexSummary {
  std::string run_id;
  RunState state = RunState::kFinished;
  std::string error;  // why a failed run stopped
  int workers = 0;
  int64_t files_seen = 0;
  int64_t files_total = 0;  // processed this run
  int64_t files_indexed = 0;
  int64_t files_unchanged = 0;
  int64_t files_elsewhere = 0;  // indexed meanwhile by another process sharing the work (shared store)
  int64_t files_deleted = 0;
  int64_t files_failed = 0;
  int64_t files_skipped = 0;  // binary / too large found while reading
  int64_t chunks = 0;
  int64_t bytes = 0;
  int64_t vectors_embedded = 0;
  int64_t vectors_cached = 0;
  int64_t embed_requests = 0;
  int64_t embed_retries = 0;
  int64_t embed_throttled = 0;    // 429 answers from a remote embedder
  double embed_throttled_s = 0;   // time spent backing off on rate limits
  int64_t embed_truncated = 0;    // inputs cut to the model's limit
  double embedder_busy_fraction = 0;
  int64_t peak_inflight_bytes = 0;
  int64_t inflight_budget_bytes = 0;
  double elapsed_s = 0;
  double workers_done_s = 0;  // when the CPU workers (and embedder) had finished, from the start
  double writer_tail_s = 0;   // how long the writer ran on alone after that
  std::vector<StageSummary> stages;
  std::vector<WorkerSummary> worker_stats;
  std::vector<ThreadSummary> threads;
  std::string bottleneck;
  std::vector<std::pair<std::string, std::string>> failures;  // (path, reason), first 100
  std::string ToJson() const;
  std::string ToText() const;
};

struct IndexStatusReport {
  std::string index_dir;
  int64_t files = 0;         // indexed files
  int64_t files_failed = 0;
  int64_t files_skipped = 0; // binary or too large when read
  int64_t files_known = 0;   // files the last run planned: coverage = files / files_known
  int64_t chunks = 0;
  int64_t vectors = 0;
  std::vector<std::pair<std::string, int64_t>> languages;  // files per language, sorted
  std::string embedder;
  int dimensions = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // (path, reason)
  std::string last_run_state;
  std::string last_run_summary_json;
  // A shared store: the files each process ("host:pid") indexed in the latest work on
  // each unit, most first.
  std::vector<std::pair<std::string, int64_t>> shares;
  // A shared store read across several repositories: each one (the totals above sum them).
  struct Repo {
    std::string name;
    int64_t files = 0, files_failed = 0, files_skipped = 0, files_known = 0, chunks = 0;
    std::string last_run_state;
    int64_t last_run_finished = 0;  // unix seconds
  };
  std::vector<Repo> repos;
  std::string ToJson() const;
  std::string ToText() const;
};

// What the index at options.index_dir holds. NotFound when there is none.
Result<IndexStatusReport> GetIndexStatus(const Options& options);

// A file the index holds, as recorded by the last run that saw it.
struct IndexedFile {
  std::string path;      // relative to the root, '/' separators
  std::string language;
  std::string status;    // "indexed", "failed" or "skipped" (binary / too large when read)
  uint64_t size = 0;
};

// Every file of the index at options.index_dir, sorted by path. NotFound when there is
// none.
Result<std::vector<IndexedFile>> ListIndexedFiles(const Options& options);

// A file the index holds and its text, read for a client (ReadIndexedFile).
struct IndexedFileText {
  IndexedFile file;
  std::string text;        // at most max_bytes
  bool truncated = false;  // the file is longer than max_bytes
};

// Reads a file a client names (MCP's read_code, the HTTP API's GET /v1/file) without
// reaching outside the tree: `path` (relative to `root`, or absolute inside it) must be
// a file of `files` (the index's, by path, from ListIndexedFiles) that the index did not
// skip, it must still resolve (symbolic links followed) to a place inside the root, and
// it is read as a regular file only (a FIFO in its place is refused without blocking).
// Codes: InvalidArgument (a malformed path, the root itself), PermissionDenied (outside
// the root, or resolves outside it now), NotFound (not a file the index holds, or gone
// since the last run), FailedPrecondition (skipped by the index: binary or too large),
// IoError.
Result<IndexedFileText> ReadIndexedFile(const std::string& root,
                                        const std::unordered_map<std::string, IndexedFile>& files,
                                        const std::string& path, uint64_t max_bytes);

// What `trawl check` found: every structure of the store checked (pages, b-trees,
// vector files against their checksums) and every chunk's text against its hash.
struct IndexCheckReport {
  std::string index_dir;
  int64_t files = 0;
  int64_t chunks = 0;
  std::vector<std::string> problems;  // the first 50; empty: the index is sound
  int64_t problems_total = 0;
  bool ok() const { return problems_total == 0; }
  std::string ToJson() const;
};

// Checks the index at options.index_dir (reads all of it). NotFound when there is none.
Result<IndexCheckReport> CheckIndex(const Options& options);

// The index's content as JSON lines in a stable order (files, chunks, vectors), with
// nothing that differs between two indexes of the same tree: compare two with cmp.
// Without vectors, each chunk line ends with "vector":[] (text only: much smaller).
Result<std::string> ExportIndex(const Options& options, bool with_vectors = true);

// Runs one incremental indexing run. Returns the summary also when the run was
// cancelled (state "cancelled"; what was complete is committed). Errors: the index
// cannot be opened or locked, or is bound to another embedder (use rebuild).
Result<IndexSummary> RunIndex(const IndexRequest& request);

}  // namespace trawl
