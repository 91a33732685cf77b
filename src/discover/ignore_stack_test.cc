#include "discover/ignore_stack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trawl {
namespace {

IgnoreFile Git(std::string_view content, std::string base, std::string source) {
  return IgnoreFile::Parse(content, std::move(base), std::move(source), RuleOrigin::kGit);
}

IgnoreFile Trawl(std::string_view content, std::string base, std::string source) {
  return IgnoreFile::Parse(content, std::move(base), std::move(source), RuleOrigin::kTrawl);
}

IgnoreLevel Level(const IgnoreLevel* parent, std::vector<IgnoreFile> files) {
  IgnoreLevel level;
  level.parent = parent;
  level.files = std::move(files);
  return level;
}

// "web/.gitignore:2: *.log", or "kept" when the rule decides nothing or re-includes.
std::string Described(const IgnoreRule* rule) {
  if (rule == nullptr) return "none";
  return (rule->negated ? "!" : "") + rule->Describe();
}

std::string Described(const IgnoreVerdict& v) {
  if (!v.ignored()) return v.rule == nullptr ? "kept" : "kept, tracked despite " + v.rule->Describe();
  return v.rule->Describe();
}

TEST(TrackedPathsTest, ExactPathsAndFoldersBelowWhateverTheInputOrder) {
  std::vector<std::string> storage = {"src/z.c", "src/a.c", "lib/x/y.h", "abc"};
  TrackedPaths tracked({storage[0], storage[1], storage[2], storage[3]});
  EXPECT_TRUE(tracked.Contains("src/a.c"));
  EXPECT_TRUE(tracked.Contains("src/z.c"));
  EXPECT_FALSE(tracked.Contains("src"));
  EXPECT_FALSE(tracked.Contains("src/a"));
  EXPECT_TRUE(tracked.AnyUnder("src/"));
  EXPECT_TRUE(tracked.AnyUnder("lib/"));
  EXPECT_TRUE(tracked.AnyUnder("lib/x/"));
  EXPECT_FALSE(tracked.AnyUnder("ab/"));  // "abc" is not below "ab/"
  EXPECT_FALSE(tracked.AnyUnder("lib/x/y.h/"));
  EXPECT_FALSE(TrackedPaths().AnyUnder("src/"));
}

TEST(IgnoreStackTest, DecidePrecedenceInnermostThenLaterFilesThenExcludeThenDefaults) {
  IgnoreStack stack;
  stack.set_info_exclude(Git("*.tmp\n*.log\n", "", ".git/info/exclude"));
  stack.set_defaults(IgnoreFile::Parse("*.tmp\n*.lock\n", "", "default", RuleOrigin::kDefault));
  IgnoreLevel root = Level(nullptr, {Git("*.o\n!keep.o\n*.log\n", "", ".gitignore")});
  IgnoreLevel web = Level(&root, {Git("!debug.log\n*.gen\n", "web/", "web/.gitignore"),
                                   Trawl("debug.log\n", "web/", "web/.trawlignore")});

  EXPECT_EQ(Described(stack.Decide(&web, "web/a.o", false)), ".gitignore:1: *.o");
  EXPECT_EQ(Described(stack.Decide(&web, "web/keep.o", false)), "!.gitignore:2: !keep.o");
  // .trawlignore comes after .gitignore in its level, so it wins there.
  EXPECT_EQ(Described(stack.Decide(&web, "web/debug.log", false)), "web/.trawlignore:1: debug.log");
  EXPECT_EQ(Described(stack.Decide(&root, "debug.log", false)), ".gitignore:3: *.log");
  EXPECT_EQ(Described(stack.Decide(&root, "web/x.gen", false)), "none");  // web/'s rules are not root's
  // Below every level: .git/info/exclude, then the defaults.
  EXPECT_EQ(Described(stack.Decide(&web, "web/a.tmp", false)), ".git/info/exclude:1: *.tmp");
  EXPECT_EQ(Described(stack.Decide(&web, "web/Cargo.lock", false)), "default: *.lock");
  EXPECT_EQ(Described(stack.Decide(nullptr, "a.lock", false)), "default: *.lock");
  EXPECT_EQ(Described(IgnoreStack().Decide(nullptr, "a.lock", false)), "none");
}

TEST(IgnoreStackTest, TrackedFilesYieldOnlyToTrawlRulesAndDefaultFileRules) {
  std::vector<std::string> storage = {"gen.c", "notes.txt", "Cargo.lock", "build/main.c"};
  IgnoreStack stack;
  stack.set_tracked(TrackedPaths({storage[0], storage[1], storage[2], storage[3]}));
  stack.set_defaults(IgnoreFile::Parse("build/\ndist/\nCargo.lock\n", "", "default", RuleOrigin::kDefault));
  IgnoreLevel root = Level(nullptr, {Git("*.c\n", "", ".gitignore"), Trawl("notes.txt\n", "", ".trawlignore")});

  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "other.c", false)), ".gitignore:1: *.c");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "gen.c", false)), "kept, tracked despite .gitignore:1: *.c");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "notes.txt", false)), ".trawlignore:1: notes.txt");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "Cargo.lock", false)), "default: Cargo.lock");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "build", true)), "kept, tracked despite default: build/");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "dist", true)), "default: dist/");
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "README", false)), "kept");
}

TEST(IgnoreStackTest, NegatedRulesKeepTheEntry) {
  IgnoreStack stack;
  IgnoreLevel root = Level(nullptr, {Git("*.log\n!important.log\n", "", ".gitignore")});
  IgnoreVerdict v = stack.Judge(&root, nullptr, "important.log", false);
  EXPECT_FALSE(v.ignored());
  EXPECT_EQ(v.rule, nullptr);
  EXPECT_EQ(Described(stack.Judge(&root, nullptr, "debug.log", false)), ".gitignore:1: *.log");
}

TEST(IgnoreStackTest, InsideAnIgnoredFolderOnlyTrackedFilesAndTheirFoldersAreKept) {
  // out/ is ignored but holds tracked files: the walk enters it with the rule that
  // ignores it, and git cannot re-include anything else below it.
  std::vector<std::string> storage = {"out/keep.c", "out/sub/deep.c", "out/secret.c", "out/gen.c"};
  IgnoreStack stack;
  stack.set_tracked(TrackedPaths({storage[0], storage[1], storage[2], storage[3]}));
  IgnoreLevel root = Level(nullptr, {Git("out/\n", "", ".gitignore")});
  const IgnoreRule* out_rule = stack.Decide(&root, "out", true);
  ASSERT_NE(out_rule, nullptr);
  IgnoreLevel out = Level(&root, {Git("!*.txt\ngen.c\n", "out/", "out/.gitignore"),
                                   Trawl("secret.c\n", "out/", "out/.trawlignore")});

  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/keep.c", false)), "kept, tracked despite .gitignore:1: out/");
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/new.c", false)), ".gitignore:1: out/");
  // A negation inside cannot re-include what the folder's rule excludes.
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/a.txt", false)), ".gitignore:1: out/");
  // Tracked files still answer to trawl's own rules, not to git's.
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/secret.c", false)), "out/.trawlignore:1: secret.c");
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/gen.c", false)), "kept, tracked despite .gitignore:1: out/");
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/sub", true)), "kept, tracked despite .gitignore:1: out/");
  EXPECT_EQ(Described(stack.Judge(&out, out_rule, "out/empty", true)), ".gitignore:1: out/");
}

}  // namespace
}  // namespace trawl
