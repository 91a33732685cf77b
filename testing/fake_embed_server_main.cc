// fake_embed_server: the tests' fake embedding server as a program, for benchmarks
// (e.g. a saturation run against a server that answers each batch after a fixed
// delay). Listens on 127.0.0.1 only. Prints the port on the first line of stdout,
// serves until SIGTERM or SIGINT, then prints its counts as JSON on stderr.
//
//   fake_embed_server [--port N] [--delay-ms N] [--dims N] [--protocol both|openai|ollama]
//                     [--fail-every N] [--fail-after N] [--rate-limit-first N] [--retry-after S]
//                     [--too-long-chars N] [--api-key KEY]
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "testing/fake_embed_server.h"

namespace {

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "fake_embed_server: " << error << "\n"
            << "usage: fake_embed_server [--port N] [--delay-ms N] [--dims N] [--protocol both|openai|ollama]\n"
            << "                         [--fail-every N] [--fail-after N] [--rate-limit-first N] [--retry-after S]\n"
            << "                         [--too-long-chars N] [--api-key KEY]\n";
  std::exit(2);
}

int ToInt(std::string_view flag, const std::string& v) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  Usage(std::string(flag) + ": expected an integer >= 0, got '" + v + "'");
}

}  // namespace

int main(int argc, char** argv) {
  trawl::FakeEmbedFaults faults;
  faults.retry_after = "1";
  auto protocols = trawl::FakeEmbedServer::Protocols::kBoth;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (flag == "--help" || flag == "-h") {
      Usage("help");
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Usage(flag + ": missing value");
    }
    if (flag == "--port") {
      port = ToInt(flag, value);
    } else if (flag == "--delay-ms") {
      faults.delay_ms = ToInt(flag, value);
    } else if (flag == "--dims") {
      faults.dims = ToInt(flag, value);
    } else if (flag == "--fail-every") {
      faults.fail_every = ToInt(flag, value);
    } else if (flag == "--fail-after") {
      faults.fail_after = ToInt(flag, value);
    } else if (flag == "--rate-limit-first") {
      faults.rate_limit_first = ToInt(flag, value);
    } else if (flag == "--retry-after") {
      faults.retry_after = value;
    } else if (flag == "--too-long-chars") {
      faults.too_long_chars = ToInt(flag, value);
    } else if (flag == "--api-key") {
      faults.api_key = value;
    } else if (flag == "--protocol") {
      if (value == "both") {
        protocols = trawl::FakeEmbedServer::Protocols::kBoth;
      } else if (value == "openai") {
        protocols = trawl::FakeEmbedServer::Protocols::kOpenAI;
      } else if (value == "ollama") {
        protocols = trawl::FakeEmbedServer::Protocols::kOllama;
      } else {
        Usage("--protocol: expected both, openai or ollama");
      }
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (faults.dims < 1) Usage("--dims: expected an integer >= 1");

  // Block the stop signals in every thread (the server's threads inherit the mask),
  // then wait for one here: no work in a signal handler.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  trawl::FakeEmbedServer server(faults, protocols);
  trawl::Status st = server.Start(port);
  if (!st.ok()) {
    std::cerr << "fake_embed_server: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << server.port() << std::endl;
  std::cerr << "fake_embed_server: listening on " << server.url() << "\n";

  int sig = 0;
  sigwait(&stop, &sig);
  server.Stop();
  trawl::FakeEmbedServer::Stats s = server.GetStats();
  nlohmann::json out = {{"requests", s.requests},
                        {"texts", s.texts},
                        {"max_in_flight", s.max_in_flight},
                        {"connections", s.connections}};
  std::cerr << out.dump() << "\n";
  return 0;
}
