// The remote embedders against testing/fake_embed_server on 127.0.0.1: both
// protocols, every fault the server can inject, concurrent callers, the adaptive
// limiter and cancellation.
#include "embed/remote_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_embed_server.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Vector Normalised(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

void ExpectVectorFor(const Vector& got, std::string_view text, int dims = 8) {
  Vector want = Normalised(FakeEmbedServer::VectorFor(text, dims));
  ASSERT_EQ(got.size(), want.size()) << text;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << text << " [" << i << "]";
}

bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

RemoteTuning Fast() {
  RemoteTuning t;
  t.initial_backoff = milliseconds(5);
  t.max_backoff = milliseconds(50);
  return t;
}

class RemoteEmbedderTest : public ::testing::Test {
 protected:
  void StartServer(const FakeEmbedFaults& faults = {}) {
    server_ = std::make_unique<FakeEmbedServer>(faults);
    ASSERT_TRUE(server_->Start().ok());
  }
  EmbeddingOptions Options(EmbedProtocol protocol = EmbedProtocol::kOpenAI) const {
    EmbeddingOptions o;
    o.provider = protocol == EmbedProtocol::kOpenAI ? "openai" : "ollama";
    o.model = "test-model";
    o.url = server_ ? server_->url() : "";
    o.timeout_ms = 5000;
    o.max_retries = 4;
    o.max_parallel_batches = 4;
    return o;
  }
  static std::unique_ptr<RemoteEmbedder> Make(const EmbeddingOptions& o, const RemoteTuning& t = Fast()) {
    auto r = RemoteEmbedder::Create(o.provider == "openai" ? EmbedProtocol::kOpenAI : EmbedProtocol::kOllama, o, t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Declared first: outlives the embedders the tests make (their connections close first).
  std::unique_ptr<FakeEmbedServer> server_;
};

TEST_F(RemoteEmbedderTest, OpenAIPlacesVectorsByIndexAndNormalises) {
  StartServer();  // answers data[] in reverse order
  auto e = Make(Options());
  EXPECT_EQ(e->Name(), "openai:test-model");
  EXPECT_TRUE(e->IsRemote());
  EXPECT_EQ(e->Dimensions(), 0);
  std::vector<std::string_view> texts = {"alpha", "beta", "gamma"};
  auto r = e->Embed(texts, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) ExpectVectorFor((*r)[i], texts[i]);
  EXPECT_EQ(e->Dimensions(), 8);
  auto stats = server_->GetStats();
  EXPECT_EQ(stats.last_path, "/v1/embeddings");
  EXPECT_EQ(stats.last_model, "test-model");
  EXPECT_EQ(stats.last_authorization, "");
  EXPECT_EQ(e->GetCounters().requests, 1);
  EXPECT_EQ(e->ThrottleState(), "");
}

TEST_F(RemoteEmbedderTest, Ollama) {
  StartServer();
  auto e = Make(Options(EmbedProtocol::kOllama));
  EXPECT_EQ(e->Name(), "ollama:test-model");
  auto r = e->Embed({"one", "two"}, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectVectorFor((*r)[0], "one");
  ExpectVectorFor((*r)[1], "two");
  EXPECT_EQ(server_->GetStats().last_path, "/api/embed");
}

TEST_F(RemoteEmbedderTest, UrlWithOrWithoutV1) {
  StartServer();
  for (std::string suffix : {"", "/", "/v1", "/v1/", "//"}) {
    EmbeddingOptions o = Options();
    o.url = server_->url() + suffix;
    auto e = Make(o);
    ASSERT_TRUE(e->Embed({"x"}, nullptr).ok()) << suffix;
    EXPECT_EQ(server_->GetStats().last_path, "/v1/embeddings") << suffix;
  }
  EmbeddingOptions o = Options();
  o.url = server_->url() + "/proxy/v1/";
  auto e = Make(o);
  ASSERT_TRUE(e->Embed({"x"}, nullptr).ok());
  EXPECT_EQ(server_->GetStats().last_path, "/proxy/v1/embeddings");
  EXPECT_EQ(e->Endpoint(), server_->url() + "/proxy/v1/embeddings");

  o = Options(EmbedProtocol::kOllama);
  o.url = "127.0.0.1:" + std::to_string(server_->port()) + "/";  // no scheme: http
  auto ollama = Make(o);
  ASSERT_TRUE(ollama->Embed({"x"}, nullptr).ok());
  EXPECT_EQ(server_->GetStats().last_path, "/api/embed");

  o.url = "ftp://127.0.0.1/";
  EXPECT_EQ(RemoteEmbedder::Create(EmbedProtocol::kOllama, o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RemoteEmbedderTest, ApiKeyFromTheNamedVariable) {
  FakeEmbedFaults f;
  f.api_key = "sekret";
  StartServer(f);
  EmbeddingOptions o = Options();
  o.api_key_env = "TRAWL_TEST_EMBED_KEY";

  ::unsetenv("TRAWL_TEST_EMBED_KEY");
  auto missing = RemoteEmbedder::Create(EmbedProtocol::kOpenAI, o);
  ASSERT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(missing.status().message(), "$TRAWL_TEST_EMBED_KEY")) << missing.status().message();

  ::setenv("TRAWL_TEST_EMBED_KEY", "sekret", 1);
  auto e = Make(o);
  ASSERT_TRUE(e->Embed({"x"}, nullptr).ok());
  EXPECT_EQ(server_->GetStats().last_authorization, "Bearer sekret");

  ::setenv("TRAWL_TEST_EMBED_KEY", "wrong", 1);
  auto bad = Make(o);
  auto r = bad->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(r.status().message(), "refused the API key from $TRAWL_TEST_EMBED_KEY (401)"))
      << r.status().message();
  EXPECT_EQ(bad->GetCounters().requests, 1);  // never retried
  ::unsetenv("TRAWL_TEST_EMBED_KEY");

  // No key configured at all: the message says how to configure one.
  auto none = Make(Options());
  r = none->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(r.status().message(), "api_key_env")) << r.status().message();
}

TEST_F(RemoteEmbedderTest, RateLimitHonoursRetryAfterAndReportsThrottling) {
  FakeEmbedFaults f;
  f.rate_limit_first = 1;
  f.retry_after = "1";
  StartServer(f);
  auto e = Make(Options());
  std::atomic<bool> done{false};
  std::vector<std::string> states;
  std::thread watcher([&] {
    while (!done) {
      std::string s = e->ThrottleState();
      if (!s.empty() && (states.empty() || states.back() != s)) states.push_back(s);
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  auto t0 = Clock::now();
  auto r = e->Embed({"x"}, nullptr);
  auto took = Clock::now() - t0;
  done = true;
  watcher.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(took, milliseconds(1000));
  EXPECT_LT(took, milliseconds(3000));
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.front(), "throttled, retrying in 1 s");
  EXPECT_EQ(e->ThrottleState(), "");
  Embedder::Counters c = e->GetCounters();
  EXPECT_EQ(c.requests, 2);
  EXPECT_EQ(c.retries, 1);
  EXPECT_EQ(c.throttled, 1);
  EXPECT_GE(c.throttled_s, 0.9);
  EXPECT_LT(c.throttled_s, 3.0);
}

TEST_F(RemoteEmbedderTest, RateLimitHonoursResetHeaderOverOwnBackoff) {
  FakeEmbedFaults f;
  f.rate_limit_first = 3;
  f.retry_after = "";
  f.reset_requests = "30ms";
  f.reset_tokens = "6m0s";  // not the exhausted limit: ignored
  StartServer(f);
  RemoteTuning slow;
  slow.initial_backoff = milliseconds(20000);  // would take minutes without the header
  auto e = Make(Options(), slow);
  auto t0 = Clock::now();
  auto r = e->Embed({"x"}, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(2000));
  EXPECT_GE(Clock::now() - t0, milliseconds(90));
  EXPECT_EQ(e->GetCounters().throttled, 3);
}

TEST_F(RemoteEmbedderTest, ServerErrorsAndDroppedConnectionsAreRetried) {
  FakeEmbedFaults f;
  f.fail_first = 2;
  f.drop_first = 2;
  StartServer(f);
  auto e = Make(Options());
  auto r = e->Embed({"a", "b"}, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectVectorFor((*r)[1], "b");
  Embedder::Counters c = e->GetCounters();
  EXPECT_EQ(c.requests, 5);
  EXPECT_EQ(c.retries, 4);
  EXPECT_EQ(c.throttled, 0);
}

TEST_F(RemoteEmbedderTest, RetriesSpentIsUnavailableWithTheReason) {
  FakeEmbedFaults f;
  f.fail_first = 1000;
  StartServer(f);
  EmbeddingOptions o = Options();
  o.max_retries = 2;
  auto e = Make(o);
  auto r = e->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "after 3 attempts")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "HTTP 500")) << r.status().message();
  EXPECT_EQ(server_->GetStats().requests, 3);
}

TEST_F(RemoteEmbedderTest, TimeoutsAreRetriedThenUnavailable) {
  FakeEmbedFaults f;
  f.delay_ms = 400;
  StartServer(f);
  EmbeddingOptions o = Options();
  o.timeout_ms = 100;
  o.max_retries = 1;
  auto e = Make(o);
  auto r = e->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "no answer")) << r.status().message();
  EXPECT_EQ(e->GetCounters().requests, 2);
  // The server recovers: so does the embedder (fresh connections).
  f.delay_ms = 0;
  server_->SetFaults(f);
  EXPECT_TRUE(e->Embed({"x"}, nullptr).ok());
}

TEST_F(RemoteEmbedderTest, RefusedConnectionIsUnavailable) {
  StartServer();
  EmbeddingOptions o = Options();
  server_->Stop();  // nothing listens on that port now
  o.max_retries = 2;
  auto e = Make(o);
  auto r = e->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "cannot connect")) << r.status().message();
  EXPECT_EQ(e->GetCounters().requests, 3);
}

TEST_F(RemoteEmbedderTest, BadAnswersAreInvalidArgumentNeverVectors) {
  StartServer();
  auto check = [&](FakeEmbedFaults f, std::string_view what, std::string_view expect) {
    server_->SetFaults(f);
    auto e = Make(Options());
    e->SetDimensions(8);
    auto r = e->Embed({"a", "b", "c"}, nullptr);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << what;
    EXPECT_TRUE(Contains(r.status().message(), expect)) << what << ": " << r.status().message();
    EXPECT_EQ(e->GetCounters().requests, 1) << what;  // not retried
  };
  FakeEmbedFaults f;
  f.wrong_dims = true;
  check(f, "wrong dimension", "9-dimensional vectors, expected 8");
  f = {};
  f.nan = true;
  check(f, "NaN", "NaN or infinite");
  f = {};
  f.inf = true;
  check(f, "infinity", "NaN or infinite");
  f = {};
  f.wrong_count = true;
  check(f, "wrong count", "2 vectors for 3 texts");
  f = {};
  f.wrong_count = true;
  f.reverse_order = false;
  server_->SetFaults(f);
  auto ollama = Make(Options(EmbedProtocol::kOllama));
  EXPECT_EQ(ollama->Embed({"a", "b"}, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RemoteEmbedderTest, DimensionIsLearnedOnceThenChecked) {
  StartServer();
  auto e = Make(Options());
  ASSERT_TRUE(e->Embed({"a"}, nullptr).ok());
  EXPECT_EQ(e->Dimensions(), 8);
  FakeEmbedFaults f;
  f.dims = 16;
  server_->SetFaults(f);
  auto r = e->Embed({"a"}, nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "16-dimensional vectors, expected 8")) << r.status().message();

  // embeddings.dimensions set: checked from the first answer on.
  EmbeddingOptions o = Options();
  o.dimensions = 8;
  auto configured = Make(o);
  EXPECT_EQ(configured->Dimensions(), 8);
  EXPECT_EQ(configured->Embed({"a"}, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RemoteEmbedderTest, EnsureDimensionsProbesOnlyWhenUnknown) {
  StartServer();
  auto e = Make(Options());
  ASSERT_TRUE(e->EnsureDimensions(nullptr).ok());
  EXPECT_EQ(e->Dimensions(), 8);
  ASSERT_TRUE(e->EnsureDimensions(nullptr).ok());
  EXPECT_EQ(server_->GetStats().requests, 1);

  auto known = Make(Options());
  known->SetDimensions(8);
  ASSERT_TRUE(known->EnsureDimensions(nullptr).ok());
  EXPECT_EQ(server_->GetStats().requests, 1);
}

TEST_F(RemoteEmbedderTest, TooLongInputIsFoundByBisectionAndTruncated) {
  FakeEmbedFaults f;
  f.too_long_chars = 100;
  StartServer(f);
  auto e = Make(Options());
  std::string long_text(300, 'x');
  for (size_t i = 0; i < long_text.size(); ++i) long_text[i] = static_cast<char>('a' + i % 26);
  std::vector<std::string_view> texts = {"one", "two", long_text, "four", "five"};
  auto r = e->Embed(texts, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  for (size_t i : {0u, 1u, 3u, 4u}) ExpectVectorFor((*r)[i], texts[i]);
  ExpectVectorFor((*r)[2], std::string_view(long_text).substr(0, 75));  // 300 -> 150 -> 75
  EXPECT_EQ(e->GetCounters().truncated, 1);

  // Far too long even after max_truncations halvings: an error for that batch.
  f.too_long_chars = 10;
  server_->SetFaults(f);
  auto hopeless = e->Embed({std::string_view(long_text)}, nullptr);
  ASSERT_EQ(hopeless.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(hopeless.status().message(), "too long")) << hopeless.status().message();
}

TEST_F(RemoteEmbedderTest, OtherClientErrorsAreInvalidArgumentWithTheServersMessage) {
  FakeEmbedFaults f;
  f.unknown_model = "test-model";
  StartServer(f);
  auto e = Make(Options());
  auto r = e->Embed({"x"}, nullptr);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "HTTP 404")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "model 'test-model' not found")) << r.status().message();
  EXPECT_EQ(e->GetCounters().requests, 1);
}

TEST_F(RemoteEmbedderTest, SplitsCallsLargerThanTheBatchSize) {
  StartServer();
  EmbeddingOptions o = Options();
  o.batch_size = 2;
  auto e = Make(o);
  auto r = e->Embed({"a", "b", "c", "d", "e"}, nullptr);
  ASSERT_TRUE(r.ok());
  ExpectVectorFor((*r)[4], "e");
  EXPECT_EQ(server_->GetStats().batch_sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_TRUE(e->Embed({}, nullptr).ok());
  EXPECT_EQ(server_->GetStats().requests, 3);
}

TEST_F(RemoteEmbedderTest, ConcurrentCallersShareKeepAliveConnectionsWithinTheLimit) {
  FakeEmbedFaults f;
  f.delay_ms = 20;
  StartServer(f);
  EmbeddingOptions o = Options();
  o.max_parallel_batches = 4;
  auto e = Make(o);
  constexpr int kThreads = 8, kCalls = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string a = "text " + std::to_string(t) + "/" + std::to_string(i), b = a + " more";
        auto r = e->Embed({a, b}, nullptr);
        if (!r.ok() || r->size() != 2) {
          ++failures;
          continue;
        }
        ExpectVectorFor((*r)[0], a);
        ExpectVectorFor((*r)[1], b);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto stats = server_->GetStats();
  EXPECT_EQ(stats.requests, kThreads * kCalls);
  EXPECT_LE(stats.max_in_flight, 4);
  EXPECT_GE(stats.max_in_flight, 3);
  EXPECT_LE(stats.connections, 4);  // kept alive and reused, one per request in flight
}

TEST_F(RemoteEmbedderTest, AdaptiveLimitHalvesOn429ThenRecovers) {
  FakeEmbedFaults f;
  f.delay_ms = 5;
  f.rate_limit_first = 8;
  f.retry_after = "";
  f.reset_requests = "50ms";
  StartServer(f);
  EmbeddingOptions o = Options();
  o.max_parallel_batches = 8;
  o.max_retries = 20;
  auto e = Make(o);
  EXPECT_EQ(e->ConcurrencyLimit(), 8);
  std::atomic<bool> done{false};
  std::atomic<int> min_limit{8};
  std::thread watcher([&] {
    while (!done) {
      min_limit = std::min(min_limit.load(), e->ConcurrencyLimit());
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        if (!e->Embed({"t" + std::to_string(t * 100 + i)}, nullptr).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(min_limit.load(), 4);       // went down on the 429s...
  EXPECT_EQ(e->ConcurrencyLimit(), 8);  // ...and came back with the successes
  Embedder::Counters c = e->GetCounters();
  EXPECT_EQ(c.throttled, 8);
  EXPECT_EQ(c.requests, 8 * 15 + 8);
  EXPECT_GT(c.throttled_s, 0.04);
}

TEST_F(RemoteEmbedderTest, CancelInterruptsBackoffPromptly) {
  FakeEmbedFaults f;
  f.rate_limit_first = 1000;
  f.retry_after = "30";
  StartServer(f);
  auto e = Make(Options());
  std::atomic<bool> cancel{false};
  Result<std::vector<Vector>> r = Status::Internal("not run");
  std::thread caller([&] { r = e->Embed({"x"}, &cancel); });
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (e->ThrottleState().empty() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  std::string state = e->ThrottleState();
  EXPECT_TRUE(state == "throttled, retrying in 30 s" || state == "throttled, retrying in 31 s" ||
              state == "throttled, retrying in 29 s")
      << state;
  auto t0 = Clock::now();
  cancel = true;
  caller.join();
  EXPECT_LT(Clock::now() - t0, milliseconds(500));
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(e->ThrottleState(), "");
  EXPECT_EQ(e->GetCounters().requests, 1);
}

TEST_F(RemoteEmbedderTest, MakeEmbedderBuildsTheRemoteProviders) {
  StartServer();
  auto openai = MakeEmbedder(Options());
  ASSERT_TRUE(openai.ok()) << openai.status().ToString();
  EXPECT_EQ((*openai)->Name(), "openai:test-model");
  EXPECT_TRUE((*openai)->IsRemote());
  auto ollama = MakeEmbedder(Options(EmbedProtocol::kOllama));
  ASSERT_TRUE(ollama.ok());
  EXPECT_EQ((*ollama)->Name(), "ollama:test-model");
  ASSERT_TRUE((*ollama)->Embed({"x"}, nullptr).ok());

  EmbeddingOptions o = Options();
  o.model = "";
  EXPECT_EQ(MakeEmbedder(o).status().code(), StatusCode::kInvalidArgument);
  o.provider = "magic";
  EXPECT_EQ(MakeEmbedder(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
