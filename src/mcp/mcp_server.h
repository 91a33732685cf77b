// The Model Context Protocol (MCP): the index as tools an AI assistant calls
// (search_code, read_code, index_status, reindex), over JSON-RPC 2.0. The session is
// transport-agnostic: `trawl mcp` feeds it the lines of stdin and writes what it sends
// to stdout; `trawl serve` feeds it the bodies POSTed to /mcp and streams the answers
// back (docs/mcp.md).
// Thread-safety: McpSession::Receive may be called from any thread. Each tool call runs
// on its own thread, so requests interleave and a cancellation reaches a call in
// flight; a request's messages go out through its Outbox, one at a time.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/mutex.h"
#include "trawl/index.h"
#include "trawl/options.h"
#include "trawl/search.h"
#include "trawl/status.h"

namespace trawl {

class ReindexService;

// The protocol revisions this server speaks, newest first.
const std::vector<std::string>& McpProtocolVersions();

// The index the tools read and the service that writes it; shared by every session,
// outliving them (`trawl serve` searches through it too). The Searcher and the list of
// indexed files are opened on first use and again after each run (Invalidate).
class McpHost {
 public:
  McpHost(Options options, std::string version, bool watching, ReindexService* service);

  const Options& options() const { return options_; }
  const std::string& version() const { return version_; }
  bool watching() const { return watching_; }
  ReindexService* service() const { return service_; }

  // The current Searcher, or null with `*error` saying why (no index yet).
  std::shared_ptr<Searcher> searcher(std::string* error);
  // Indexed files by path (their status), or null with `*error`.
  std::shared_ptr<const std::unordered_map<std::string, IndexedFile>> files(std::string* error);
  // The index changed (a run ended): the next call reopens.
  void Invalidate();

 private:
  const Options options_;
  const std::string version_;
  const bool watching_;
  ReindexService* const service_;
  Mutex mu_;
  std::shared_ptr<Searcher> searcher_ GUARDED_BY(mu_);
  std::shared_ptr<const std::unordered_map<std::string, IndexedFile>> files_ GUARDED_BY(mu_);
};

class McpSession {
 public:
  // Sends one JSON-RPC message of a request (notifications/progress, then its response)
  // to the client; `last` is true for the last one (the response; or "" when the request
  // was cancelled and gets none).
  using Outbox = std::function<void(const std::string& message, bool last)>;

  // What Receive did with a message.
  enum class Reply {
    kNone,   // a notification or a client's response: nothing is sent
    kSent,   // answered already (through the Outbox, before Receive returned)
    kLater,  // a tool call: running on its thread; the Outbox gets its messages
  };

  explicit McpSession(McpHost* host);
  ~McpSession();  // cancels the calls in flight and waits for them
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  // Handles one message (a JSON-RPC request, notification or response).
  Reply Receive(const std::string& text, Outbox out);

  // Cancels every call in flight (their Outboxes get last = true, nothing else).
  void CancelAll();
  // Waits for the calls in flight to end.
  void Drain();

  std::string protocol_version() const;
  bool initialized() const;

 private:
  using Json = nlohmann::ordered_json;
  struct Call {
    std::string key;  // the request id, as JSON
    std::atomic<bool> cancelled{false};
    std::atomic<bool> done{false};
    std::thread thread;
  };

  void Respond(const Outbox& out, const Json& id, Json result);
  void RespondError(const Outbox& out, const Json& id, int code, const std::string& message);
  Json Initialize(const Json& params);
  Json ToolsList() const;
  void StartCall(const Json& id, const Json& params, Outbox out);
  Json RunTool(const std::string& name, const Json& args, const Json& progress_token, Call* call,
               const Outbox& out);
  Json SearchCode(const Json& args);
  Json ReadCode(const Json& args);
  Json IndexStatus();
  Json Reindex(const Json& args, const Json& progress_token, Call* call, const Outbox& out);
  void Reap() REQUIRES(mu_);

  McpHost* const host_;
  mutable Mutex mu_;
  bool initialized_ GUARDED_BY(mu_) = false;
  std::string version_ GUARDED_BY(mu_);
  std::list<std::shared_ptr<Call>> calls_ GUARDED_BY(mu_);
};

}  // namespace trawl
