// Helpers for whole-program tests: run the real trawl binary on generated trees.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace trawl::e2e {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string Binary() {
  const char* b = std::getenv("TRAWL_BINARY");
  return b ? b : "trawl";
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The user config directory of every trawl the tests start (trust records, config.yaml):
// one per test process, never the user's own.
// Removed when the test process exits.
inline const std::string& TestConfigDir() {
  static const std::string dir = [] {
    std::string d = (fs::temp_directory_path() / ("trawl_e2e_config_" + std::to_string(::getpid()))).string();
    ::setenv("TRAWL_CONFIG_DIR", d.c_str(), 1);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(std::getenv("TRAWL_CONFIG_DIR"), ec);
    });
    return d;
  }();
  return dir;
}

// Runs `trawl <args>` (args already shell-quoted as needed) in `cwd`, under `wrapper`
// (a command prefix such as setpriv's) when given.
inline RunResult Trawl(const std::string& args, const fs::path& cwd = fs::current_path(),
                       const std::string& wrapper = "") {
  static std::atomic<int> counter{0};  // tests may run trawl from several threads
  TestConfigDir();
  fs::path tmp = fs::temp_directory_path() / ("trawl_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::string cmd = "cd " + Quote(cwd.string()) + " && " + wrapper + Quote(Binary()) + " " + args + " >" +
                    Quote(tmp.string() + ".out") + " 2>" + Quote(tmp.string() + ".err") + " </dev/null";
  int rc = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = Slurp(tmp.string() + ".out");
  r.err = Slurp(tmp.string() + ".err");
  fs::remove(tmp.string() + ".out");
  fs::remove(tmp.string() + ".err");
  return r;
}

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = fs::temp_directory_path() / ("trawl_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A small multi-language project with known functions.
inline void MakeProject(const fs::path& root, int extra_files = 0) {
  WriteFile(root / "pkg/parser.py",
            "import os\n\n\nclass ConfigParser:\n    \"\"\"Reads settings.\"\"\"\n\n"
            "    def parse_file(self, path):\n        with open(path) as f:\n            return self.parse_text(f.read())\n\n"
            "    def parse_text(self, text):\n        return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)\n\n\n"
            "def checksum_of_bytes(data):\n    total = 0\n    for b in data:\n        total = (total * 31 + b) % 65521\n    return total\n");
  WriteFile(root / "src/net.c",
            "#include <stdio.h>\n\nstatic int retry_count = 3;\n\nint open_socket_with_timeout(const char *host, int port, int timeout_ms) {\n"
            "    (void)host; (void)port;\n    return timeout_ms > 0 ? retry_count : -1;\n}\n");
  WriteFile(root / "web/app.js",
            "export function renderWidget(el, model) {\n  el.textContent = model.title;\n  return el;\n}\n\n"
            "export class WidgetStore {\n  constructor() { this.items = []; }\n  add(item) { this.items.push(item); }\n}\n");
  WriteFile(root / "README.md", "# Demo\n\nA demo project.\n\n## Usage\n\nRun it.\n");
  WriteFile(root / "node_modules/dep/index.js", "module.exports = 1;\n");
  for (int i = 0; i < extra_files; ++i) {
    std::ostringstream s;
    s << "\"\"\"Module " << i << ".\"\"\"\n\n";
    for (int f = 0; f < 8; ++f) {
      s << "def function_" << i << "_" << f << "(value, scale=" << f << "):\n"
        << "    result = value * scale + " << i << "\n"
        << "    for step in range(" << (f + 2) << "):\n"
        << "        result = (result * 7 + step) % 1000003\n"
        << "    return result\n\n\n";
    }
    WriteFile(root / ("gen/mod_" + std::to_string(i / 100) + "/m" + std::to_string(i) + ".py"), s.str());
  }
}

}  // namespace trawl::e2e
