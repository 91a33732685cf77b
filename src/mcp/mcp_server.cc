#include "mcp/mcp_server.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "base/file_util.h"
#include "pipeline/index_json.h"
#include "search/search_json.h"
#include "watch/reindex_service.h"

namespace trawl {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kLatest[] = "2025-11-25";
// structuredContent and outputSchema came with this revision; older clients get text.
constexpr char kStructuredSince[] = "2025-06-18";
constexpr int kMaxSearchK = 50;
constexpr int kMaxReadLines = 1000;
constexpr size_t kMaxReadBytes = 256 * 1024;
constexpr size_t kSnippetLines = 12;
constexpr size_t kSnippetChars = 1000;
constexpr size_t kMaxCallsInFlight = 128;
constexpr uint64_t kMaxFileBytes = 64ull << 20;

// JSON-RPC error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kServerBusy = -32000;

// The tools, as tools/list describes them: names, descriptions written for a model,
// JSON Schemas (2020-12) of their arguments and results.
const Json& ToolDefinitions() {
  static const Json tools = Json::parse(R"json([
{
  "name": "search_code",
  "title": "Search code",
  "description": "Search the indexed source tree by meaning and by identifiers at once (hybrid: BM25 over identifiers and words, plus embeddings) and get the best-matching code chunks (functions, classes, blocks) with their file path, line range, kind, symbol and a snippet, best first. Use it to find where something is implemented, defined or used when you do not know the file: describe the behaviour in words ('where are failed HTTP requests retried'), give an identifier ('parse_config'), or paste an error message. Read more of a hit with read_code. Narrow with languages (e.g. [\"python\"]) and paths (gitignore-style globs such as \"src/**\" or \"*.py\").",
  "inputSchema": {
    "type": "object",
    "properties": {
      "query": {"type": "string", "description": "What to find: words, identifiers, an error message or a code fragment."},
      "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10, "description": "How many results (1-50)."},
      "mode": {"type": "string", "enum": ["hybrid", "lexical", "semantic"], "default": "hybrid", "description": "hybrid (default) ranks by both; lexical by identifiers and words only; semantic by embeddings only."},
      "languages": {"type": "array", "items": {"type": "string"}, "description": "Only chunks in these languages (python, c, cpp, java, go, rust, javascript, typescript, ...)."},
      "paths": {"type": "array", "items": {"type": "string"}, "description": "Only files matching any of these gitignore-style globs, relative to the root."},
      "repos": {"type": "array", "items": {"type": "string"}, "description": "Only these repositories, when the index is a shared store of several (results then name their repo)."},
      "files": {"type": "boolean", "default": false, "description": "Answer with the k best files instead of chunks, each ranked by the evidence of its chunks and listing its best chunks (line ranges, symbols): ask this first when localising an issue or a traceback to files."},
      "explain": {"type": "boolean", "default": false, "description": "Also say how the query was read (the identifiers, files, dotted names and error messages it holds) and, for each result, why it ranked where it did."}
    },
    "required": ["query"],
    "additionalProperties": false
  },
  "outputSchema": {
    "type": "object",
    "properties": {
      "results": {"type": "array", "items": {
        "type": "object",
        "properties": {
          "repo": {"type": "string"},
          "path": {"type": "string"}, "start_line": {"type": "integer"}, "end_line": {"type": "integer"},
          "language": {"type": "string"}, "kind": {"type": "string"}, "symbol": {"type": "string"},
          "score": {"type": "number"}, "snippet": {"type": "string"},
          "git": {"type": "object", "properties": {"commit": {"type": "string"}, "author": {"type": "string"}, "time": {"type": "integer"}}},
          "explain": {"type": "object", "description": "With explain: true, why it ranked: lexical_rank, dense_rank, first, joined, reranked, parts, defines."}
        },
        "required": ["path", "start_line", "end_line", "score", "snippet"]
      }},
      "files": {"type": "array", "description": "With files: true, the best files, each with its best chunks.", "items": {
        "type": "object",
        "properties": {"repo": {"type": "string"}, "path": {"type": "string"}, "language": {"type": "string"},
                       "score": {"type": "number"}, "chunks": {"type": "array"}},
        "required": ["path", "score", "chunks"]
      }},
      "reading": {"type": "object", "description": "With explain: true, how the query was read: files, modules, names (with weights), messages, has_code."},
      "coverage": {"type": "number", "description": "Files indexed over files known (below 1 while a run is writing)."},
      "files_indexed": {"type": "integer"},
      "took_ms": {"type": "number"}
    },
    "required": ["results", "coverage"]
  },
  "annotations": {"readOnlyHint": true, "openWorldHint": false}
},
{
  "name": "read_code",
  "title": "Read code",
  "description": "Read lines of a file of the indexed tree, numbered. path is relative to the tree's root, as search_code returns it. Give start_line and end_line to read a range (at most 1000 lines a call); without them you get the file's first 1000 lines. Only files the index holds can be read: paths outside the root, ignored files and binary files are refused.",
  "inputSchema": {
    "type": "object",
    "properties": {
      "path": {"type": "string", "description": "File path relative to the root (e.g. \"src/main.c\")."},
      "start_line": {"type": "integer", "minimum": 1, "description": "First line to read (1-based; default 1)."},
      "end_line": {"type": "integer", "minimum": 1, "description": "Last line to read (inclusive; default start_line + 999)."}
    },
    "required": ["path"],
    "additionalProperties": false
  },
  "outputSchema": {
    "type": "object",
    "properties": {
      "path": {"type": "string"}, "language": {"type": "string"},
      "start_line": {"type": "integer"}, "end_line": {"type": "integer"}, "total_lines": {"type": "integer"},
      "truncated": {"type": "boolean", "description": "True when the range was cut to the per-call limit."},
      "text": {"type": "string", "description": "The lines, without numbers."}
    },
    "required": ["path", "start_line", "end_line", "total_lines", "text"]
  },
  "annotations": {"readOnlyHint": true, "openWorldHint": false}
},
{
  "name": "index_status",
  "title": "Index status",
  "description": "Report what the index holds: files and chunks indexed, files per language, files that failed and why, coverage (indexed over known files), the last run's summary, and whether a run is going on now. Call it when there seems to be no index, or search results look incomplete or stale.",
  "inputSchema": {"type": "object", "properties": {}, "additionalProperties": false},
  "outputSchema": {
    "type": "object",
    "properties": {
      "exists": {"type": "boolean", "description": "False when nothing is indexed yet (call reindex)."},
      "root": {"type": "string"}, "index_dir": {"type": "string"},
      "files": {"type": "integer"}, "files_failed": {"type": "integer"}, "files_skipped": {"type": "integer"},
      "files_known": {"type": "integer"}, "coverage": {"type": "number"},
      "chunks": {"type": "integer"}, "vectors": {"type": "integer"},
      "languages": {"type": "object", "additionalProperties": {"type": "integer"}},
      "failures": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "reason": {"type": "string"}}}},
      "last_run": {"type": ["object", "null"]},
      "running": {"type": "boolean", "description": "A run is going on now."},
      "watching": {"type": "boolean", "description": "The server re-indexes files as they change."}
    },
    "required": ["exists", "root", "index_dir", "running", "watching"]
  },
  "annotations": {"readOnlyHint": true, "openWorldHint": false}
},
{
  "name": "reindex",
  "title": "Update the index",
  "description": "Bring the index up to date with the files on disk. Incremental: only new, changed and deleted files are redone (an unchanged file costs one stat); the first run builds the whole index. Call it when index_status says there is no index, or after editing files when the server does not watch the tree. Sends progress notifications (files done of total) when given a progressToken, can be cancelled, and returns the run's summary. paths may name the files just changed (relative to the root); the run checks the whole tree anyway.",
  "inputSchema": {
    "type": "object",
    "properties": {
      "paths": {"type": "array", "items": {"type": "string"}, "description": "Files just changed, relative to the root (optional)."}
    },
    "additionalProperties": false
  },
  "outputSchema": {
    "type": "object",
    "properties": {
      "run_id": {"type": "string"}, "state": {"type": "string", "enum": ["finished", "cancelled", "failed"]},
      "files_indexed": {"type": "integer"}, "files_unchanged": {"type": "integer"}, "files_deleted": {"type": "integer"},
      "files_failed": {"type": "integer"}, "files_skipped": {"type": "integer"}, "chunks": {"type": "integer"},
      "elapsed_s": {"type": "number"}
    },
    "required": ["run_id", "state"]
  },
  "annotations": {"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}
}
])json");
  return tools;
}

// A tool's result: a readable text block, and the same as structuredContent.
Json ToolResult(const std::string& text, Json structured) {
  Json r;
  r["content"] = Json::array({Json{{"type", "text"}, {"text", text}}});
  r["structuredContent"] = std::move(structured);
  r["isError"] = false;
  return r;
}

// An error the model can act on: a tool result, not a protocol error.
Json ToolError(const std::string& text) {
  Json r;
  r["content"] = Json::array({Json{{"type", "text"}, {"text", text}}});
  r["isError"] = true;
  return r;
}

std::string NoIndexMessage(const McpHost& host, const std::string& why) {
  return fmt::format("No index of {} yet ({}). Call the reindex tool to build it{}.", host.options().root, why,
                     host.watching() ? " (or wait: this server indexes the tree itself)" : "");
}

std::string Snippet(const std::string& content) {
  size_t end = 0, lines = 0;
  while (end < content.size() && lines < kSnippetLines && end < kSnippetChars) {
    size_t nl = content.find('\n', end);
    end = nl == std::string::npos ? content.size() : nl + 1;
    ++lines;
  }
  end = std::min(end, kSnippetChars);
  std::string s = content.substr(0, end);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (end < content.size()) s += "\n...";
  return s;
}

// A string list argument: absent, or an array of strings.
bool StringList(const Json& args, const char* key, std::vector<std::string>* out, std::string* error) {
  if (!args.contains(key)) return true;
  const Json& v = args[key];
  if (!v.is_array()) {
    *error = fmt::format("{} must be an array of strings, e.g. [\"src/**\"]", key);
    return false;
  }
  for (const auto& e : v) {
    if (!e.is_string()) {
      *error = fmt::format("{} must be an array of strings, e.g. [\"src/**\"]", key);
      return false;
    }
    out->push_back(e.get<std::string>());
  }
  return true;
}

// An integer argument in [lo, hi], or `fallback` when absent.
bool IntArg(const Json& args, const char* key, int lo, int hi, int fallback, int* out, std::string* error) {
  *out = fallback;
  if (!args.contains(key)) return true;
  const Json& v = args[key];
  // 5 and 5.0 are both integers to JSON Schema; 5.5, "5" and 1e300 are not in range.
  double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!(d >= lo && d <= hi) || std::floor(d) != d) {
    *error = fmt::format("{} must be an integer from {} to {}, got {}", key, lo, hi, DumpJson(v));
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

bool ValidId(const Json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

const std::vector<std::string>& McpProtocolVersions() {
  static const std::vector<std::string> versions = {kLatest, "2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

// --- McpHost -----------------------------------------------------------------------------

McpHost::McpHost(Options options, std::string version, bool watching, ReindexService* service)
    : options_(std::move(options)), version_(std::move(version)), watching_(watching), service_(service) {}

std::shared_ptr<Searcher> McpHost::searcher(std::string* error) {
  {
    MutexLock lock(&mu_);
    if (searcher_) return searcher_;
  }
  Result<std::unique_ptr<Searcher>> s = Searcher::Open(options_);
  if (!s.ok()) {
    *error = s.status().message();
    return nullptr;
  }
  MutexLock lock(&mu_);
  if (!searcher_) searcher_ = std::shared_ptr<Searcher>(std::move(s).value());
  return searcher_;
}

std::shared_ptr<const std::unordered_map<std::string, IndexedFile>> McpHost::files(std::string* error) {
  {
    MutexLock lock(&mu_);
    if (files_) return files_;
  }
  Result<std::vector<IndexedFile>> list = ListIndexedFiles(options_);
  if (!list.ok()) {
    *error = list.status().message();
    return nullptr;
  }
  auto map = std::make_shared<std::unordered_map<std::string, IndexedFile>>();
  map->reserve(list->size());
  for (auto& f : *list) {
    std::string key = f.path;
    map->emplace(std::move(key), std::move(f));
  }
  MutexLock lock(&mu_);
  if (!files_) files_ = std::move(map);
  return files_;
}

void McpHost::Invalidate() {
  MutexLock lock(&mu_);
  searcher_.reset();
  files_.reset();
}

// --- McpSession --------------------------------------------------------------------------

McpSession::McpSession(McpHost* host) : host_(host) {}

McpSession::~McpSession() {
  CancelAll();
  Drain();
}

std::string McpSession::protocol_version() const {
  MutexLock lock(&mu_);
  return version_;
}

bool McpSession::initialized() const {
  MutexLock lock(&mu_);
  return initialized_;
}

void McpSession::Respond(const Outbox& out, const Json& id, Json result) {
  Json msg;
  msg["jsonrpc"] = "2.0";
  msg["id"] = id;
  msg["result"] = std::move(result);
  out(DumpJson(msg), true);
}

void McpSession::RespondError(const Outbox& out, const Json& id, int code, const std::string& message) {
  Json msg;
  msg["jsonrpc"] = "2.0";
  msg["id"] = id;
  msg["error"] = {{"code", code}, {"message", message}};
  out(DumpJson(msg), true);
}

McpSession::Reply McpSession::Receive(const std::string& text, Outbox out) {
  Json msg = Json::parse(text, nullptr, false);
  if (msg.is_discarded()) {
    RespondError(out, nullptr, kParseError, "Parse error: not a JSON document");
    return Reply::kSent;
  }
  if (msg.is_array()) {
    RespondError(out, nullptr, kInvalidRequest, "Invalid Request: batches are not supported; send one message at a time");
    return Reply::kSent;
  }
  if (!msg.is_object() || msg.value("jsonrpc", "") != "2.0") {
    Json id = msg.is_object() && msg.contains("id") && ValidId(msg["id"]) ? msg["id"] : Json(nullptr);
    RespondError(out, id, kInvalidRequest, "Invalid Request: expected a JSON-RPC 2.0 object");
    return Reply::kSent;
  }
  if (!msg.contains("method")) {
    // A response from the client: this server sends no requests, so there is nothing
    // it could answer.
    if (msg.contains("id") && (msg.contains("result") || msg.contains("error"))) return Reply::kNone;
    RespondError(out, msg.contains("id") && ValidId(msg["id"]) ? msg["id"] : Json(nullptr), kInvalidRequest,
                 "Invalid Request: no method");
    return Reply::kSent;
  }
  if (!msg["method"].is_string()) {
    RespondError(out, msg.contains("id") && ValidId(msg["id"]) ? msg["id"] : Json(nullptr), kInvalidRequest,
                 "Invalid Request: method must be a string");
    return Reply::kSent;
  }
  const std::string method = msg["method"].get<std::string>();
  const Json params = msg.contains("params") ? msg["params"] : Json::object();

  if (!msg.contains("id")) {  // a notification
    if (method == "notifications/initialized") {
      MutexLock lock(&mu_);
      initialized_ = true;
    } else if (method == "notifications/cancelled" && params.is_object() && params.contains("requestId")) {
      std::string key = DumpJson(params["requestId"]);
      MutexLock lock(&mu_);
      for (auto& call : calls_) {
        if (call->key == key) call->cancelled.store(true);
      }
    }
    return Reply::kNone;  // others (progress, roots changes ...) need nothing from us
  }
  const Json id = msg["id"];
  if (!ValidId(id)) {
    RespondError(out, nullptr, kInvalidRequest, "Invalid Request: id must be a string or an integer");
    return Reply::kSent;
  }
  if (!params.is_object()) {
    RespondError(out, id, kInvalidParams, "Invalid params: expected an object");
    return Reply::kSent;
  }
  if (method == "initialize") {
    Respond(out, id, Initialize(params));
    return Reply::kSent;
  }
  if (method == "ping") {
    Respond(out, id, Json::object());
    return Reply::kSent;
  }
  {
    MutexLock lock(&mu_);
    if (version_.empty()) {
      RespondError(out, id, kInvalidRequest, "Invalid Request: send initialize first");
      return Reply::kSent;
    }
  }
  if (method == "tools/list") {
    Respond(out, id, ToolsList());
    return Reply::kSent;
  }
  if (method == "tools/call") {
    StartCall(id, params, std::move(out));
    return Reply::kLater;
  }
  RespondError(out, id, kMethodNotFound, "Method not found: " + method);
  return Reply::kSent;
}

McpSession::Json McpSession::Initialize(const Json& params) {
  std::string wanted = params.contains("protocolVersion") && params["protocolVersion"].is_string()
                           ? params["protocolVersion"].get<std::string>()
                           : "";
  const auto& known = McpProtocolVersions();
  std::string version = std::find(known.begin(), known.end(), wanted) != known.end() ? wanted : known.front();
  {
    MutexLock lock(&mu_);
    version_ = version;
  }
  Json r;
  r["protocolVersion"] = version;
  r["capabilities"] = {{"tools", {{"listChanged", false}}}};
  r["serverInfo"] = {{"name", "trawl"}, {"title", "trawl code index"}, {"version", host_->version()}};
  r["instructions"] = fmt::format(
      "trawl indexes the source tree at {}. Use search_code to find code by what it does or by identifiers "
      "(it returns paths and line ranges), read_code to read a file's lines, index_status to see what the "
      "index holds, and reindex to bring it up to date{}.",
      host_->options().root,
      host_->watching() ? " (this server also re-indexes files as they change)" : " after files change");
  return r;
}

McpSession::Json McpSession::ToolsList() const {
  Json tools = ToolDefinitions();
  if (protocol_version() < kStructuredSince) {
    for (auto& t : tools) {
      t.erase("outputSchema");
      t.erase("title");
    }
  }
  return Json{{"tools", std::move(tools)}};
}

void McpSession::Reap() {
  for (auto it = calls_.begin(); it != calls_.end();) {
    if ((*it)->done.load() && (*it)->thread.joinable()) {
      (*it)->thread.join();
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
}

void McpSession::StartCall(const Json& id, const Json& params, Outbox out) {
  if (!params.contains("name") || !params["name"].is_string()) {
    return RespondError(out, id, kInvalidParams, "Invalid params: tools/call needs a tool name");
  }
  std::string name = params["name"].get<std::string>();
  bool known = false;
  for (const auto& t : ToolDefinitions()) known = known || t["name"] == name;
  if (!known) return RespondError(out, id, kInvalidParams, "Unknown tool: " + name);
  Json args = params.contains("arguments") ? params["arguments"] : Json::object();
  if (args.is_null()) args = Json::object();
  Json token = nullptr;
  if (params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("progressToken")) {
    token = params["_meta"]["progressToken"];
  }
  auto call = std::make_shared<Call>();
  call->key = DumpJson(id);
  {
    MutexLock lock(&mu_);
    Reap();
    for (const auto& c : calls_) {
      if (c->key == call->key && !c->done.load()) {
        return RespondError(out, id, kInvalidRequest, "Invalid Request: id " + call->key + " is already in use");
      }
    }
    if (calls_.size() >= kMaxCallsInFlight) {
      return RespondError(out, id, kServerBusy, fmt::format("busy: {} calls in flight already", calls_.size()));
    }
    calls_.push_back(call);
    Call* raw = call.get();
    call->thread = std::thread([this, raw, id, name, args, token, out] {
      Json result;
      if (!args.is_object()) {
        result = ToolError("arguments must be an object");
      } else {
        result = RunTool(name, args, token, raw, out);
      }
      if (raw->cancelled.load()) {
        out("", true);  // cancelled: no response (the client has stopped waiting)
      } else {
        if (!result.contains("isError") || !result["isError"].get<bool>()) {
          if (protocol_version() < kStructuredSince) result.erase("structuredContent");
        }
        Respond(out, id, std::move(result));
      }
      raw->done.store(true);
    });
  }
}

void McpSession::CancelAll() {
  MutexLock lock(&mu_);
  for (auto& c : calls_) c->cancelled.store(true);
}

void McpSession::Drain() {
  std::list<std::shared_ptr<Call>> calls;
  {
    MutexLock lock(&mu_);
    calls.swap(calls_);
  }
  for (auto& c : calls) {
    if (c->thread.joinable()) c->thread.join();
  }
}

McpSession::Json McpSession::RunTool(const std::string& name, const Json& args, const Json& progress_token,
                                     Call* call, const Outbox& out) {
  if (name == "search_code") return SearchCode(args);
  if (name == "read_code") return ReadCode(args);
  if (name == "index_status") return IndexStatus();
  return Reindex(args, progress_token, call, out);
}

McpSession::Json McpSession::SearchCode(const Json& args) {
  std::string error;
  for (const auto& [key, value] : args.items()) {
    if (key != "query" && key != "k" && key != "mode" && key != "languages" && key != "paths" && key != "repos" &&
        key != "files" && key != "explain") {
      return ToolError("unknown argument '" + key +
                       "': search_code takes query, k, mode, languages, paths, repos, files, explain");
    }
  }
  if (!args.contains("query") || !args["query"].is_string() || args["query"].get<std::string>().empty()) {
    return ToolError("query is required: a non-empty string (words, identifiers or an error message)");
  }
  SearchRequest req;
  req.query = args["query"].get<std::string>();
  if (!IntArg(args, "k", 1, kMaxSearchK, std::min(host_->options().search.k, kMaxSearchK), &req.k, &error)) {
    return ToolError(error);
  }
  req.mode = host_->options().search.mode;
  if (args.contains("mode")) {
    if (!args["mode"].is_string()) return ToolError("mode must be one of hybrid, lexical, semantic");
    req.mode = args["mode"].get<std::string>();
    if (req.mode != "hybrid" && req.mode != "lexical" && req.mode != "semantic") {
      return ToolError("mode must be one of hybrid, lexical, semantic; got '" + req.mode + "'");
    }
  }
  if (!StringList(args, "languages", &req.languages, &error)) return ToolError(error);
  if (!StringList(args, "paths", &req.path_globs, &error)) return ToolError(error);
  if (!StringList(args, "repos", &req.repos, &error)) return ToolError(error);
  if (args.contains("files")) {
    if (!args["files"].is_boolean()) return ToolError("files must be true or false");
    req.files = args["files"].get<bool>();
  }
  if (args.contains("explain")) {
    if (!args["explain"].is_boolean()) return ToolError("explain must be true or false");
    req.explain = args["explain"].get<bool>();
  }

  std::shared_ptr<Searcher> searcher = host_->searcher(&error);
  if (!searcher) return ToolError(NoIndexMessage(*host_, error));
  Result<SearchResponse> resp = searcher->Search(req);
  if (!resp.ok()) {
    if (resp.status().code() == StatusCode::kInvalidArgument) {
      return ToolError(resp.status().message() + " (fix the argument and search again)");
    }
    return ToolError("search failed: " + resp.status().message());
  }
  Json results = Json::array();
  const size_t answers = req.files ? resp->files.size() : resp->results.size();
  std::string text = fmt::format("{} {}{} for \"{}\" ({}, {:.0f} ms", answers, req.files ? "file" : "result",
                                 answers == 1 ? "" : "s", req.query, req.mode, resp->took_ms);
  if (resp->coverage < 1.0) text += fmt::format("; {:.0f}% of files indexed so far", resp->coverage * 100);
  text += ")\n";
  if (resp->reading) {
    std::string names;
    for (const auto& [name, w] : resp->reading->names) names += fmt::format("{}{} ({:.2f})", names.empty() ? "" : ", ", name, w);
    std::string named;
    for (const auto& [path, w] : resp->reading->files) named += (named.empty() ? "" : ", ") + path;
    text += fmt::format("Read as: names used as code: {}; files named: {}; error messages: {}; holds code: {}\n",
                        names.empty() ? "-" : names, named.empty() ? "-" : named, resp->reading->messages.size(),
                        resp->reading->has_code ? "yes" : "no");
  }
  int rank = 0;
  for (const auto& r : resp->results) {
    Json j = SearchResultJson(r, /*with_content=*/false);
    std::string snippet = Snippet(r.content);
    j["snippet"] = snippet;
    results.push_back(std::move(j));
    std::string what = r.symbol.empty() ? r.kind : r.kind + " " + r.symbol;
    text += fmt::format("\n{}. {}{}:{}-{}  {}  (score {:.4f})\n", ++rank, r.repo.empty() ? "" : r.repo + ":", r.path,
                        r.start_line, r.end_line, what, r.score);
    size_t at = 0;
    while (at < snippet.size()) {
      size_t nl = snippet.find('\n', at);
      if (nl == std::string::npos) nl = snippet.size();
      text += "    " + snippet.substr(at, nl - at) + "\n";
      at = nl + 1;
    }
  }
  Json files = Json::array();
  rank = 0;
  for (const auto& f : resp->files) {
    files.push_back(FileAnswerJson(f, /*with_content=*/false));
    text += fmt::format("\n{}. {}{}  (score {:.4f})\n", ++rank, f.repo.empty() ? "" : f.repo + ":", f.path, f.score);
    for (const auto& c : f.chunks) {
      text += fmt::format("    {}-{}  {}{}\n", c.start_line, c.end_line, c.kind, c.symbol.empty() ? "" : " " + c.symbol);
    }
  }
  if (answers == 0) text += "\nNothing matched: try other words, an identifier, or fewer filters.\n";
  Json s;
  s["results"] = std::move(results);
  if (req.files) s["files"] = std::move(files);
  if (resp->reading) s["reading"] = QueryReadingJson(*resp->reading);
  s["coverage"] = resp->coverage;
  s["files_indexed"] = resp->files_indexed;
  s["took_ms"] = resp->took_ms;
  return ToolResult(text, std::move(s));
}

McpSession::Json McpSession::ReadCode(const Json& args) {
  for (const auto& [key, value] : args.items()) {
    if (key != "path" && key != "start_line" && key != "end_line") {
      return ToolError("unknown argument '" + key + "': read_code takes path, start_line, end_line");
    }
  }
  if (!args.contains("path") || !args["path"].is_string()) {
    return ToolError("path is required: a file path relative to the root, as search_code returns it");
  }
  std::string asked = args["path"].get<std::string>();
  std::string error;
  int start = 1, end = 0;
  if (!IntArg(args, "start_line", 1, INT32_MAX, 1, &start, &error)) return ToolError(error);
  if (!IntArg(args, "end_line", 1, INT32_MAX, 0, &end, &error)) return ToolError(error);
  if (end == 0) end = start + kMaxReadLines - 1;
  if (end < start) return ToolError(fmt::format("end_line ({}) is before start_line ({})", end, start));

  const std::string& root = host_->options().root;
  auto files = host_->files(&error);
  if (!files) {
    // Without an index a path outside the root is still refused as such.
    Result<std::string> rel = PathInRoot(root, asked);
    if (!rel.ok()) return ToolError(rel.status().message() + ": read_code reads files under " + root + " only");
    return ToolError(NoIndexMessage(*host_, error));
  }
  Result<IndexedFileText> read = ReadIndexedFile(root, *files, asked, kMaxFileBytes);
  if (!read.ok()) {
    switch (read.status().code()) {
      case StatusCode::kInvalidArgument:
      case StatusCode::kPermissionDenied:
        return ToolError(read.status().message() + ": read_code reads files under " + root +
                         " only, by their relative path as search_code returns it");
      case StatusCode::kNotFound:
        return ToolError(read.status().message() + ": if it is new, call reindex and read it again");
      default:
        return ToolError(read.status().message());
    }
  }
  const IndexedFile& f = read->file;
  const std::string& rel = f.path;
  const std::string& content = read->text;

  // Lines of the file (a last line without '\n' counts).
  std::vector<std::pair<size_t, size_t>> lines;  // [begin, end) without the newline
  size_t at = 0;
  while (at < content.size()) {
    size_t nl = content.find('\n', at);
    size_t e = nl == std::string::npos ? content.size() : nl;
    lines.emplace_back(at, e);
    at = nl == std::string::npos ? content.size() : nl + 1;
  }
  int total = static_cast<int>(lines.size());
  if (total == 0) {
    Json s{{"path", rel}, {"language", f.language}, {"start_line", 0}, {"end_line", 0}, {"total_lines", 0},
           {"truncated", false}, {"text", ""}};
    return ToolResult(rel + " is empty.", std::move(s));
  }
  if (start > total) return ToolError(fmt::format("{} has {} lines; start_line {} is past its end", rel, total, start));
  bool truncated = false;
  int last = std::min(end, total);
  if (last - start + 1 > kMaxReadLines) {
    last = start + kMaxReadLines - 1;
    truncated = true;
  }
  std::string raw, numbered;
  for (int n = start; n <= last; ++n) {
    auto [b, e] = lines[static_cast<size_t>(n - 1)];
    std::string_view line(content.data() + b, e - b);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (raw.size() + line.size() > kMaxReadBytes) {
      last = n - 1;
      truncated = true;
      break;
    }
    raw.append(line).push_back('\n');
    numbered += fmt::format("{:>6}\t{}\n", n, line);
  }
  if (last < start) return ToolError(fmt::format("line {} of {} is longer than {} bytes", start, rel, kMaxReadBytes));
  std::string header = fmt::format("{} lines {}-{} of {}", rel, start, last, total);
  if (truncated) header += fmt::format(" (cut at the per-call limit: read on from start_line {})", last + 1);
  Json s{{"path", rel}, {"language", f.language}, {"start_line", start}, {"end_line", last}, {"total_lines", total},
         {"truncated", truncated}, {"text", raw}};
  return ToolResult(header + "\n" + numbered, std::move(s));
}

McpSession::Json McpSession::IndexStatus() {
  ReindexStats stats = host_->service()->Stats();
  Result<IndexStatusReport> st = GetIndexStatus(host_->options());
  Json s;
  std::string text;
  if (!st.ok()) {
    if (st.status().code() != StatusCode::kNotFound) return ToolError("cannot read the index: " + st.status().message());
    s["exists"] = false;
    text = NoIndexMessage(*host_, "nothing indexed") + "\n";
  } else {
    s["exists"] = true;
    Json report = StatusReportJson(*st);
    for (auto& [k, v] : report.items()) s[k] = v;
    text = st->ToText();
  }
  s["root"] = host_->options().root;
  s["index_dir"] = host_->options().index_dir;
  s["running"] = stats.running;
  s["watching"] = host_->watching();
  text += fmt::format("root:      {}\nrunning:   {}\nwatching:  {}\n", host_->options().root,
                      stats.running ? "yes (a run is going on now)" : "no", host_->watching() ? "yes" : "no");
  return ToolResult(text, std::move(s));
}

McpSession::Json McpSession::Reindex(const Json& args, const Json& progress_token, Call* call, const Outbox& out) {
  for (const auto& [key, value] : args.items()) {
    if (key != "paths") return ToolError("unknown argument '" + key + "': reindex takes paths (optional)");
  }
  std::vector<std::string> asked, paths;
  std::string error;
  if (!StringList(args, "paths", &asked, &error)) return ToolError(error);
  for (const auto& p : asked) {
    Result<std::string> rel = PathInRoot(host_->options().root, p);
    if (!rel.ok()) return ToolError(rel.status().message() + ": reindex takes paths under " + host_->options().root);
    paths.push_back(std::move(rel).value());
  }
  ReindexService* service = host_->service();
  if (!paths.empty()) service->QueueChanges(paths, "mcp");
  std::string id = service->RequestRunNext("mcp");
  int64_t sent = 0;
  bool cancel_sent = false;
  std::optional<ReindexRun> run;
  auto progress = [&](int64_t done, int64_t total, const std::string& stage) {
    if (progress_token.is_null() || done <= sent) return;
    sent = done;
    Json n;
    n["jsonrpc"] = "2.0";
    n["method"] = "notifications/progress";
    n["params"] = {{"progressToken", progress_token}, {"progress", done}};
    if (total > 0) n["params"]["total"] = total;
    n["params"]["message"] = fmt::format("{}: {} of {} files", stage.empty() ? "index" : stage, done, total);
    out(DumpJson(n), false);
  };
  for (;;) {
    run = service->WaitRun(id, std::chrono::milliseconds(100));
    if (!run) return ToolError("the run was lost (too many runs queued meanwhile): call reindex again");
    if (run->done()) break;
    if (call->cancelled.load() && !cancel_sent) {
      service->CancelRun(id);
      cancel_sent = true;
    }
    if (run->progress) progress(run->progress->files_done, run->progress->files_total, run->progress->stage);
  }
  host_->Invalidate();
  if (run->state == RunState::kFailed) return ToolError("the run failed: " + run->error);
  const IndexSummary summary = run->summary.value_or(IndexSummary{});
  // No last "all done" notification: sent just before the response it would reach a
  // client (the TypeScript SDK) after the response had retired the token.
  Json s;
  s["run_id"] = run->id;
  s["state"] = RunStateName(run->state);
  s["files_indexed"] = summary.files_indexed;
  s["files_unchanged"] = summary.files_unchanged;
  s["files_deleted"] = summary.files_deleted;
  s["files_failed"] = summary.files_failed;
  s["files_skipped"] = summary.files_skipped;
  s["chunks"] = summary.chunks;
  s["elapsed_s"] = run->finished_at > run->started_at && run->started_at > 0 ? run->finished_at - run->started_at : 0.0;
  std::string text = fmt::format(
      "run {} {}: {} files indexed, {} unchanged, {} deleted, {} failed, {} skipped; {} chunks ({:.2f} s)", run->id,
      RunStateName(run->state), summary.files_indexed, summary.files_unchanged, summary.files_deleted,
      summary.files_failed, summary.files_skipped, summary.chunks, s["elapsed_s"].get<double>());
  if (summary.files_failed > 0) text += "\nindex_status lists the failures and why.";
  return ToolResult(text, std::move(s));
}

}  // namespace trawl
