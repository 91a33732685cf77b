#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli.h"
#include "server/api_server.h"
#include "server/signals.h"

#ifndef TRAWL_VERSION
#define TRAWL_VERSION "0.0.0"
#endif

namespace trawl::cli {
namespace {

// The token is the file's content without surrounding whitespace; a relative path is
// relative to the indexed root (where .trawl.yaml names it).
Result<std::string> ReadToken(const Options& opts) {
  namespace fs = std::filesystem;
  fs::path p(opts.server.token_file);
  if (p.is_relative()) p = fs::path(opts.root) / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::InvalidArgument("server.token_file: cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  size_t b = t.find_first_not_of(" \t\r\n");
  size_t e = t.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return Status::InvalidArgument("server.token_file: " + p.string() + " is empty");
  return t.substr(b, e - b + 1);
}

}  // namespace

Runner RegisterServe(CLI::App& app) {
  struct Args {
    std::string path = ".";
    std::string host, token_file;
    int port = -1;
    int threads = 16;
    int max_subscribers = 8;
    int heartbeat_ms = 10000;
    int read_timeout_ms = 10000;
    bool watch = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the HTTP/JSON API (search, runs, changes, events, metrics)");
  cmd->add_option("path", args->path, "indexed tree (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--watch", args->watch, "index at start, then follow the tree's changes (inotify)");
  cmd->add_option("--host", args->host, "address to bind (server.host; default 127.0.0.1)");
  cmd->add_option("--port", args->port, "port (server.port; default 7777; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token-file", args->token_file, "require 'Authorization: Bearer <token>' (server.token_file)");
  cmd->add_option("--threads", args->threads, "connection threads (an event stream holds one)")
      ->check(CLI::Range(2, 1024));
  cmd->add_option("--max-subscribers", args->max_subscribers, "concurrent /v1/events streams")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--heartbeat-ms", args->heartbeat_ms, "comment line on idle event streams every this often")
      ->check(CLI::Range(100, 600000));
  cmd->add_option("--read-timeout-ms", args->read_timeout_ms,
                  "a request (head and body) must arrive within this, or it is answered 408")
      ->check(CLI::Range(100, 600000));
  AddCommonFlags(cmd, &args->common);
  return [args] {
    std::map<std::string, std::string> ov;
    if (!args->host.empty()) ov["server.host"] = args->host;
    if (args->port >= 0) ov["server.port"] = std::to_string(args->port);
    if (!args->token_file.empty()) {
      ov["server.token_file"] = std::filesystem::absolute(args->token_file).string();
    }
    Result<Options> opts = Load(args->path, args->common, ov);
    if (!opts.ok()) return Fail(opts.status());
    ApiServerConfig cfg;
    cfg.options = *opts;
    cfg.watch = args->watch;
    cfg.threads = args->threads;
    cfg.max_subscribers = std::min(args->max_subscribers, std::max(1, args->threads - 2));
    cfg.heartbeat_ms = args->heartbeat_ms;
    cfg.request_read_timeout_ms = args->read_timeout_ms;
    cfg.version = TRAWL_VERSION;
    if (!opts->server.token_file.empty()) {
      Result<std::string> token = ReadToken(*opts);
      if (!token.ok()) return Fail(token.status());
      cfg.token = *token;
    }
    // Before any thread starts, so that every thread inherits the mask.
    BlockTerminationSignals();
    Result<std::unique_ptr<ApiServer>> server = ApiServer::Create(std::move(cfg));
    if (!server.ok()) return Fail(server.status());
    Result<int> port = (*server)->Bind();
    if (!port.ok()) return Fail(port.status());
    // The first stdout line: scripts and tests read the port from it.
    std::fprintf(stdout, "listening on http://%s:%d\n", opts->server.host.c_str(), *port);
    std::fflush(stdout);
    Status served;
    std::thread serve_thread([&] {
      served = (*server)->Serve();
      if (!served.ok()) RaiseTermination();
    });
    WaitForTerminationSignal();
    ExitOnSecondSignal(kExitInterrupted);
    std::fprintf(stderr, "trawl: shutting down\n");
    (*server)->Shutdown();
    serve_thread.join();
    if (!served.ok()) return Fail(served);
    return kExitOk;
  };
}

}  // namespace trawl::cli
