#include "server/guarded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "base/ascii.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string ip;
  int port = 0;
};

Endpoint EndpointOf(const sockaddr_storage& addr) {
  Endpoint e;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    if (::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf) != nullptr) e.ip = buf;
    e.port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf) != nullptr) e.ip = buf;
    e.port = ntohs(a->sin6_port);
  }
  return e;
}

Endpoint Peer(int sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  return EndpointOf(addr);
}

Endpoint Local(int sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  return EndpointOf(addr);
}

// A short answer written without waiting (it fits in the socket's buffer), best effort:
// the reader thread never blocks on one client.
void SendNow(int sock, int status, const char* reason, const std::string& message) {
  std::string body = "{\"error\":\"" + message + "\"}";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                    "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  [[maybe_unused]] ssize_t n = ::send(sock, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void CloseSocket(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// The end of a request head in `buf` (the offset past its blank line), if it is there;
// `from` is where the bytes not searched yet begin.
std::optional<size_t> HeadEnd(const std::string& buf, size_t from) {
  for (size_t i = from > 3 ? from - 3 : 0; i < buf.size(); ++i) {
    if (buf[i] != '\n') continue;
    if (i >= 1 && buf[i - 1] == '\n') return i + 1;
    if (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n') return i + 1;
  }
  return std::nullopt;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (ascii::ToLower(s[i]) != ascii::ToLower(prefix[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

// What the reader needs of a head: how much body follows it.
struct HeadFacts {
  uint64_t content_length = 0;  // 0 when none is declared, or a malformed one (refused later)
  bool chunked = false;         // Transfer-Encoding of any kind
  bool expect_continue = false;
};

HeadFacts ScanHead(std::string_view head) {
  HeadFacts f;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find('\n', pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 1;
    if (StartsWithIgnoreCase(line, "content-length:")) {
      std::string_view v = Trim(line.substr(15));
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec == std::errc() && p == v.data() + v.size()) f.content_length = n;
    } else if (StartsWithIgnoreCase(line, "transfer-encoding:")) {
      f.chunked = true;
    } else if (StartsWithIgnoreCase(line, "expect:")) {
      f.expect_continue = StartsWithIgnoreCase(Trim(line.substr(7)), "100-continue");
    }
  }
  return f;
}

// httplib's view of a request GuardedServer has read: those bytes first, then the socket
// (blocking, each read and write bounded by SO_RCVTIMEO / SO_SNDTIMEO).
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(int sock, std::string buffered, int io_timeout_ms)
      : sock_(sock), buffered_(std::move(buffered)), io_timeout_ms_(io_timeout_ms) {}

  bool is_readable() const override {
    if (offset_ < buffered_.size()) return true;
    pollfd p{sock_, POLLIN, 0};
    return ::poll(&p, 1, io_timeout_ms_) > 0;
  }

  bool is_writable() const override {
    pollfd p{sock_, POLLOUT, 0};
    if (::poll(&p, 1, io_timeout_ms_) <= 0) return false;
    // Alive unless the peer has closed: readable with nothing left to read.
    pollfd r{sock_, POLLIN, 0};
    if (::poll(&r, 1, 0) <= 0) return true;
    char c;
    return ::recv(sock_, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < buffered_.size()) {
      size_t n = std::min(size, buffered_.size() - offset_);
      std::copy_n(buffered_.data() + offset_, n, ptr);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    ssize_t n;
    do {
      n = ::recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Endpoint e = Peer(sock_);
    ip = e.ip;
    port = e.port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Endpoint e = Local(sock_);
    ip = e.ip;
    port = e.port;
  }
  socket_t socket() const override { return sock_; }

 private:
  const int sock_;
  const std::string buffered_;
  size_t offset_ = 0;
  const int io_timeout_ms_;
};

// httplib's accept loop hands each socket to process_and_close_socket through this
// queue, on its own thread: that only passes the socket to the reader.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

void Wake(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

}  // namespace

// A connection whose request is arriving; owned by the reader thread.
struct GuardedServer::Arriving {
  int fd = -1;
  std::string peer;
  Clock::time_point deadline;
  std::string bytes;
  size_t head_end = 0;  // 0 until the head is whole
  size_t want = 0;      // bytes to read before handing over, once the head is whole
};

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(limits) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ >= 0 && wake_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  }
  new_task_queue = [] { return new InlineTaskQueue; };
}

GuardedServer::~GuardedServer() {
  Stop();
  if (reader_.joinable()) reader_.join();
  {
    MutexLock lock(&queue_mu_);
    queue_closed_ = true;
  }
  queue_cv_.NotifyAll();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool GuardedServer::Serve() {
  if (epoll_fd_ < 0 || wake_fd_ < 0) return false;
  reader_ = std::thread([this] { ReadLoop(); });
  for (int i = 0; i < std::max(1, limits_.threads); ++i) workers_.emplace_back([this] { Work(); });
  bool ok = listen_after_bind();
  {
    MutexLock lock(&mu_);
    stopping_ = true;  // also when listening failed
  }
  Wake(wake_fd_);
  reader_.join();
  {
    MutexLock lock(&queue_mu_);
    queue_closed_ = true;
  }
  queue_cv_.NotifyAll();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  return ok;
}

void GuardedServer::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (wake_fd_ >= 0) Wake(wake_fd_);
  stop();
}

ConnectionCounts GuardedServer::counts() const {
  MutexLock lock(&mu_);
  return counts_;
}

void GuardedServer::Count(int64_t ConnectionCounts::*field) {
  MutexLock lock(&mu_);
  ++(counts_.*field);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      incoming_.push_back(sock);
      sock = -1;
    }
  }
  if (sock >= 0) {
    SendNow(sock, 503, "Service Unavailable", "the server is shutting down");
    CloseSocket(sock);
    return false;
  }
  Wake(wake_fd_);
  return true;
}

void GuardedServer::ReadLoop() {
  std::unordered_map<int, Arriving> arriving;
  std::unordered_map<std::string, int> per_client;
  size_t buffered = 0;

  // Forgets a connection: the reader no longer watches it.
  auto forget = [&](std::unordered_map<int, Arriving>::iterator it) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
    if (--per_client[it->second.peer] <= 0) per_client.erase(it->second.peer);
    buffered -= it->second.bytes.size();
    arriving.erase(it);
  };
  auto refuse = [&](std::unordered_map<int, Arriving>::iterator it, int status, const char* reason,
                    const std::string& message) {
    int fd = it->first;
    forget(it);
    if (status > 0) SendNow(fd, status, reason, message);
    CloseSocket(fd);
  };
  // At a limit, the connection that has been arriving longest makes room: a slow client
  // holding many connections cannot keep a quick one out.
  auto evict_oldest = [&](const std::string* peer, int status, const char* reason, const char* message) {
    auto oldest = arriving.end();
    for (auto it = arriving.begin(); it != arriving.end(); ++it) {
      if (peer != nullptr && it->second.peer != *peer) continue;
      if (oldest == arriving.end() || it->second.deadline < oldest->second.deadline) oldest = it;
    }
    if (oldest != arriving.end()) refuse(oldest, status, reason, message);
  };
  auto admit = [&](int fd) {
    std::string peer = Peer(fd).ip;
    if (arriving.size() >= static_cast<size_t>(limits_.max_pending)) {
      Count(&ConnectionCounts::overloaded);
      evict_oldest(nullptr, 503, "Service Unavailable", "too many connections are sending their request");
    }
    auto client = per_client.find(peer);
    if (client != per_client.end() && client->second >= limits_.max_pending_per_client) {
      Count(&ConnectionCounts::client_limit);
      evict_oldest(&peer, 429, "Too Many Requests", "too many connections of this address are sending their request");
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      CloseSocket(fd);
      return;
    }
    ++per_client[peer];
    Arriving& a = arriving[fd];
    a.fd = fd;
    a.peer = std::move(peer);
    a.deadline = Clock::now() + limits_.request_read_timeout;
  };
  auto hand_over = [&](std::unordered_map<int, Arriving>::iterator it) {
    WholeRequest r{it->first, std::move(it->second.bytes)};
    buffered -= r.bytes.size();
    it->second.bytes.clear();
    forget(it);
    ::fcntl(r.fd, F_SETFL, ::fcntl(r.fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(limits_.io_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((limits_.io_timeout.count() % 1000) * 1000);
    ::setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(r.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    {
      MutexLock lock(&queue_mu_);
      if (queue_.size() < static_cast<size_t>(limits_.max_queued)) {
        queue_.push_back(std::move(r));
        r.fd = -1;
      }
    }
    if (r.fd >= 0) {
      Count(&ConnectionCounts::overloaded);
      SendNow(r.fd, 503, "Service Unavailable", "the server is busy; try again");
      CloseSocket(r.fd);
      return;
    }
    queue_cv_.NotifyOne();
  };
  // Reads what `fd` has; hands the request over once whole.
  auto read_from = [&](int fd) {
    auto it = arriving.find(fd);
    if (it == arriving.end()) return;
    Arriving& a = it->second;
    char chunk[16384];
    for (;;) {
      size_t room = sizeof chunk;
      if (a.head_end == 0) room = std::min(room, limits_.max_head_bytes - a.bytes.size());
      ssize_t n = ::recv(fd, chunk, room, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {  // closed or failed before the request was whole
        refuse(it, 0, "", "");
        return;
      }
      size_t from = a.bytes.size();
      a.bytes.append(chunk, static_cast<size_t>(n));
      buffered += static_cast<size_t>(n);
      if (buffered > limits_.max_pending_bytes) {
        Count(&ConnectionCounts::overloaded);
        refuse(it, 503, "Service Unavailable", "too many request bytes are arriving");
        return;
      }
      if (a.head_end == 0) {
        std::optional<size_t> end = HeadEnd(a.bytes, from);
        if (!end) {
          if (a.bytes.size() >= limits_.max_head_bytes) {
            Count(&ConnectionCounts::head_too_large);
            refuse(it, 431, "Request Header Fields Too Large", "the request head is too large");
            return;
          }
          continue;
        }
        a.head_end = *end;
        HeadFacts facts = ScanHead(std::string_view(a.bytes).substr(0, a.head_end));
        // A body the handlers refuse unread (chunked, too large) is not awaited.
        bool await_body = !facts.chunked && facts.content_length <= limits_.max_body_bytes;
        a.want = a.head_end + (await_body ? facts.content_length : 0);
        if (facts.expect_continue && a.bytes.size() < a.want) {
          const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          [[maybe_unused]] ssize_t sent = ::send(fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      }
      if (a.bytes.size() >= a.want) {
        hand_over(it);
        return;
      }
    }
  };

  epoll_event events[64];
  for (;;) {
    int timeout_ms = -1;
    if (!arriving.empty()) {
      Clock::time_point first = Clock::time_point::max();
      for (const auto& [fd, a] : arriving) first = std::min(first, a.deadline);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(first - Clock::now()).count() + 1;
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, 60000));
    }
    int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) break;
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd != wake_fd_) {
        read_from(fd);
        continue;
      }
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
      std::vector<int> fresh;
      {
        MutexLock lock(&mu_);
        fresh.swap(incoming_);
        stop = stopping_;
      }
      for (int f : fresh) {
        if (stop) {
          SendNow(f, 503, "Service Unavailable", "the server is shutting down");
          CloseSocket(f);
        } else {
          admit(f);
        }
      }
    }
    if (stop) break;
    const Clock::time_point now = Clock::now();
    for (auto it = arriving.begin(); it != arriving.end();) {
      auto next = std::next(it);
      if (it->second.deadline <= now) {
        Count(&ConnectionCounts::timed_out);
        refuse(it, 408, "Request Timeout", "the request did not arrive in time");
      }
      it = next;
    }
  }
  // Stopping: requests still arriving are answered, not dropped.
  while (!arriving.empty()) refuse(arriving.begin(), 503, "Service Unavailable", "the server is shutting down");
  std::vector<int> left;
  {
    MutexLock lock(&mu_);
    left.swap(incoming_);
  }
  for (int f : left) {
    SendNow(f, 503, "Service Unavailable", "the server is shutting down");
    CloseSocket(f);
  }
}

void GuardedServer::Work() {
  for (;;) {
    WholeRequest r;
    {
      MutexLock lock(&queue_mu_);
      while (queue_.empty() && !queue_closed_) queue_cv_.Wait(&queue_mu_);
      if (queue_.empty()) return;  // closed and drained
      r = std::move(queue_.front());
      queue_.pop_front();
    }
    Handle(std::move(r));
  }
}

void GuardedServer::Handle(WholeRequest r) {
  BufferedStream stream(r.fd, std::move(r.bytes), static_cast<int>(limits_.io_timeout.count()));
  bool connection_closed = false;
  process_request(stream, /*close_connection=*/true, connection_closed, nullptr);
  CloseSocket(r.fd);
}

}  // namespace trawl
