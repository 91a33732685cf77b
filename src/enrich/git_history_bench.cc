// Speed of GitHistory::Load. Prints figures and one JSON line; never asserts.
//   git_history_bench [repo_or_subdir] [--runs N] [--commits N] [--files N] [--keep] [--dump]
// --keep leaves the generated repository; --dump prints "path commit commits" per file.
// Without a repository it generates one under $TMPDIR with `git fast-import`: by default
// 2000 commits over 500 files in nested directories, 5 files changed per commit, a merged
// side branch every 100 commits.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "enrich/git_history.h"

namespace {

namespace fs = std::filesystem;

struct RepoShape {
  int commits = 2000;
  int files = 500;
  int files_per_commit = 5;
};

std::string FilePath(int f) {
  return "d" + std::to_string(f % 20) + "/s" + std::to_string(f % 7) + "/f" + std::to_string(f) + ".txt";
}

void Data(FILE* out, const std::string& s) {
  std::fprintf(out, "data %zu\n%s\n", s.size(), s.c_str());
}

// Emits a fast-import stream; returns false when git fails.
bool GenerateRepo(const std::string& dir, const RepoShape& shape) {
  std::string cmd = "git init -q -b main '" + dir + "' && cd '" + dir + "' && git fast-import --quiet";
  FILE* out = popen(cmd.c_str(), "w");
  if (out == nullptr) return false;
  uint64_t rng = 42;
  auto next = [&rng, &shape] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((rng >> 33) % shape.files);
  };
  long t = 1600000000;
  auto header = [&](const char* ref, int mark, const std::string& msg) {
    std::fprintf(out, "commit %s\nmark :%d\n", ref, mark);
    std::fprintf(out, "author Bench <bench@example.com> %ld +0000\n", t);
    std::fprintf(out, "committer Bench <bench@example.com> %ld +0000\n", t);
    ++t;
    Data(out, msg);
  };
  int mark = 0;
  int last_main = 0;
  for (int c = 0; c < shape.commits; ++c) {
    bool merge = c > 0 && c % 100 == 0;
    int side = 0;
    int side_file = 0;
    std::string side_content;
    if (merge) {  // a side commit forked from main, then merged
      side = ++mark;
      header("refs/heads/side", side, "side " + std::to_string(c));
      std::fprintf(out, "from :%d\n", last_main);
      side_file = next();
      side_content = "side change " + std::to_string(c) + "\n";
      std::fprintf(out, "M 100644 inline %s\n", FilePath(side_file).c_str());
      Data(out, side_content);
    }
    header("refs/heads/main", ++mark, "commit " + std::to_string(c));
    if (last_main != 0) std::fprintf(out, "from :%d\n", last_main);
    if (merge) {  // fast-import does not merge trees: bring the side change in
      std::fprintf(out, "merge :%d\n", side);
      std::fprintf(out, "M 100644 inline %s\n", FilePath(side_file).c_str());
      Data(out, side_content);
    }
    if (c == 0) {
      for (int f = 0; f < shape.files; ++f) {
        std::fprintf(out, "M 100644 inline %s\n", FilePath(f).c_str());
        Data(out, "file " + std::to_string(f) + "\n");
      }
    } else {
      for (int k = 0; k < shape.files_per_commit; ++k) {
        std::fprintf(out, "M 100644 inline %s\n", FilePath(next()).c_str());
        Data(out, "commit " + std::to_string(c) + " change " + std::to_string(k) + "\n");
      }
    }
    last_main = mark;
  }
  int rc = pclose(out);
  return rc == 0 && std::system(("cd '" + dir + "' && git checkout -q main").c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string repo;
  int runs = 5;
  RepoShape shape;
  bool keep = false;
  bool dump = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (arg == "--commits" && i + 1 < argc) {
      shape.commits = std::atoi(argv[++i]);
    } else if (arg == "--files" && i + 1 < argc) {
      shape.files = std::atoi(argv[++i]);
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--dump") {
      dump = true;
    } else {
      repo = arg;
    }
  }
  std::string generated;
  if (repo.empty()) {
    generated = (fs::temp_directory_path() / ("trawl_git_bench_" + std::to_string(getpid()))).string();
    if (!GenerateRepo(generated, shape)) {
      std::fprintf(stderr, "generating the repository failed\n");
      return 1;
    }
    repo = generated;
  }
  double best_ms = 1e100;
  size_t files = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    trawl::Result<trawl::GitHistory> h = trawl::GitHistory::Load(repo);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!h.ok()) {
      std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
      return 1;
    }
    files = h->size();
    if (dump && r == 0) {
      FILE* ls = popen(("cd '" + repo + "' && git ls-files").c_str(), "r");
      char line[4096];
      while (ls != nullptr && std::fgets(line, sizeof line, ls) != nullptr) {
        std::string path(line);
        if (!path.empty() && path.back() == '\n') path.pop_back();
        const trawl::GitFileInfo* f = h->Find(path);
        std::printf("%s %s %d\n", path.c_str(), f ? f->commit.c_str() : "-", f ? f->commits : 0);
      }
      if (ls != nullptr) pclose(ls);
    }
    best_ms = std::min(best_ms, ms);
  }
  std::string count_cmd = "git -C '" + repo + "' rev-list --count HEAD";
  FILE* p = popen(count_cmd.c_str(), "r");
  long commits = 0;
  if (p != nullptr) {
    if (std::fscanf(p, "%ld", &commits) != 1) commits = 0;
    pclose(p);
  }
  double per_s = best_ms > 0 ? commits / (best_ms / 1000.0) : 0;
  std::printf("repo %s: %ld commits, %zu files, best of %d: %.1f ms, %.0f commits/s\n", repo.c_str(),
              commits, files, runs, best_ms, per_s);
  std::printf("{\"bench\":\"git_history_load\",\"commits\":%ld,\"files\":%zu,\"ms\":%.2f,\"commits_per_s\":%.0f}\n",
              commits, files, best_ms, per_s);
  if (!generated.empty() && !keep) fs::remove_all(generated);
  return 0;
}
