#include "discover/discover.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "discover/discover_test_util.h"

namespace trawl {
namespace {

using testing_util::Git;
using testing_util::TempDir;
using testing_util::WriteFile;

std::vector<FileEntry> Walk(const std::string& root, DiscoverOptions opt = {}) {
  opt.root = root;
  Result<std::vector<FileEntry>> r = Discover(opt);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<FileEntry>{};
}

DiscoverOptions WithSkipped() {
  DiscoverOptions opt;
  opt.report_skipped = true;
  opt.require_git = false;  // these trees are not git work trees
  return opt;
}

DiscoverOptions GitignoreEverywhere() {
  DiscoverOptions opt;
  opt.require_git = false;
  return opt;
}

// path -> reason ("" when kept).
std::map<std::string, std::string> Reasons(const std::vector<FileEntry>& entries) {
  std::map<std::string, std::string> m;
  for (const FileEntry& e : entries) m[e.path] = e.reason;
  return m;
}

std::vector<std::string> Kept(const std::vector<FileEntry>& entries) {
  std::vector<std::string> v;
  for (const FileEntry& e : entries) {
    if (!e.skipped()) v.push_back(e.path);
  }
  return v;
}

TEST(DetectLanguageTest, CppHeadersAreKnownByTheirContent) {
  EXPECT_EQ(DetectLanguage("a.h"), "c");
  EXPECT_EQ(DetectLanguage("a.h", "#include <stdio.h>\nint f(void);\n"), "c");
  for (std::string_view cpp : {"namespace llvm {\n", "  namespace a::b {", "namespace {\n",
                               "template <typename T>\n", "class Foo : public Bar {\n",
                               "class Foo final\n", "class Foo {};\n", " public:\n",
                               "private :\n", "#include <vector>\n", "# include <cstdint>\n"}) {
    EXPECT_EQ(DetectLanguage("x/a.h", "/* licence */\n#pragma once\n" + std::string(cpp)), "cpp")
        << cpp;
    EXPECT_TRUE(IsCppHeader("a.h", cpp)) << cpp;
    EXPECT_FALSE(IsCppHeader("a.c", cpp)) << cpp;  // only headers are in doubt
  }
  // C that merely looks like it.
  for (std::string_view c : {"int namespace = 0;\n", "struct class *class;\n", "class Foo;\n",
                             "#include <linux/types.h>\n", "#include <stdio.h>\n",
                             "  template_count++;\n", "public_key = 1;\n",
                             "x = a ? b : c; /* public : */\n", "std::vector<int> v;\n"}) {
    EXPECT_FALSE(IsCppHeader("a.h", c)) << c;
  }
  // Only the first 8 KiB count (as discovery reads them).
  std::string late(9000, '\n');
  late += "namespace x {\n";
  EXPECT_FALSE(IsCppHeader("a.h", late));
}

TEST(DetectLanguageTest, Extensions) {
  EXPECT_EQ(DetectLanguage("a/b.py"), "python");
  EXPECT_EQ(DetectLanguage("x.ts"), "typescript");
  EXPECT_EQ(DetectLanguage("x.tsx"), "tsx");
  EXPECT_EQ(DetectLanguage("x.c"), "c");
  EXPECT_EQ(DetectLanguage("x.h"), "c");
  EXPECT_EQ(DetectLanguage("x.hpp"), "cpp");
  EXPECT_EQ(DetectLanguage("x.cc"), "cpp");
  EXPECT_EQ(DetectLanguage("X.CPP"), "cpp");
  EXPECT_EQ(DetectLanguage("x.go"), "go");
  EXPECT_EQ(DetectLanguage("x.rs"), "rust");
  EXPECT_EQ(DetectLanguage("x.cs"), "c_sharp");
  EXPECT_EQ(DetectLanguage("x.md"), "markdown");
  EXPECT_EQ(DetectLanguage("x.yml"), "yaml");
  EXPECT_EQ(DetectLanguage("x.sh"), "bash");
  EXPECT_EQ(DetectLanguage("x.unknownext"), "text");
  EXPECT_EQ(DetectLanguage(".hidden"), "text");
}

TEST(DetectLanguageTest, NamesAndUnsupported) {
  EXPECT_EQ(DetectLanguage("src/Makefile"), "makefile");
  EXPECT_EQ(DetectLanguage("Dockerfile"), "dockerfile");
  EXPECT_EQ(DetectLanguage("Dockerfile.dev"), "dockerfile");
  EXPECT_EQ(DetectLanguage("CMakeLists.txt"), "cmake");
  EXPECT_EQ(DetectLanguage("Rakefile"), "ruby");
  EXPECT_EQ(DetectLanguage("Gemfile"), "ruby");
  EXPECT_EQ(DetectLanguage("logo.png"), "");
  EXPECT_EQ(DetectLanguage("a.tar.gz"), "");
  EXPECT_EQ(DetectLanguage("x.o"), "");
  EXPECT_EQ(DetectLanguage("m.pyc"), "");
  EXPECT_EQ(DetectLanguage("f.woff2"), "");
  EXPECT_EQ(DetectLanguage("doc.pdf"), "");
}

TEST(DetectLanguageTest, Shebangs) {
  EXPECT_EQ(DetectLanguage("bin/tool", "#!/usr/bin/env python3\nprint(1)\n"), "python");
  EXPECT_EQ(DetectLanguage("run", "#!/bin/bash\n"), "bash");
  EXPECT_EQ(DetectLanguage("run", "#!/bin/sh -e\n"), "bash");
  EXPECT_EQ(DetectLanguage("run", "#!/usr/bin/env -S node --harmony\n"), "javascript");
  EXPECT_EQ(DetectLanguage("run", "#!/usr/bin/python3.11 -u\n"), "python");
  EXPECT_EQ(DetectLanguage("run", "#! /usr/bin/env ruby\n"), "ruby");
  EXPECT_EQ(DetectLanguage("run", "#!/usr/bin/perl -w\n"), "perl");
  EXPECT_EQ(DetectLanguage("run", "#!/usr/bin/env\n"), "text");
  EXPECT_EQ(DetectLanguage("run", "plain text\n"), "text");
  // A known extension wins over the shebang.
  EXPECT_EQ(DetectLanguage("x.rb", "#!/usr/bin/env python\n"), "ruby");
}

TEST(LooksBinaryTest, NulInHead) {
  EXPECT_FALSE(LooksBinary(""));
  EXPECT_FALSE(LooksBinary("hello\n"));
  EXPECT_TRUE(LooksBinary(std::string("a\0b", 3)));
  std::string late(9000, 'a');
  late[8500] = '\0';
  EXPECT_FALSE(LooksBinary(late));  // only the first 8 KiB count
}

TEST(DiscoverTest, SortedWithMetadataAndLanguages) {
  TempDir dir;
  WriteFile(dir.path() + "/z.py", "print(1)\n");
  WriteFile(dir.path() + "/a/b.go", "package a\n");
  WriteFile(dir.path() + "/a/Makefile", "all:\n");
  WriteFile(dir.path() + "/m.md", "# hi\n");
  std::vector<FileEntry> files = Walk(dir.path());
  ASSERT_EQ(Kept(files), (std::vector<std::string>{"a/Makefile", "a/b.go", "m.md", "z.py"}));
  EXPECT_EQ(files[1].language, "go");
  EXPECT_EQ(files[0].language, "makefile");
  EXPECT_EQ(files[3].size, 9u);
  EXPECT_GT(files[3].mtime_ns, 0);
  EXPECT_NE(files[3].inode, 0u);
  EXPECT_EQ(files[3].abs_path, dir.path() + "/z.py");
}

TEST(DiscoverTest, ErrorsOnlyForUnusableRoot) {
  DiscoverOptions opt;
  opt.root = "/nonexistent/trawl/root";
  EXPECT_EQ(Discover(opt).status().code(), StatusCode::kNotFound);
  TempDir dir;
  WriteFile(dir.path() + "/f.txt", "x");
  opt.root = dir.path() + "/f.txt";
  EXPECT_EQ(Discover(opt).status().code(), StatusCode::kInvalidArgument);
}

TEST(DiscoverTest, IgnoreReasonsAndDirectoryEntries) {
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "# build output\n*.log\n");
  WriteFile(dir.path() + "/web/.gitignore", "\n\ndist/\n");
  WriteFile(dir.path() + "/web/dist/app.js", "x");
  WriteFile(dir.path() + "/web/dist/deep/more.js", "x");
  WriteFile(dir.path() + "/web/app.ts", "x");
  WriteFile(dir.path() + "/x.log", "x");
  auto r = Reasons(Walk(dir.path(), WithSkipped()));
  EXPECT_EQ(r["web/dist/"], "ignored: web/.gitignore:3: dist/");
  EXPECT_EQ(r.count("web/dist/app.js"), 0u);  // never entered
  EXPECT_EQ(r["x.log"], "ignored: .gitignore:2: *.log");
  EXPECT_EQ(r["web/app.ts"], "");
}

TEST(DiscoverTest, DefaultIgnores) {
  TempDir dir;
  WriteFile(dir.path() + "/node_modules/x/index.js", "x");
  WriteFile(dir.path() + "/pkg/__pycache__/m.cpython-311.pyc", "x");
  WriteFile(dir.path() + "/.venv/lib/x.py", "x");
  WriteFile(dir.path() + "/target/debug/x.rs", "x");
  WriteFile(dir.path() + "/package-lock.json", "{}");
  WriteFile(dir.path() + "/Cargo.lock", "x");
  WriteFile(dir.path() + "/web/app.min.js", "x");
  WriteFile(dir.path() + "/web/app.js.map", "x");
  WriteFile(dir.path() + "/web/app.js", "x");
  WriteFile(dir.path() + "/.hg/store", "x");
  WriteFile(dir.path() + "/.git/config", "x");
  auto r = Reasons(Walk(dir.path(), WithSkipped()));
  EXPECT_EQ(r["node_modules/"], "ignored: default: node_modules/");
  EXPECT_EQ(r["pkg/__pycache__/"], "ignored: default: __pycache__/");
  EXPECT_EQ(r[".venv/"], "ignored: default: .venv/");
  EXPECT_EQ(r["target/"], "ignored: default: target/");
  EXPECT_EQ(r["package-lock.json"], "ignored: default: package-lock.json");
  EXPECT_EQ(r["Cargo.lock"], "ignored: default: Cargo.lock");
  EXPECT_EQ(r["web/app.min.js"], "ignored: default: *.min.js");
  EXPECT_EQ(r["web/app.js.map"], "ignored: default: *.map");
  EXPECT_EQ(r[".hg/"], "ignored: default: .hg/");
  EXPECT_EQ(r["web/app.js"], "");
  EXPECT_EQ(r.count(".git/"), 0u);  // never entered, never reported
  EXPECT_EQ(r.count(".git/config"), 0u);

  DiscoverOptions no_defaults = WithSkipped();
  no_defaults.use_default_ignores = false;
  auto all = Reasons(Walk(dir.path(), no_defaults));
  EXPECT_EQ(all["node_modules/x/index.js"], "");
  EXPECT_EQ(all["package-lock.json"], "");
  EXPECT_EQ(all.count(".git/config"), 0u);
}

TEST(DiscoverTest, GitignoreCanReincludeDefaults) {
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "!build/\n");
  WriteFile(dir.path() + "/build/gen.c", "x");
  EXPECT_EQ(Kept(Walk(dir.path(), GitignoreEverywhere())), (std::vector<std::string>{".gitignore", "build/gen.c"}));
}

TEST(DiscoverTest, TrawlignoreAndConfigPatterns) {
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "!*.keep\n");
  WriteFile(dir.path() + "/.trawlignore", "*.keep\nfixtures/\n");
  WriteFile(dir.path() + "/a.keep", "x");
  WriteFile(dir.path() + "/sub/.trawlignore", "!b.keep\n");
  WriteFile(dir.path() + "/sub/b.keep", "x");
  WriteFile(dir.path() + "/fixtures/big.json", "x");
  WriteFile(dir.path() + "/debug.log", "x");
  WriteFile(dir.path() + "/main.c", "x");
  DiscoverOptions opt = WithSkipped();
  opt.extra_patterns = {"*.log", "# comment"};
  auto r = Reasons(Walk(dir.path(), opt));
  EXPECT_EQ(r["a.keep"], "ignored: .trawlignore:1: *.keep");  // .trawlignore wins over .gitignore
  EXPECT_EQ(r["sub/b.keep"], "");                             // deeper level wins
  EXPECT_EQ(r["fixtures/"], "ignored: .trawlignore:2: fixtures/");
  EXPECT_EQ(r["debug.log"], "ignored: config: *.log");
  EXPECT_EQ(r["main.c"], "");
}

TEST(DiscoverTest, ExcludeDirsNeverEnteredNorReported) {
  TempDir dir;
  WriteFile(dir.path() + "/.trawl/index.db", "x");
  WriteFile(dir.path() + "/a/.trawl/x.txt", "x");
  WriteFile(dir.path() + "/a/b.txt", "x");
  DiscoverOptions opt = WithSkipped();
  opt.exclude_dirs = {dir.path() + "/.trawl", dir.path() + "/a/.trawl/"};
  std::vector<FileEntry> files = Walk(dir.path(), opt);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "a/b.txt");
}

TEST(DiscoverTest, BinaryTooLargeUnsupported) {
  TempDir dir;
  WriteFile(dir.path() + "/bin.dat", std::string("ab\0cd", 5));
  WriteFile(dir.path() + "/fake.c", std::string("int\0", 4));
  WriteFile(dir.path() + "/big.txt", std::string(3 * 1024 * 1024, 'x'));
  WriteFile(dir.path() + "/logo.png", "x");
  WriteFile(dir.path() + "/ok.txt", "fine");
  auto r = Reasons(Walk(dir.path(), WithSkipped()));
  EXPECT_EQ(r["bin.dat"], "binary");
  EXPECT_EQ(r["fake.c"], "binary");
  EXPECT_EQ(r["big.txt"], "too_large: 3 MB > 1 MB");
  EXPECT_EQ(r["logo.png"], "unsupported: .png");
  EXPECT_EQ(r["ok.txt"], "");

  // Without content checks only files without a known extension are read.
  DiscoverOptions fast = WithSkipped();
  fast.check_content = false;
  auto f = Reasons(Walk(dir.path(), fast));
  EXPECT_EQ(f["bin.dat"], "binary");  // unknown extension: the head is read
  EXPECT_EQ(f["fake.c"], "");         // known extension: not read
}

TEST(DiscoverTest, ShebangDetectionForFilesWithoutExtension) {
  TempDir dir;
  WriteFile(dir.path() + "/bin/deploy", "#!/usr/bin/env python3\nimport os\n");
  WriteFile(dir.path() + "/bin/setup", "#!/bin/bash\necho\n");
  WriteFile(dir.path() + "/NOTES", "just text\n");
  for (bool check : {true, false}) {
    DiscoverOptions opt;
    opt.check_content = check;
    std::map<std::string, std::string> lang;
    for (const FileEntry& e : Walk(dir.path(), opt)) lang[e.path] = e.language;
    EXPECT_EQ(lang["bin/deploy"], "python");
    EXPECT_EQ(lang["bin/setup"], "bash");
    EXPECT_EQ(lang["NOTES"], "text");
  }
}

TEST(DiscoverTest, SymlinksSkippedByDefault) {
  TempDir dir;
  WriteFile(dir.path() + "/real/a.txt", "x");
  std::filesystem::create_directory_symlink(dir.path() + "/real", dir.path() + "/link");
  std::filesystem::create_symlink(dir.path() + "/real/a.txt", dir.path() + "/file_link");
  auto r = Reasons(Walk(dir.path(), WithSkipped()));
  EXPECT_EQ(r["link"], "symlink");
  EXPECT_EQ(r["file_link"], "symlink");
  EXPECT_EQ(r["real/a.txt"], "");
  EXPECT_EQ(r.count("link/a.txt"), 0u);
}

TEST(DiscoverTest, FollowedSymlinkLoopsTerminateDeterministically) {
  TempDir dir;
  WriteFile(dir.path() + "/a/b/c.txt", "x");
  std::filesystem::create_directory_symlink("..", dir.path() + "/a/b/up");      // loop
  std::filesystem::create_directory_symlink("../a", dir.path() + "/a/b/again");  // loop
  std::filesystem::create_directory_symlink(dir.path(), dir.path() + "/root");  // loop to root
  WriteFile(dir.path() + "/outside_target/o.txt", "x");
  std::filesystem::create_directory_symlink(dir.path() + "/outside_target", dir.path() + "/z_link");
  std::filesystem::create_symlink("a/b/c.txt", dir.path() + "/c_link.txt");
  std::filesystem::create_symlink("missing", dir.path() + "/dangling.txt");
  DiscoverOptions opt = WithSkipped();
  opt.follow_symlinks = true;
  std::vector<FileEntry> first = Walk(dir.path(), opt);
  auto r = Reasons(first);
  EXPECT_EQ(r["a/b/c.txt"], "");
  EXPECT_EQ(r["c_link.txt"], "");
  EXPECT_EQ(r["dangling.txt"], "unreadable: dangling symlink");
  EXPECT_TRUE(r["a/b/up/"].starts_with("symlink: already walked as a/")) << r["a/b/up/"];
  EXPECT_TRUE(r["root/"].starts_with("symlink")) << r["root/"];
  // outside_target is walked as a real directory first, so its link is the duplicate.
  EXPECT_EQ(r["outside_target/o.txt"], "");
  EXPECT_TRUE(r["z_link/"].starts_with("symlink: already walked as outside_target/"));
  for (int threads : {1, 2, 4}) {
    opt.threads = threads;
    std::vector<FileEntry> again = Walk(dir.path(), opt);
    ASSERT_EQ(again.size(), first.size());
    for (size_t i = 0; i < again.size(); ++i) {
      EXPECT_EQ(again[i].path, first[i].path);
      EXPECT_EQ(again[i].reason, first[i].reason);
    }
  }
}

TEST(DiscoverTest, UnreadableFilesAreSkippedNotFatal) {
  TempDir dir;
  WriteFile(dir.path() + "/secret.txt", "x");
  WriteFile(dir.path() + "/ok.txt", "x");
  WriteFile(dir.path() + "/closed/inner.txt", "x");
  chmod((dir.path() + "/secret.txt").c_str(), 0);
  chmod((dir.path() + "/closed").c_str(), 0);
  std::vector<FileEntry> files = Walk(dir.path(), WithSkipped());
  auto r = Reasons(files);
  chmod((dir.path() + "/closed").c_str(), 0755);
  EXPECT_EQ(r["ok.txt"], "");
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root: permissions do not stop reads";
  }
  EXPECT_EQ(r["secret.txt"], "unreadable: Permission denied");
  EXPECT_EQ(r["closed/"], "unreadable: Permission denied");
}

TEST(DiscoverTest, ReportSkippedFalseReturnsOnlyKept) {
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "*.log\n");
  WriteFile(dir.path() + "/a.log", "x");
  WriteFile(dir.path() + "/b.png", "x");
  WriteFile(dir.path() + "/c.txt", "x");
  std::vector<FileEntry> files = Walk(dir.path(), GitignoreEverywhere());
  EXPECT_EQ(Kept(files), (std::vector<std::string>{".gitignore", "c.txt"}));
  EXPECT_EQ(files.size(), 2u);
}

TEST(DiscoverTest, CancelStopsTheWalk) {
  TempDir dir;
  WriteFile(dir.path() + "/a.txt", "x");
  std::atomic<bool> cancel{true};
  DiscoverOptions opt;
  opt.root = dir.path();
  EXPECT_EQ(Discover(opt, &cancel).status().code(), StatusCode::kCancelled);
}

TEST(DiscoverTest, DeterministicAcrossThreadCounts) {
  TempDir dir;
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 10; ++j) {
      WriteFile(dir.path() + "/d" + std::to_string(i) + "/s" + std::to_string(j % 3) + "/f" + std::to_string(j) + ".py", "x");
    }
  }
  WriteFile(dir.path() + "/.gitignore", "d1*/\n!d12/\n*/s2/\n");
  DiscoverOptions opt = WithSkipped();
  opt.threads = 1;
  std::vector<FileEntry> one = Walk(dir.path(), opt);
  for (int t : {2, 8}) {
    opt.threads = t;
    std::vector<FileEntry> many = Walk(dir.path(), opt);
    ASSERT_EQ(many.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(many[i].path, one[i].path);
      EXPECT_EQ(many[i].reason, one[i].reason);
    }
  }
}

class DiscoverGitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing_util::HaveGit()) GTEST_SKIP() << "git not installed";
    testing_util::IsolateGit();
  }
};

TEST_F(DiscoverGitTest, GitignoreCountsOnlyInsideAGitWorkTree) {
  // An unpacked tarball whose .gitignore came from its packaging repository (Debian's
  // linux-source has "/*" at the top): outside git, as for git and ripgrep, it is inert.
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "/*\n!/debian/\n");
  WriteFile(dir.path() + "/.trawlignore", "*.tmp\n");
  WriteFile(dir.path() + "/kernel/fork.c", "x");
  WriteFile(dir.path() + "/kernel/x.tmp", "x");
  WriteFile(dir.path() + "/debian/rules", "x");
  EXPECT_EQ(Kept(Walk(dir.path())), (std::vector<std::string>{".gitignore", ".trawlignore", "debian/rules",
                                                              "kernel/fork.c"}));
  // Asked to, the rules apply anyway.
  EXPECT_EQ(Kept(Walk(dir.path(), GitignoreEverywhere())), (std::vector<std::string>{"debian/rules"}));
  // Once it is a repository they apply, as git check-ignore says.
  Git(dir.path(), "init -q");
  EXPECT_EQ(Kept(Walk(dir.path())), (std::vector<std::string>{"debian/rules"}));
}

TEST_F(DiscoverGitTest, TrackedFilesAreKeptEvenWhenIgnored) {
  TempDir dir;
  Git(dir.path(), "init -q");
  WriteFile(dir.path() + "/.gitignore", "*.gen.c\nthird_party/\n");
  WriteFile(dir.path() + "/api.gen.c", "x");
  WriteFile(dir.path() + "/other.gen.c", "x");
  WriteFile(dir.path() + "/third_party/lib/tracked.c", "x");
  WriteFile(dir.path() + "/third_party/lib/untracked.c", "x");
  WriteFile(dir.path() + "/third_party/none/x.c", "x");
  WriteFile(dir.path() + "/build/tracked.c", "x");    // default-ignored directory, tracked
  WriteFile(dir.path() + "/build/untracked.c", "x");
  WriteFile(dir.path() + "/yarn.lock", "x");          // default file rule: tracked or not
  WriteFile(dir.path() + "/.trawlignore", "fixtures/\n");
  WriteFile(dir.path() + "/fixtures/data.c", "x");  // .trawlignore: tracked or not
  Git(dir.path(), "add -f api.gen.c third_party/lib/tracked.c build/tracked.c yarn.lock fixtures/data.c");
  auto r = Reasons(Walk(dir.path(), WithSkipped()));
  EXPECT_EQ(r["api.gen.c"], "");
  EXPECT_EQ(r["other.gen.c"], "ignored: .gitignore:1: *.gen.c");
  EXPECT_EQ(r["third_party/lib/tracked.c"], "");
  EXPECT_EQ(r["third_party/lib/untracked.c"], "ignored: .gitignore:2: third_party/");
  EXPECT_EQ(r["third_party/none/"], "ignored: .gitignore:2: third_party/");
  EXPECT_EQ(r["build/tracked.c"], "");
  EXPECT_EQ(r["build/untracked.c"], "ignored: default: build/");
  EXPECT_EQ(r["yarn.lock"], "ignored: default: yarn.lock");
  EXPECT_EQ(r["fixtures/"], "ignored: .trawlignore:1: fixtures/");
}

TEST_F(DiscoverGitTest, SubdirectoryRootUsesParentRulesAndIndex) {
  TempDir dir;
  Git(dir.path(), "init -q");
  WriteFile(dir.path() + "/.gitignore", "*.tmp\n/pkg/out/\n");
  WriteFile(dir.path() + "/.git/info/exclude", "*.bak\n");
  WriteFile(dir.path() + "/pkg/a.tmp", "x");
  WriteFile(dir.path() + "/pkg/keep.tmp", "x");
  WriteFile(dir.path() + "/pkg/b.bak", "x");
  WriteFile(dir.path() + "/pkg/out/x.c", "x");
  WriteFile(dir.path() + "/pkg/main.c", "x");
  Git(dir.path(), "add -f pkg/keep.tmp");
  auto r = Reasons(Walk(dir.path() + "/pkg", WithSkipped()));
  EXPECT_EQ(r["a.tmp"], "ignored: ../.gitignore:1: *.tmp");
  EXPECT_EQ(r["keep.tmp"], "");
  EXPECT_EQ(r["b.bak"], "ignored: ../.git/info/exclude:1: *.bak");
  EXPECT_EQ(r["out/"], "ignored: ../.gitignore:2: /pkg/out/");
  EXPECT_EQ(r["main.c"], "");
}

TEST(PathScopeTest, HoldsPathsAndReachesTheirFolders) {
  PathScope scope({"src/a.py", "docs/", "./lib/x", "", "..", "/etc/passwd", "a/../b", "src/a.py"});
  EXPECT_EQ(scope.paths(), (std::vector<std::string>{"docs", "lib/x", "src/a.py"}));
  EXPECT_TRUE(scope.Holds("src/a.py"));
  EXPECT_TRUE(scope.Holds("docs/guide/intro.md"));
  EXPECT_TRUE(scope.Holds("lib/x/"));
  EXPECT_FALSE(scope.Holds("src/a.pyc"));
  EXPECT_FALSE(scope.Holds("src/b.py"));
  EXPECT_FALSE(scope.Holds("doc"));
  EXPECT_FALSE(scope.Holds("lib/xy/z.c"));
  EXPECT_TRUE(scope.Reaches("src", true));
  EXPECT_TRUE(scope.Reaches("lib", true));
  EXPECT_FALSE(scope.Reaches("src", false));  // a file named src holds nothing below it
  EXPECT_FALSE(scope.Reaches("li", true));
  EXPECT_FALSE(scope.Reaches("test", true));
  EXPECT_TRUE(PathScope({"..", ""}).empty());
}

TEST(DiscoverTest, AScopedWalkFindsItsPathsWithEveryIgnoreRuleOnTheWay) {
  TempDir dir;
  WriteFile(dir.path() + "/.gitignore", "*.log\n");
  WriteFile(dir.path() + "/pkg/.gitignore", "gen/\n");
  WriteFile(dir.path() + "/pkg/a.py", "a = 1\n");
  WriteFile(dir.path() + "/pkg/b.py", "b = 1\n");
  WriteFile(dir.path() + "/pkg/run.log", "log\n");
  WriteFile(dir.path() + "/pkg/gen/g.py", "g = 1\n");
  WriteFile(dir.path() + "/pkg/sub/c.py", "c = 1\n");
  WriteFile(dir.path() + "/other/d.py", "d = 1\n");
  DiscoverOptions opt = GitignoreEverywhere();
  opt.scope = {"pkg/a.py", "pkg/run.log", "pkg/gen/g.py", "pkg/sub", "missing/e.py"};
  std::vector<std::string> got;
  for (const auto& e : Walk(dir.path(), opt)) got.push_back(e.path);
  // Ignored by the root's and by pkg's .gitignore as a whole walk would; b.py and other/
  // are out of scope; the missing path is simply not found.
  EXPECT_EQ(got, (std::vector<std::string>{"pkg/a.py", "pkg/sub/c.py"}));
  std::vector<std::string> whole;
  for (const auto& e : Walk(dir.path(), GitignoreEverywhere())) whole.push_back(e.path);
  EXPECT_EQ(whole.size(), 6u);  // and the two .gitignore files
}

}  // namespace
}  // namespace trawl
