#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "trawl/options.h"
#include "base/file_util.h"
#include "base/hash.h"

extern char** environ;

namespace trawl {
namespace {

namespace fs = std::filesystem;

// One configurable key: how to parse it into Options and print it back.
struct KeySpec {
  const char* key;
  std::function<Status(Options&, const std::string&)> set;       // scalar text
  std::function<std::string(const Options&)> get;
  bool is_list = false;
  std::function<void(Options&, std::vector<std::string>)> set_list;
};

Status ParseInt(const std::string& text, int min, int max, int* out) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    return Status::InvalidArgument("expected an integer in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], got '" + text + "'");
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status ParseBool(const std::string& text, bool* out) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    *out = true;
  } else if (text == "false" || text == "no" || text == "off" || text == "0") {
    *out = false;
  } else {
    return Status::InvalidArgument("expected true or false, got '" + text + "'");
  }
  return Status::Ok();
}

Status ParseChoice(const std::string& text, std::initializer_list<const char*> choices,
                   std::string* out) {
  std::string list;
  for (const char* c : choices) {
    if (text == c) {
      *out = text;
      return Status::Ok();
    }
    if (!list.empty()) list += ", ";
    list += c;
  }
  return Status::InvalidArgument("expected one of " + list + ", got '" + text + "'");
}

#define INT_KEY(name, field, lo, hi)                                                   \
  KeySpec {                                                                            \
    name, [](Options& o, const std::string& t) { return ParseInt(t, lo, hi, &o.field); }, \
        [](const Options& o) { return std::to_string(o.field); }                       \
  }
#define BOOL_KEY(name, field)                                                       \
  KeySpec {                                                                         \
    name, [](Options& o, const std::string& t) { return ParseBool(t, &o.field); },  \
        [](const Options& o) { return std::string(o.field ? "true" : "false"); }    \
  }
#define STR_KEY(name, field)                                                          \
  KeySpec {                                                                           \
    name, [](Options& o, const std::string& t) { o.field = t; return Status::Ok(); }, \
        [](const Options& o) { return o.field; }                                      \
  }
#define CHOICE_KEY(name, field, ...)                                                            \
  KeySpec {                                                                                     \
    name, [](Options& o, const std::string& t) { return ParseChoice(t, {__VA_ARGS__}, &o.field); }, \
        [](const Options& o) { return o.field; }                                                \
  }

const std::vector<KeySpec>& Keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k = {
        INT_KEY("indexing.concurrent_workers", indexing.concurrent_workers, 0, 1024),
        INT_KEY("indexing.shards", indexing.shards, 0, 64),
        BOOL_KEY("indexing.enable_parallel", indexing.enable_parallel),
        INT_KEY("indexing.worker_batch_size", indexing.worker_batch_size, 1, 1000000),
        INT_KEY("indexing.commit_interval_ms", indexing.commit_interval_ms, 10, 600000),
        INT_KEY("indexing.max_file_size_kb", indexing.max_file_size_kb, 1, 1 << 20),
        INT_KEY("indexing.max_inflight_mb", indexing.max_inflight_mb, 8, 1 << 20),
        INT_KEY("indexing.parse_timeout_ms", indexing.parse_timeout_ms, 1, 3600000),
        BOOL_KEY("indexing.follow_symlinks", indexing.follow_symlinks),
        BOOL_KEY("indexing.git_metadata", indexing.git_metadata),
        INT_KEY("chunking.max_chunk_chars", chunking.max_chunk_chars, 50, 1000000),
        INT_KEY("chunking.min_chunk_chars", chunking.min_chunk_chars, 0, 1000000),
        INT_KEY("chunking.window_lines", chunking.window_lines, 2, 100000),
        INT_KEY("chunking.window_overlap_lines", chunking.window_overlap_lines, 0, 100000),
        CHOICE_KEY("embeddings.provider", embeddings.provider, "hash", "openai", "ollama"),
        STR_KEY("embeddings.model", embeddings.model),
        STR_KEY("embeddings.url", embeddings.url),
        STR_KEY("embeddings.api_key_env", embeddings.api_key_env),
        INT_KEY("embeddings.dimensions", embeddings.dimensions, 0, 65536),
        INT_KEY("embeddings.batch_size", embeddings.batch_size, 1, 100000),
        INT_KEY("embeddings.max_batch_tokens", embeddings.max_batch_tokens, 16, 10000000),
        INT_KEY("embeddings.max_parallel_batches", embeddings.max_parallel_batches, 1, 256),
        INT_KEY("embeddings.timeout_ms", embeddings.timeout_ms, 1, 3600000),
        INT_KEY("embeddings.max_retries", embeddings.max_retries, 0, 100),
        BOOL_KEY("ignore.use_defaults", ignore.use_defaults),
        BOOL_KEY("ignore.require_git", ignore.require_git),
        INT_KEY("search.k", search.k, 1, 10000),
        CHOICE_KEY("search.mode", search.mode, "hybrid", "semantic", "lexical"),
        CHOICE_KEY("search.fusion", search.fusion, "score", "rrf"),
        INT_KEY("search.rrf_k", search.rrf_k, 1, 100000),
        INT_KEY("search.rerank_depth", search.rerank_depth, 0, 10000),
        INT_KEY("search.pasted_rerank_depth", search.pasted_rerank_depth, 0, 10000),
        STR_KEY("server.host", server.host),
        INT_KEY("server.port", server.port, 0, 65535),
        STR_KEY("server.token_file", server.token_file),
        STR_KEY("store.url", store.url),
        STR_KEY("store.repo", store.repo),
        INT_KEY("store.pool_size", store.pool_size, 1, 256),
        INT_KEY("store.hnsw_ef_search", store.hnsw_ef_search, 1, 1000),
        INT_KEY("store.lease_seconds", store.lease_seconds, 2, 86400),
        INT_KEY("watch.debounce_ms", watch.debounce_ms, 0, 600000),
    };
    KeySpec patterns{"ignore.patterns",
                     [](Options& o, const std::string& t) {
                       // Scalar form (env, flags): comma-separated.
                       o.ignore.patterns.clear();
                       size_t s = 0;
                       while (s <= t.size()) {
                         size_t e = t.find(',', s);
                         if (e == std::string::npos) e = t.size();
                         if (e > s) o.ignore.patterns.push_back(t.substr(s, e - s));
                         s = e + 1;
                       }
                       return Status::Ok();
                     },
                     [](const Options& o) {
                       std::string out;
                       for (const auto& p : o.ignore.patterns) out += (out.empty() ? "" : ",") + p;
                       return out;
                     },
                     true,
                     [](Options& o, std::vector<std::string> v) { o.ignore.patterns = std::move(v); }};
    k.push_back(std::move(patterns));
    return k;
  }();
  return keys;
}

const KeySpec* FindKey(const std::string& key) {
  for (const auto& k : Keys()) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1);
}

// How a YAML file's settings are taken: all of them, or all but the sensitive ones
// (which are then listed in Options::ignored_settings).
enum class Trust { kTrusted, kUntrusted };

Status ApplyYaml(const std::string& path, Options* options, Trust trust = Trust::kTrusted) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::InvalidArgument("config file " + path + " is a directory");
  // Read here, not by yaml-cpp, whose stream reports I/O errors by throwing std::ios failures.
  Result<std::string> text = ReadFile(path, 16 << 20);
  if (!text.ok()) return Status::InvalidArgument("config file: " + text.status().message());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) +
                                   ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": cannot read config: " + e.what());
  }
  if (root.IsNull()) return Status::Ok();
  std::set<std::string> seen;  // a key set twice is an error, not "the last one wins"
  if (!root.IsMap()) {
    return Status::InvalidArgument(Where(path, root.Mark()) + ": the config must be a mapping of sections");
  }
  for (const auto& section : root) {
    std::string name = section.first.as<std::string>();
    bool known = false;
    for (const auto& k : Keys()) known |= std::string(k.key).rfind(name + ".", 0) == 0;
    if (!known) {
      return Status::InvalidArgument(Where(path, section.first.Mark()) + ": unknown section '" + name + "'");
    }
    if (!section.second.IsMap()) {
      return Status::InvalidArgument(Where(path, section.first.Mark()) +
                                     ": section '" + name + "' must be a mapping");
    }
    for (const auto& item : section.second) {
      std::string key = name + "." + item.first.as<std::string>();
      const KeySpec* spec = FindKey(key);
      if (spec == nullptr) {
        return Status::InvalidArgument(Where(path, item.first.Mark()) + ": unknown key '" + key + "'");
      }
      if (!seen.insert(key).second) {
        return Status::InvalidArgument(Where(path, item.first.Mark()) + ": '" + key + "' is set twice");
      }
      const YAML::Node& value = item.second;
      // An untrusted file's sensitive setting is checked like any other, then not applied.
      Options scratch;
      Options* target = options;
      if (trust == Trust::kUntrusted && IsSensitiveKey(key)) {
        options->ignored_settings.push_back(key + " (" + Where(path, item.first.Mark()) + ")");
        target = &scratch;
      }
      if (spec->is_list) {
        std::vector<std::string> list;
        if (value.IsSequence()) {
          for (const auto& v : value) {
            if (!v.IsScalar()) {
              return Status::InvalidArgument(Where(path, v.Mark()) + ": " + key + ": expected a list of strings");
            }
            list.push_back(v.as<std::string>());
          }
        } else if (!value.IsNull()) {
          return Status::InvalidArgument(Where(path, value.Mark()) + ": " + key + ": expected a list of strings");
        }
        spec->set_list(*target, std::move(list));
        continue;
      }
      if (!value.IsScalar()) {
        return Status::InvalidArgument(Where(path, value.Mark()) + ": " + key + ": expected a single value");
      }
      Status st = spec->set(*target, value.as<std::string>());
      if (!st.ok()) {
        return Status::InvalidArgument(Where(path, value.Mark()) + ": " + key + ": " + st.message());
      }
    }
  }
  return Status::Ok();
}

// TRAWL_INDEXING__CONCURRENT_WORKERS -> indexing.concurrent_workers
Status ApplyEnvironment(Options* options) {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.rfind("TRAWL_", 0) != 0) continue;
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
    size_t sep = name.find("__");
    if (sep == std::string::npos) continue;  // TRAWL_FOO: not a config variable
    std::string key = name.substr(6, sep - 6) + "." + name.substr(sep + 2);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) {
      return Status::InvalidArgument("environment " + name + ": unknown key '" + key + "'");
    }
    Status st = spec->set(*options, value);
    if (!st.ok()) return Status::InvalidArgument("environment " + name + ": " + st.message());
  }
  return Status::Ok();
}

std::string Absolute(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p;
  return abs.lexically_normal().string();
}

constexpr char kTrustFile[] = "trusted";

// The trust file's line for `path` with content `text`: "<hash> <path>".
std::string TrustLine(const std::string& path, const std::string& text) { return HashHex(text) + " " + path; }

bool IsTrustedConfig(const std::string& path, const std::string& user_dir) {
  Result<std::string> text = ReadFile(path, 16 << 20);
  Result<std::string> trusted = ReadFile(user_dir + "/" + kTrustFile, 16 << 20);
  if (!text.ok() || !trusted.ok()) return false;
  std::string want = TrustLine(path, *text);
  size_t at = 0;
  while (at < trusted->size()) {
    size_t nl = trusted->find('\n', at);
    if (nl == std::string::npos) nl = trusted->size();
    if (trusted->compare(at, nl - at, want) == 0) return true;
    at = nl + 1;
  }
  return false;
}

}  // namespace

bool IsSensitiveKey(const std::string& key) {
  static const std::set<std::string> kSensitive = {
      "embeddings.provider", "embeddings.url",  "embeddings.api_key_env", "indexing.follow_symlinks",
      "server.host",         "server.port",     "server.token_file",      "store.url"};
  return kSensitive.count(key) > 0;
}

std::string UserConfigDir(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  if (const char* d = std::getenv("TRAWL_CONFIG_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x == '/') return std::string(x) + "/trawl";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return std::string(h) + "/.config/trawl";
  return "";
}

Status TrustConfig(const std::string& path, const std::string& user_config_dir) {
  std::string abs = Absolute(path);
  TRAWL_ASSIGN_OR_RETURN(std::string text, ReadFile(abs, 16 << 20));
  std::string dir = UserConfigDir(user_config_dir);
  if (dir.empty()) return Status::FailedPrecondition("no user config directory (set HOME or TRAWL_CONFIG_DIR)");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  // One line per path: the new hash replaces the old one.
  std::string kept;
  Result<std::string> old = ReadFile(dir + "/" + kTrustFile, 16 << 20);
  if (old.ok()) {
    size_t at = 0;
    while (at < old->size()) {
      size_t nl = old->find('\n', at);
      if (nl == std::string::npos) nl = old->size();
      std::string line = old->substr(at, nl - at);
      size_t sp = line.find(' ');
      if (!line.empty() && (sp == std::string::npos || line.substr(sp + 1) != abs)) kept += line + "\n";
      at = nl + 1;
    }
  }
  kept += TrustLine(abs, text) + "\n";
  return WriteFileAtomic(dir + "/" + kTrustFile, kept);
}

int Options::EffectiveWorkers() const {
  if (!indexing.enable_parallel) return 1;
  if (indexing.concurrent_workers > 0) return indexing.concurrent_workers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

Result<Options> LoadOptions(const LoadOptionsRequest& request) {
  Options options;
  std::string root = request.root.empty() ? "." : request.root;
  options.root = Absolute(root);
  if (!options.root.empty() && options.root.size() > 1 && options.root.back() == '/') options.root.pop_back();
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) {
    return Status::InvalidArgument((fs::exists(options.root, ec) ? "not a directory: " : "no such directory: ") + root);
  }
  // The user's own config first: trusted, and below the tree's.
  const std::string user_dir = UserConfigDir(request.user_config_dir);
  if (!user_dir.empty()) {
    std::string user_config = user_dir + "/config.yaml";
    if (fs::exists(user_config, ec)) TRAWL_RETURN_IF_ERROR(ApplyYaml(user_config, &options));
  }
  std::string config = request.config_file;
  Trust trust = Trust::kTrusted;  // a file the user named on the command line
  if (config.empty()) {
    std::string candidate = options.root + "/.trawl.yaml";
    if (fs::exists(candidate, ec)) {
      config = candidate;
      trust = IsTrustedConfig(candidate, user_dir) ? Trust::kTrusted : Trust::kUntrusted;
    }
  } else if (!fs::exists(config, ec)) {
    return Status::InvalidArgument("config file not found: " + config);
  }
  if (!config.empty()) {
    options.config_file = config;
    TRAWL_RETURN_IF_ERROR(ApplyYaml(config, &options, trust));
  }
  if (request.read_environment) TRAWL_RETURN_IF_ERROR(ApplyEnvironment(&options));
  for (const auto& [key, value] : request.overrides) {
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) return Status::InvalidArgument("unknown key '" + key + "'");
    Status st = spec->set(options, value);
    if (!st.ok()) return Status::InvalidArgument(key + ": " + st.message());
  }
  if (options.chunking.min_chunk_chars > options.chunking.max_chunk_chars) {
    return Status::InvalidArgument("chunking.min_chunk_chars (" + std::to_string(options.chunking.min_chunk_chars) +
                                   ") must not exceed chunking.max_chunk_chars (" +
                                   std::to_string(options.chunking.max_chunk_chars) + ")");
  }
  if (options.chunking.window_overlap_lines >= options.chunking.window_lines) {
    return Status::InvalidArgument("chunking.window_overlap_lines must be smaller than chunking.window_lines");
  }
  options.index_dir = request.index_dir.empty() ? options.root + "/.trawl" : Absolute(request.index_dir);
  auto without_slash = [](std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  };
  if (without_slash(options.index_dir) == without_slash(options.root)) {
    // The index folder is never indexed: as the root itself it would hide the whole tree.
    return Status::InvalidArgument("the index folder cannot be the indexed tree itself (" + options.index_dir +
                                   "): use a folder inside it, such as the default .trawl, or outside it");
  }
  if (options.embeddings.provider != "hash" && options.embeddings.url.empty()) {
    return Status::InvalidArgument("embeddings.url is required for provider '" +
                                   options.embeddings.provider + "'");
  }
  return options;
}

std::vector<std::pair<std::string, std::string>> DescribeOptions(const Options& options) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : Keys()) out.emplace_back(k.key, k.get(options));
  return out;
}

}  // namespace trawl
