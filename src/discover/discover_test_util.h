// Test-only helpers for the discover tests: temporary trees and running real git.
// Thread-safety: none; tests call these from one thread.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace trawl::testing_util {

// A temporary directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trawl_discover_XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    if (getenv("TRAWL_KEEP_TEMP") != nullptr) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, std::string_view content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ShellQuote(std::string_view s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Keeps the user's and the system's git configuration (and global excludes) out of
// the comparison, once per process.
inline void IsolateGit() {
  static TempDir* home_dir = nullptr;  // removed at exit
  if (home_dir != nullptr) return;
  home_dir = new TempDir();
  std::atexit([] { delete home_dir; });
  const std::string& home = home_dir->path();
  setenv("HOME", home.c_str(), 1);
  setenv("XDG_CONFIG_HOME", home.c_str(), 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  setenv("GIT_LITERAL_PATHSPECS", "1", 1);
  unsetenv("GIT_DIR");
  unsetenv("GIT_WORK_TREE");
  unsetenv("GIT_INDEX_FILE");
}

// Runs a shell command; returns its stdout and sets *status to the exit status.
inline std::string Run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) {
    if (status != nullptr) *status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int rc = pclose(f);
  if (status != nullptr) *status = rc;
  return out;
}

inline bool HaveGit() {
  int rc = 0;
  Run("git --version >/dev/null 2>&1", &rc);
  return rc == 0;
}

inline std::vector<std::string> SplitNul(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\0', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

inline void Git(const std::string& dir, const std::string& args) {
  int rc = 0;
  std::string out = Run("git -C " + ShellQuote(dir) + " " + args + " 2>&1", &rc);
  ASSERT_EQ(rc, 0) << "git " << args << ": " << out;
}

// The files git would index in `dir`: tracked ones plus untracked, not ignored ones.
inline std::set<std::string> GitFiles(const std::string& dir) {
  std::set<std::string> files;
  for (const std::string& f :
       SplitNul(Run("git -C " + ShellQuote(dir) + " ls-files -z -o --exclude-standard"))) {
    files.insert(f);
  }
  for (const std::string& f : SplitNul(Run("git -C " + ShellQuote(dir) + " ls-files -z"))) {
    files.insert(f);
  }
  return files;
}

}  // namespace trawl::testing_util
