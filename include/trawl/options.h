// trawl's configuration: every setting, with its default. Loaded from the user's own
// config (<user config dir>/config.yaml), then YAML (.trawl.yaml at the indexed root, or
// --config FILE), then TRAWL_SECTION__KEY environment variables, then command-line
// flags. docs/trawl.example.yaml documents every key.
// Trust: a repository's own .trawl.yaml is someone else's data. The settings that send
// data off the machine, read secrets or reach outside the tree (IsSensitiveKey) are
// taken from it only once the user has trusted that file as it is now (TrustConfig,
// `trawl trust`); otherwise they are ignored and listed in Options::ignored_settings.
// Thread-safety: a value type; TrustConfig writes the user's trust file atomically.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "trawl/status.h"

namespace trawl {

struct IndexingOptions {
  int concurrent_workers = 0;      // CPU workers; 0 = number of cores
  int shards = 0;                  // shards of the embedded index (one writer thread each); 0 = the
                                   // index's own count, half the cores for a new index
  bool enable_parallel = true;     // false = one worker (the same code path)
  int worker_batch_size = 256;     // files per store transaction (at most)
  int commit_interval_ms = 1000;   // ... or this long, whichever comes first
  int max_file_size_kb = 1024;
  int max_inflight_mb = 256;       // bytes of file text, chunks and vectors in flight
  int parse_timeout_ms = 5000;
  bool follow_symlinks = false;
  bool git_metadata = true;
};

struct ChunkingOptions {
  int max_chunk_chars = 3000;  // non-whitespace characters
  int min_chunk_chars = 1500;
  int window_lines = 40;
  int window_overlap_lines = 10;
};

struct EmbeddingOptions {
  std::string provider = "hash";  // hash | openai | ollama
  std::string model;
  std::string url;
  std::string api_key_env;        // name of the environment variable holding the key
  int dimensions = 0;             // 0: the provider's default (hash: 1024)
  int batch_size = 64;            // chunks per request
  int max_batch_tokens = 8192;    // estimated tokens per request
  int max_parallel_batches = 4;   // requests in flight
  int timeout_ms = 60000;
  int max_retries = 6;
};

struct IgnoreOptions {
  std::vector<std::string> patterns;  // gitignore syntax, relative to the root
  bool use_defaults = true;
  bool require_git = true;  // .gitignore files count only inside a git work tree
};

struct SearchOptions {
  int k = 10;
  std::string mode = "hybrid";  // hybrid | semantic | lexical
  std::string fusion = "score";  // score (CombSUM of max-normalised scores) | rrf
  int rrf_k = 60;                 // Reciprocal Rank Fusion constant (fusion: rrf)
  // Candidates scored again at query time (names a chunk declares, its path and
  // enclosing headers, its file's strength; docs/design.md, Retrieval) in hybrid and
  // lexical mode. 0: off, the first-stage order.
  int rerank_depth = 100;
  // The same for a pasted text (several lines, or code: an issue, a trace), whose many
  // words leave the right code deeper in the first-stage lists.
  int pasted_rerank_depth = 200;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7777;
  std::string token_file;
};

// Where the index lives: the embedded store in the index folder (url ""), or a
// PostgreSQL database shared by many repositories and machines.
struct StoreOptions {
  std::string url;          // "" or postgres://... / postgresql://... (libpq's URI or key=value form)
  std::string repo;         // the repository's name in a shared store; "" = the root's folder name
                            // (reading: every repository)
  int pool_size = 4;        // connections per process (1 for a server that takes one, e.g. PGlite)
  int hnsw_ef_search = 100; // pgvector's hnsw.ef_search for semantic search
  int lease_seconds = 60;   // a machine's claim on a unit of work lapses this long after it stops renewing
};

struct WatchOptions {
  int debounce_ms = 150;
};

struct Options {
  std::string root;       // the tree to index (absolute)
  std::string index_dir;  // where the index lives (absolute); default <root>/.trawl
  std::string config_file;  // the file the YAML came from, "" if none
  // Settings of an untrusted repository config that were not applied, each with why
  // ("embeddings.url from /r/.trawl.yaml"): say so to the user.
  std::vector<std::string> ignored_settings;
  IndexingOptions indexing;
  ChunkingOptions chunking;
  EmbeddingOptions embeddings;
  IgnoreOptions ignore;
  SearchOptions search;
  ServerOptions server;
  StoreOptions store;
  WatchOptions watch;

  int EffectiveWorkers() const;
};

struct LoadOptionsRequest {
  std::string root;         // default "."
  std::string config_file;  // --config; "" = <root>/.trawl.yaml if it exists
  std::string index_dir;    // --index; "" = <root>/.trawl
  // Flag overrides by dotted key ("indexing.concurrent_workers" -> "4"), applied last.
  std::map<std::string, std::string> overrides;
  bool read_environment = true;
  // Where the user's own config and trust records live; "" = $TRAWL_CONFIG_DIR, else
  // $XDG_CONFIG_HOME/trawl, else ~/.config/trawl.
  std::string user_config_dir;
};

// Settings a repository's own config may set only when trusted: the embedder's
// provider, url and api_key_env, following symlinks, the server's host, port and token
// file, the store's url.
bool IsSensitiveKey(const std::string& key);

// The user config directory LoadOptionsRequest::user_config_dir names.
std::string UserConfigDir(const std::string& override_dir = "");

// Records that the user trusts the config file at `path` with its current content
// (path and content hash, in <user config dir>/trusted); a later change to the file
// makes it untrusted again. Errors: the file is not a readable regular file.
Status TrustConfig(const std::string& path, const std::string& user_config_dir = "");

// Errors name the key and where it came from: ".trawl.yaml:7: unknown key
// 'indexing.workers'", "TRAWL_INDEXING__CONCURRENT_WORKERS: expected an integer >= 1".
Result<Options> LoadOptions(const LoadOptionsRequest& request);

// Every key, for `trawl config` and the docs: "section.key" -> current value as text.
std::vector<std::pair<std::string, std::string>> DescribeOptions(const Options& options);

}  // namespace trawl
