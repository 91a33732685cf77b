#include "discover/ignore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "discover/discover.h"
#include "discover/discover_test_util.h"

namespace trawl {
namespace {

using testing_util::Git;
using testing_util::GitFiles;
using testing_util::TempDir;
using testing_util::WriteFile;

// True if the file's rules ignore `path` (the last match decides).
bool Ignored(const IgnoreFile& f, std::string_view path, bool is_dir = false) {
  const IgnoreRule* r = f.Match(path, is_dir);
  return r != nullptr && !r->negated;
}

TEST(IgnoreParseTest, CommentsBlanksNegationDirOnly) {
  IgnoreFile f = IgnoreFile::Parse("# comment\n\n*.log\n!keep.log\nbuild/\n/top\na/b\n", "", ".gitignore");
  ASSERT_EQ(f.rules().size(), 5u);
  EXPECT_EQ(f.rules()[0].pattern, "*.log");
  EXPECT_EQ(f.rules()[0].line, 3);
  EXPECT_TRUE(f.rules()[0].ends_with);
  EXPECT_TRUE(f.rules()[1].negated);
  EXPECT_EQ(f.rules()[1].pattern, "keep.log");
  EXPECT_TRUE(f.rules()[2].dir_only);
  EXPECT_EQ(f.rules()[2].pattern, "build");
  EXPECT_FALSE(f.rules()[2].anchored);
  EXPECT_TRUE(f.rules()[3].anchored);
  EXPECT_TRUE(f.rules()[4].anchored);
  EXPECT_EQ(f.rules()[2].Describe(), ".gitignore:5: build/");
}

TEST(IgnoreParseTest, TrailingSpacesAndEscapes) {
  IgnoreFile f = IgnoreFile::Parse("a  \nb\\ \nc\\  \n\\#hash\n\\!bang\n\\\\\nd\\\n", "", "x");
  ASSERT_EQ(f.rules().size(), 7u);
  EXPECT_EQ(f.rules()[0].pattern, "a");
  EXPECT_EQ(f.rules()[1].pattern, "b\\ ");
  EXPECT_EQ(f.rules()[2].pattern, "c\\ ");
  EXPECT_FALSE(f.rules()[3].negated);
  EXPECT_FALSE(f.rules()[4].negated);
  EXPECT_TRUE(Ignored(f, "a"));
  EXPECT_FALSE(Ignored(f, "a  "));
  EXPECT_TRUE(Ignored(f, "b "));
  EXPECT_FALSE(Ignored(f, "b"));
  EXPECT_TRUE(Ignored(f, "c "));
  EXPECT_TRUE(Ignored(f, "#hash"));
  EXPECT_TRUE(Ignored(f, "!bang"));
  EXPECT_TRUE(Ignored(f, "\\"));
  EXPECT_FALSE(Ignored(f, "d"));  // a trailing '\' matches nothing
}

TEST(IgnoreParseTest, CrLfAndBomAndTabs) {
  IgnoreFile f = IgnoreFile::Parse("\xEF\xBB\xBF*.o\r\nfoo\t\r\n", "", "x");
  ASSERT_EQ(f.rules().size(), 2u);
  EXPECT_EQ(f.rules()[0].pattern, "*.o");
  EXPECT_EQ(f.rules()[1].pattern, "foo\t");  // git trims spaces only
  EXPECT_TRUE(Ignored(f, "x.o"));
}

TEST(IgnoreMatchTest, BasenameVsAnchored) {
  IgnoreFile f = IgnoreFile::Parse("foo\n/bar\nx/y\n", "", ".gitignore");
  EXPECT_TRUE(Ignored(f, "foo"));
  EXPECT_TRUE(Ignored(f, "a/b/foo"));
  EXPECT_TRUE(Ignored(f, "bar"));
  EXPECT_FALSE(Ignored(f, "a/bar"));
  EXPECT_TRUE(Ignored(f, "x/y"));
  EXPECT_FALSE(Ignored(f, "a/x/y"));  // a middle '/' anchors too
}

TEST(IgnoreMatchTest, ScopedToBase) {
  IgnoreFile f = IgnoreFile::Parse("/only\nany\nsub/x\n", "web/", "web/.gitignore");
  EXPECT_TRUE(Ignored(f, "web/only"));
  EXPECT_FALSE(Ignored(f, "only"));
  EXPECT_FALSE(Ignored(f, "web/a/only"));
  EXPECT_TRUE(Ignored(f, "web/a/any"));
  EXPECT_TRUE(Ignored(f, "web/sub/x"));
  EXPECT_FALSE(Ignored(f, "webby/sub/x"));
  EXPECT_EQ(f.Match("web/only", false)->Describe(), "web/.gitignore:1: /only");
}

TEST(IgnoreMatchTest, DirOnly) {
  IgnoreFile f = IgnoreFile::Parse("out/\n/lib/x/\n", "", "g");
  EXPECT_TRUE(Ignored(f, "out", true));
  EXPECT_FALSE(Ignored(f, "out", false));
  EXPECT_TRUE(Ignored(f, "a/out", true));
  EXPECT_TRUE(Ignored(f, "lib/x", true));
  EXPECT_FALSE(Ignored(f, "lib/x", false));
}

TEST(IgnoreMatchTest, DoubleStar) {
  IgnoreFile f = IgnoreFile::Parse("**/logs\nfoo/**\na/**/b\n**/d/*.c\n", "", "g");
  EXPECT_TRUE(Ignored(f, "logs"));
  EXPECT_TRUE(Ignored(f, "x/y/logs"));
  EXPECT_FALSE(Ignored(f, "foo"));
  EXPECT_TRUE(Ignored(f, "foo/x"));
  EXPECT_TRUE(Ignored(f, "foo/x/y"));
  EXPECT_TRUE(Ignored(f, "a/b"));
  EXPECT_TRUE(Ignored(f, "a/x/y/b"));
  EXPECT_FALSE(Ignored(f, "xa/b"));
  EXPECT_TRUE(Ignored(f, "d/e.c"));
  EXPECT_TRUE(Ignored(f, "q/d/e.c"));
  EXPECT_FALSE(Ignored(f, "q/d/e/f.c"));
}

TEST(IgnoreMatchTest, LastMatchWinsAndNegation) {
  IgnoreFile f = IgnoreFile::Parse("*.txt\n!important.txt\n", "", "g");
  EXPECT_TRUE(Ignored(f, "a.txt"));
  EXPECT_FALSE(Ignored(f, "important.txt"));
  const IgnoreRule* r = f.Match("important.txt", false);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->negated);
}

TEST(IgnoreMatchTest, ClassesAndQuestion) {
  IgnoreFile f = IgnoreFile::Parse("[abc].x\n?.y\n[!a-m]*.z\n[[:digit:]]*\n", "", "g");
  EXPECT_TRUE(Ignored(f, "a.x"));
  EXPECT_FALSE(Ignored(f, "d.x"));
  EXPECT_TRUE(Ignored(f, "q.y"));
  EXPECT_FALSE(Ignored(f, "qq.y"));
  EXPECT_TRUE(Ignored(f, "zoo.z"));
  EXPECT_FALSE(Ignored(f, "boo.z"));
  EXPECT_TRUE(Ignored(f, "7up"));
}

TEST(IgnoreMatchTest, LiteralPrefixQuirk) {
  // git matches the literal head on its own, so "**/" right after it acts as leading.
  IgnoreFile f = IgnoreFile::Parse("foo**/bar\n", "", "g");
  EXPECT_TRUE(Ignored(f, "foo/bar"));
  EXPECT_TRUE(Ignored(f, "foox/y/bar"));
}

// --- Comparison with real git -------------------------------------------------

class TreeGenerator {
 public:
  explicit TreeGenerator(uint32_t seed) : rng_(seed) {}

  struct Tree {
    std::vector<std::string> files;  // relative paths
    std::vector<std::string> dirs;   // relative, ending with '/', including ""
    int rules = 0;
  };

  Tree Build(const std::string& root) {
    Tree t;
    t.dirs.push_back("");
    MakeDir(root, "", 0, &t);
    // Ignore files in a random half of the directories, and .git/info/exclude.
    for (const std::string& d : t.dirs) {
      if (Chance(0.55)) {
        std::string content = RandomIgnoreFile(t, d, &t.rules);
        WriteFile(root + "/" + d + ".gitignore", content);
        t.files.push_back(d + ".gitignore");
      }
    }
    if (Chance(0.7)) {
      WriteFile(root + "/.git/info/exclude", RandomIgnoreFile(t, "", &t.rules));
    }
    return t;
  }

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  void MakeDir(const std::string& root, const std::string& rel, int depth, Tree* t) {
    static const std::vector<std::string> kFiles = {
        "a", "b", "ab", "abc", "foo", "bar", "foo.txt", "bar.txt", "a.log", "b.log", "x.c",
        "y.h", "README.md", "Foo", "FOO.TXT", "#hash", "!bang", "sp ace", "trail ", "[ab]",
        "q?", "st*r", "back\\slash", "d.d", "dir.txt", "a-b", "_u", "1x", "keep.log", ".hidden"};
    static const std::vector<std::string> kDirs = {"a", "b", "d", "dir", "foo", "sub", "build",
                                                   "x y", "[ab]", "deep", "logs", "Foo"};
    int nfiles = Int(2, 7);
    for (int i = 0; i < nfiles; ++i) {
      std::string name = Pick(kFiles);
      std::string path = rel + name;
      if (std::find(t->files.begin(), t->files.end(), path) != t->files.end()) continue;
      WriteFile(root + "/" + path, "x\n");
      t->files.push_back(path);
    }
    if (depth >= 3) return;
    int ndirs = Int(depth == 0 ? 2 : 0, depth == 0 ? 4 : 3);
    for (int i = 0; i < ndirs; ++i) {
      std::string name = Pick(kDirs);
      std::string path = rel + name + "/";
      if (std::find(t->dirs.begin(), t->dirs.end(), path) != t->dirs.end()) continue;
      // A file of the same name would clash with the directory.
      if (std::find(t->files.begin(), t->files.end(), rel + name) != t->files.end()) continue;
      t->dirs.push_back(path);
      MakeDir(root, path, depth + 1, t);
    }
  }

  // A name, escaped so that it matches itself (or, sometimes, not escaped).
  std::string Literal(const std::string& name) {
    std::string out;
    bool escape = Chance(0.8);
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      bool special = c == '*' || c == '?' || c == '[' || c == '\\' || (i == 0 && (c == '#' || c == '!'));
      if (c == ' ' && i + 1 == name.size()) special = true;
      if (special && escape) out += '\\';
      out += c;
    }
    return out;
  }

  std::string GlobSegment(const std::string& name) {
    switch (Int(0, 13)) {
      case 0: return "*";
      case 1: return "?";
      case 2: return name.empty() ? "*" : name.substr(0, 1) + "*";
      case 3: return "*" + (name.size() > 1 ? name.substr(name.size() - 2) : name);
      case 4: return "[ab]*";
      case 5: return "[!a]*";
      case 6: return "[a-f]?";
      case 7: return "*.[ch]";
      case 8: return "*[[:upper:]]*";
      case 9: return "[[:alpha:]]*";
      case 10: return "*.log";
      case 11: return "*.txt";
      case 12: return "**";
      default: return Literal(name);
    }
  }

  std::string RandomPattern(const Tree& t, const std::string& base) {
    // Paths below `base`, to aim most patterns at things that exist.
    std::vector<std::string> below;
    for (const std::string& f : t.files) {
      if (f.starts_with(base) && f.size() > base.size()) below.push_back(f.substr(base.size()));
    }
    for (const std::string& d : t.dirs) {
      if (d.starts_with(base) && d.size() > base.size()) below.push_back(d.substr(base.size(), d.size() - base.size() - 1));
    }
    std::string pat;
    int kind = Int(0, 9);
    std::string target = below.empty() ? "a" : Pick(below);
    std::vector<std::string> segs;
    for (size_t start = 0;;) {
      size_t slash = target.find('/', start);
      segs.push_back(target.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    switch (kind) {
      case 0:
      case 1:
        pat = Literal(segs.back());
        break;
      case 2:
      case 3:
        pat = GlobSegment(segs.back());
        break;
      case 4:
      case 5: {  // a path, some segments turned into globs
        for (size_t i = 0; i < segs.size(); ++i) {
          if (i) pat += '/';
          pat += Chance(0.3) ? GlobSegment(segs[i]) : Literal(segs[i]);
        }
        break;
      }
      case 6:
        pat = "**/" + (Chance(0.5) ? Literal(segs.back()) : GlobSegment(segs.back()));
        break;
      case 7:
        pat = Literal(segs.front()) + (Chance(0.5) ? "/**" : "/*");
        break;
      case 8:
        pat = Literal(segs.front()) + "/**/" + (Chance(0.5) ? Literal(segs.back()) : GlobSegment(segs.back()));
        break;
      default: {
        static const std::vector<std::string> kOdd = {
            "*", "**", "*/", "*/*", "a*/", "[", "[a", "[[:foo:]]", "\\", "a\\", "!", "/",
            "**/", "/**", "*.log/", "foo**", "**foo", "a/**/**/b", "?*", "[]]", "[!]]*", "\\ ",
            "#notcomment", "\\#hash", "\\!bang", "!*.txt", "[a-]", "[---]", "sub/", "/d/"};
        pat = Pick(kOdd);
        break;
      }
    }
    if (Chance(0.3) && !pat.starts_with("/")) pat = "/" + pat;
    if (Chance(0.2)) pat += "/";
    if (Chance(0.25)) pat = "!" + pat;
    if (Chance(0.08)) pat += Chance(0.5) ? "  " : "\\ ";
    return pat;
  }

  std::string RandomIgnoreFile(const Tree& t, const std::string& base, int* rules) {
    std::string content;
    int n = Int(1, 7);
    bool crlf = Chance(0.1);
    for (int i = 0; i < n; ++i) {
      if (Chance(0.08)) content += "# a comment\n";
      if (Chance(0.05)) content += "\n";
      content += RandomPattern(t, base);
      content += crlf ? "\r\n" : "\n";
      ++*rules;
    }
    if (Chance(0.2) && !content.empty()) content.pop_back();  // no final newline
    return content;
  }

  std::mt19937 rng_;
};

// Files Discover keeps as not ignored (it may still skip them for other reasons).
std::set<std::string> NotIgnored(const std::string& root) {
  DiscoverOptions opt;
  opt.root = root;
  opt.use_default_ignores = false;
  opt.report_skipped = true;
  opt.check_content = false;
  opt.threads = 2;
  Result<std::vector<FileEntry>> r = Discover(opt);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::set<std::string> out;
  if (!r.ok()) return out;
  for (const FileEntry& e : *r) {
    if (e.skip == SkipReason::kIgnored) continue;
    EXPECT_FALSE(e.path.ends_with("/")) << e.path << " " << e.reason;
    out.insert(e.path);
  }
  return out;
}

std::string Diff(const std::set<std::string>& ours, const std::set<std::string>& git) {
  std::string msg;
  for (const std::string& f : ours) {
    if (!git.count(f)) msg += "  only trawl keeps: '" + f + "'\n";
  }
  for (const std::string& f : git) {
    if (!ours.count(f)) msg += "  only git keeps:   '" + f + "'\n";
  }
  return msg;
}

std::string DumpIgnoreFiles(const std::string& root, const TreeGenerator::Tree& t) {
  std::string dump;
  auto add = [&](const std::string& rel) {
    std::string c = testing_util::Run("cat " + testing_util::ShellQuote(root + "/" + rel) + " 2>/dev/null");
    dump += "--- " + rel + "\n" + c + "\n";
  };
  for (const std::string& d : t.dirs) {
    if (std::filesystem::exists(root + "/" + d + ".gitignore")) add(d + ".gitignore");
  }
  add(".git/info/exclude");
  return dump;
}

TEST(IgnoreGitComparisonTest, RandomTreesMatchGit) {
  if (!testing_util::HaveGit()) GTEST_SKIP() << "git not installed";
  testing_util::IsolateGit();
  constexpr int kTrees = 160;
  int cases = 0;
  int rules = 0;
  int subdir_runs = 0;
  int tracked_trees = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTrees; ++i) {
    TempDir dir;
    const std::string& root = dir.path();
    Git(root, "init -q");
    TreeGenerator gen(static_cast<uint32_t>(1000 + i));
    TreeGenerator::Tree tree = gen.Build(root);
    rules += tree.rules;
    if (i % 3 == 1) {
      // Track a few files, some of them ignored: git keeps them, and so must we.
      std::string list;
      for (const std::string& f : tree.files) {
        if (gen.Chance(0.25)) list += f + '\0';
      }
      if (!list.empty()) {
        testing_util::WriteFile(root + "/.git/to_add", list);
        Git(root, "add -f --pathspec-from-file=.git/to_add --pathspec-file-nul");
        ++tracked_trees;
      }
    }
    std::set<std::string> git = GitFiles(root);
    std::set<std::string> ours = NotIgnored(root);
    cases += static_cast<int>(tree.files.size());
    ASSERT_EQ(ours, git) << "tree seed " << 1000 + i << " (" << root << ")\n"
                         << Diff(ours, git) << DumpIgnoreFiles(root, tree);
    // The same from a subdirectory that git does not ignore: parent .gitignore
    // files and info/exclude apply with paths relative to the work tree.
    if (i % 2 == 0) {
      // Only directories holding untracked, kept files: git ignores none of them.
      std::vector<std::string> candidates;
      for (const std::string& f : testing_util::SplitNul(testing_util::Run(
               "git -C " + testing_util::ShellQuote(root) + " ls-files -z -o --exclude-standard"))) {
        size_t slash = f.find('/');
        if (slash != std::string::npos) candidates.push_back(f.substr(0, slash));
      }
      if (!candidates.empty()) {
        std::string sub = root + "/" + gen.Pick(candidates);
        std::set<std::string> git_sub = GitFiles(sub);
        std::set<std::string> ours_sub = NotIgnored(sub);
        cases += static_cast<int>(std::count_if(tree.files.begin(), tree.files.end(), [&](const std::string& f) {
          return f.starts_with(sub.substr(root.size() + 1) + "/");
        }));
        ++subdir_runs;
        ASSERT_EQ(ours_sub, git_sub) << "tree seed " << 1000 + i << " subdir " << sub << "\n"
                                     << Diff(ours_sub, git_sub) << DumpIgnoreFiles(root, tree);
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ git comparison ] %d trees (%d with tracked files, %d subdirectory roots), %d random rules, "
              "%d path decisions compared with git ls-files, all equal (%.1f s)\n",
              kTrees, tracked_trees, subdir_runs, rules, cases, secs);
  RecordProperty("git_cases", cases);
}

// Hand-written trees, each compared with git.
struct HandCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> files;  // path -> content (ignore files too)
  std::vector<std::string> tracked;
};

TEST(IgnoreGitComparisonTest, HandWrittenCasesMatchGit) {
  if (!testing_util::HaveGit()) GTEST_SKIP() << "git not installed";
  testing_util::IsolateGit();
  const std::vector<HandCase> cases = {
      {"parent excluded cannot be re-included",
       {{".gitignore", "logs/\n!logs/keep.txt\n"}, {"logs/keep.txt", ""}, {"logs/x.txt", ""}, {"a.txt", ""}}, {}},
      {"re-include via dir/* then negation",
       {{".gitignore", "/out/*\n!/out/keep/\n"}, {"out/a", ""}, {"out/keep/b", ""}, {"out/keep/c/d", ""}}, {}},
      {"deeper .gitignore wins",
       {{".gitignore", "*.log\n"}, {"a/.gitignore", "!*.log\n"}, {"x.log", ""}, {"a/y.log", ""}, {"a/b/z.log", ""}}, {}},
      {"info/exclude is below .gitignore",
       {{".git/info/exclude", "*.tmp\nkeep.bak\n"}, {".gitignore", "!keep.tmp\n*.bak\n"}, {"a.tmp", ""},
        {"keep.tmp", ""}, {"keep.bak", ""}}, {}},
      {"anchoring and middle slash",
       {{".gitignore", "/root.txt\ndoc/frotz\n"}, {"root.txt", ""}, {"a/root.txt", ""}, {"doc/frotz", ""},
        {"a/doc/frotz", ""}}, {}},
      {"double star forms",
       {{".gitignore", "**/foo\nbar/**\na/**/z\n"}, {"foo", ""}, {"x/foo", ""}, {"bar/q", ""}, {"bar2/q", ""},
        {"a/z", ""}, {"a/b/c/z", ""}, {"b/a/z", ""}}, {}},
      {"escapes and trailing spaces",
       {{".gitignore", "\\#h\n\\!b\nsp\\ \ntrail   \n"}, {"#h", ""}, {"!b", ""}, {"sp ", ""}, {"trail", ""},
        {"trail ", ""}}, {}},
      {"tracked but ignored",
       {{".gitignore", "*.gen\nvendor/\n"}, {"a.gen", ""}, {"b.gen", ""}, {"vendor/lib.c", ""},
        {"vendor/new.c", ""}, {"vendor/sub/x.c", ""}},
       {"a.gen", "vendor/lib.c"}},
      {"dir-only pattern does not match files",
       {{".gitignore", "thing/\n"}, {"thing", ""}, {"d/thing/x", ""}}, {}},
  };
  int compared = 0;
  for (const HandCase& c : cases) {
    TempDir dir;
    Git(dir.path(), "init -q");
    for (const auto& [path, content] : c.files) WriteFile(dir.path() + "/" + path, content);
    for (const std::string& t : c.tracked) Git(dir.path(), "add -f -- " + testing_util::ShellQuote(t));
    std::set<std::string> git = GitFiles(dir.path());
    std::set<std::string> ours = NotIgnored(dir.path());
    EXPECT_EQ(ours, git) << c.name << "\n" << Diff(ours, git);
    compared += static_cast<int>(c.files.size());
  }
  std::printf("[ git comparison ] %zu hand-written trees, %d paths compared\n", cases.size(), compared);
}

}  // namespace
}  // namespace trawl
