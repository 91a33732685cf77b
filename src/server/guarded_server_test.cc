// GuardedServer on loopback with small limits (also run under ThreadSanitizer: label
// "concurrency"): whole requests are served, slow ones are answered 408 without holding
// a request thread, the bounds evict the connection arriving longest, large heads are
// 431, bodies beyond the limit are handed over unread, and Stop answers what is
// still arriving. Every wait is bounded.
#include "server/guarded_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void Send(int fd, const std::string& s) { ::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// Everything the server sends until it closes, or `seconds` pass.
std::string ReadAll(int fd, double seconds = 5) {
  std::string got;
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

int StatusOf(const std::string& answer) {
  return answer.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(answer.c_str() + 9) : 0;
}

class GuardedServerTest : public ::testing::Test {
 protected:
  void Start(ConnectionLimits limits) {
    server_ = std::make_unique<GuardedServer>(limits);
    server_->Get("/hello", [](const httplib::Request&, httplib::Response& res) { res.set_content("hi", "text/plain"); });
    server_->Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      posts_.fetch_add(1);
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      // As the API does: a body over the limit is refused on its head.
      if (req.get_header_value<uint64_t>("Content-Length") > 1000) {
        res.status = 413;
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    serve_ = std::thread([this] { server_->Serve(); });
    // Up once a request is answered.
    auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline && Get("/hello") != 200) std::this_thread::sleep_for(10ms);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (serve_.joinable()) serve_.join();
  }

  int Get(const std::string& path, std::string* answer = nullptr) {
    int fd = Connect(port_);
    if (fd < 0) return 0;
    Send(fd, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string got = ReadAll(fd);
    ::close(fd);
    if (answer) *answer = got;
    return StatusOf(got);
  }

  std::unique_ptr<GuardedServer> server_;
  std::thread serve_;
  int port_ = 0;
  std::atomic<int> posts_{0};
};

TEST_F(GuardedServerTest, WholeRequestsAreServedWhateverTheirPacketing) {
  ConnectionLimits l;
  l.threads = 2;
  Start(l);
  std::string answer;
  EXPECT_EQ(Get("/hello", &answer), 200);
  EXPECT_NE(answer.find("\r\n\r\nhi"), std::string::npos) << answer;
  EXPECT_EQ(Get("/nothing"), 404);

  // A head and body in pieces, the body split across the head's last packet.
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  Send(fd, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-");
  std::this_thread::sleep_for(50ms);
  Send(fd, "Length: 10\r\nContent-Type: text/plain\r\n\r\n0123");
  std::this_thread::sleep_for(50ms);
  Send(fd, "456789");
  answer = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_NE(answer.find("\r\n\r\n10"), std::string::npos) << answer;

  // Expect: 100-continue is answered before the body is sent.
  fd = Connect(port_);
  ASSERT_GE(fd, 0);
  Send(fd, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  std::string interim;
  auto deadline = Clock::now() + 5s;
  while (interim.find("100 Continue") == std::string::npos && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    interim.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  Send(fd, "abc");
  answer = interim + ReadAll(fd);
  ::close(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
}

TEST_F(GuardedServerTest, SlowRequestsHoldNoThreadAndAreAnswered408) {
  ConnectionLimits l;
  l.threads = 1;  // one request thread: a slow request holding it would stop everything
  l.request_read_timeout = 1000ms;
  Start(l);
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    Send(fd, i % 2 ? "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                   : "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab");
    slow.push_back(fd);
  }
  // Served while they hold their sockets.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("/hello"), 200);
  auto t0 = Clock::now();
  for (int fd : slow) {
    EXPECT_EQ(StatusOf(ReadAll(fd, 5)), 408);
    ::close(fd);
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 4.0) << "408 comes with the deadline";
  EXPECT_EQ(posts_.load(), 0) << "an incomplete body never reaches a handler";
  EXPECT_EQ(server_->counts().timed_out, 6);
}

TEST_F(GuardedServerTest, BoundsEvictTheConnectionArrivingLongest) {
  ConnectionLimits l;
  l.threads = 2;
  l.max_pending_per_client = 3;
  l.request_read_timeout = 10000ms;
  Start(l);
  std::vector<int> slow;
  for (int i = 0; i < 3; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    Send(fd, "GET /hello HTTP/1.1\r\n");
    slow.push_back(fd);
    std::this_thread::sleep_for(30ms);  // an order of arrival
  }
  std::this_thread::sleep_for(100ms);
  // A fourth connection of the address makes room: the first is answered 429.
  EXPECT_EQ(Get("/hello"), 200);
  EXPECT_EQ(StatusOf(ReadAll(slow[0], 5)), 429);
  for (int fd : slow) ::close(fd);
  EXPECT_EQ(server_->counts().client_limit, 1);
}

TEST_F(GuardedServerTest, LargeHeadsAre431AndLargeBodiesAreHandedOverUnread) {
  ConnectionLimits l;
  l.threads = 2;
  l.max_head_bytes = 4096;
  l.max_body_bytes = 1000;
  Start(l);
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  Send(fd, "GET /hello HTTP/1.1\r\nX-Big: " + std::string(8000, 'a'));
  EXPECT_EQ(StatusOf(ReadAll(fd)), 431);
  ::close(fd);
  // A declared body over the limit: the head goes to the handlers at once, which refuse it.
  fd = Connect(port_);
  ASSERT_GE(fd, 0);
  auto t0 = Clock::now();
  Send(fd, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500000000\r\n\r\n");
  EXPECT_EQ(StatusOf(ReadAll(fd)), 413);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 2.0);
  ::close(fd);
  EXPECT_EQ(posts_.load(), 0);
  EXPECT_EQ(server_->counts().head_too_large, 1);
}

TEST_F(GuardedServerTest, StopAnswersRequestsStillArriving) {
  ConnectionLimits l;
  l.threads = 2;
  Start(l);
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  Send(fd, "GET /hello HTTP/1.1\r\n");
  std::this_thread::sleep_for(100ms);
  server_->Stop();
  serve_.join();
  EXPECT_EQ(StatusOf(ReadAll(fd)), 503);
  ::close(fd);
}

}  // namespace
}  // namespace trawl
