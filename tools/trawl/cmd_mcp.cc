// `trawl mcp`: the index as an MCP server on stdio (one JSON-RPC message a line; only
// messages on stdout, logs on stderr).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "base/mutex.h"
#include "cli.h"
#include "mcp/mcp_server.h"
#include "server/signals.h"
#include "watch/reindex_service.h"

#ifndef TRAWL_VERSION
#define TRAWL_VERSION "0.0.0"
#endif

namespace trawl::cli {
namespace {

constexpr size_t kMaxMessageBytes = 4 << 20;

// Writes whole messages to the protocol's stdout, one at a time.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void Write(const std::string& message) {
    std::string line = message + "\n";
    MutexLock lock(&mu_);
    const char* p = line.data();
    size_t n = line.size();
    while (n > 0 && !broken_) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        broken_ = true;  // the client is gone (EPIPE): stdin's end follows
        break;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

 private:
  const int fd_;
  Mutex mu_;
  bool broken_ GUARDED_BY(mu_) = false;
};

// Reads stdin's lines and hands each to `on_line` until end of input or Stop().
class LineReader {
 public:
  LineReader() {
    if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  }
  ~LineReader() {
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }
  void Stop() {
    if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  }
  // Returns at end of input (true) or when stopped (false).
  template <typename OnLine, typename OnTooLong>
  bool Run(OnLine&& on_line, OnTooLong&& on_too_long) {
    std::string buf;
    bool skipping = false;  // inside a line over the limit: dropped up to its end
    char chunk[65536];
    for (;;) {
      pollfd fds[2] = {{0, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      int n = ::poll(fds, wake_[0] >= 0 ? 2 : 1, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return true;
      }
      if (wake_[0] >= 0 && (fds[1].revents & POLLIN)) return false;
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = ::read(0, chunk, sizeof(chunk));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        if (!buf.empty() && !skipping) on_line(buf);  // a last line without '\n'
        return true;
      }
      size_t at = 0;
      auto size = static_cast<size_t>(got);
      while (at < size) {
        const char* nl = static_cast<const char*>(std::memchr(chunk + at, '\n', size - at));
        size_t end = nl == nullptr ? size : static_cast<size_t>(nl - chunk);
        if (!skipping) buf.append(chunk + at, end - at);
        if (buf.size() > kMaxMessageBytes) {
          buf.clear();
          if (!skipping) on_too_long();
          skipping = true;
        }
        if (nl == nullptr) break;
        if (!skipping) {
          if (!buf.empty() && buf.back() == '\r') buf.pop_back();
          if (!buf.empty()) on_line(buf);
        }
        buf.clear();
        skipping = false;
        at = end + 1;
      }
    }
  }

 private:
  int wake_[2] = {-1, -1};
};

}  // namespace

Runner RegisterMcp(CLI::App& app) {
  struct Args {
    std::string path = ".";
    bool watch = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "mcp", "Serve the index to AI assistants over MCP on stdio (tools: search_code, read_code, index_status, reindex)");
  cmd->add_option("path", args->path, "indexed tree (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--watch", args->watch, "index at start, then follow the tree's changes (inotify)");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    // stdout carries the protocol only: the messages go to a copy of it, and anything
    // else a library might print on fd 1 goes to stderr.
    int protocol_fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (protocol_fd < 0 || ::dup2(2, 1) < 0) return Fail(Status::IoError("cannot set up stdout"));
    std::signal(SIGPIPE, SIG_IGN);  // a client gone: writes fail, the process does not die

    Result<Options> opts = Load(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    BlockTerminationSignals();
    std::atomic<McpHost*> host_ptr{nullptr};
    ReindexService::Config sc;
    sc.options = *opts;
    sc.watch = args->watch;
    sc.index_at_start = args->watch;
    sc.on_run_finished = [&host_ptr](const ReindexRun&) {
      if (McpHost* h = host_ptr.load()) h->Invalidate();
    };
    Result<std::unique_ptr<ReindexService>> svc = ReindexService::Start(std::move(sc));
    if (!svc.ok()) return Fail(svc.status());
    McpHost host(*opts, TRAWL_VERSION, args->watch, svc->get());
    host_ptr.store(&host);
    std::fprintf(stderr, "trawl: MCP server on stdio for %s%s\n", opts->root.c_str(),
                 args->watch ? " (watching)" : "");

    LineWriter writer(protocol_fd);
    int exit_code = kExitOk;
    {
      McpSession session(&host);
      LineReader reader;
      std::atomic<bool> input_ended{false};
      std::thread read_thread([&] {
        auto send = [&writer](const std::string& message, bool) {
          if (!message.empty()) writer.Write(message);
        };
        bool eof = reader.Run([&](const std::string& line) { session.Receive(line, send); },
                              [&] {
                                writer.Write(
                                    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: message over 4 MiB"}})");
                              });
        if (eof) {  // the client closed stdin: answer what it asked, then end
          input_ended.store(true);
          RaiseTermination();
        }
      });
      WaitForTerminationSignal();
      ExitOnSecondSignal(kExitInterrupted);
      reader.Stop();
      read_thread.join();
      // On a signal, calls in flight end without an answer; at the end of input they are
      // answered first (`printf '...' | trawl mcp` gets its replies).
      if (!input_ended.load()) session.CancelAll();
      session.Drain();
      (*svc)->Stop();  // a running run commits what is complete
    }
    host_ptr.store(nullptr);
    ::close(protocol_fd);
    return exit_code;
  };
}

}  // namespace trawl::cli
