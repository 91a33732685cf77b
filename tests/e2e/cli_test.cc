// Whole-program tests: the real trawl binary on generated trees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "e2e_util.h"

namespace trawl::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(CliTest, VersionHelpAndUsageErrors) {
  auto v = Trawl("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, HasSubstr("trawl "));
#ifdef TRAWL_WITH_MIMALLOC
  // Linked is not enough: malloc must resolve to mimalloc's at run time.
  EXPECT_THAT(v.out, HasSubstr("(allocator: mimalloc "));
#else
  EXPECT_THAT(v.out, HasSubstr("(allocator: system malloc)"));
#endif
  EXPECT_EQ(Trawl("--help").exit_code, 0);
  EXPECT_EQ(Trawl("index --help").exit_code, 0);
  auto bad = Trawl("index --no-such-flag");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("trawl:"));
  EXPECT_EQ(Trawl("").exit_code, 2);
  auto missing = Trawl("chunk /no/such/file.py");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no such file"));
}

TEST(CliTest, ChunkNamesAnUnknownLanguage) {
  TempDir dir("chunklang");
  WriteFile(dir.path() / "a.py", "def f():\n    return 1\n");
  std::string file = Quote((dir.path() / "a.py").string());
  auto bogus = Trawl("chunk --language bogus " + file);
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_THAT(bogus.err, HasSubstr("unknown language 'bogus' (known: "));
  EXPECT_THAT(bogus.err, HasSubstr("python"));
  auto ok = Trawl("chunk --json --language python " + file);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out).at(0).at("symbol"), "f");
  EXPECT_EQ(Trawl("chunk --language text " + file).exit_code, 0);
}

TEST(CliTest, FilesJsonListsIndexedAndSkippedWithReasons) {
  TempDir dir("files");
  MakeProject(dir.path());
  ASSERT_EQ(std::system(("git init -q " + Quote(dir.path().string())).c_str()), 0);  // .gitignore needs git
  WriteFile(dir.path() / ".gitignore", "*.log\n");
  WriteFile(dir.path() / "debug.log", "x\n");
  WriteFile(dir.path() / "blob.txt", std::string("ab\0\1\2", 5));
  auto r = Trawl("files --why --json " + Quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, nlohmann::json> by_path;
  for (auto& j : JsonLines(r.out)) by_path[j["path"].get<std::string>()] = j;
  ASSERT_TRUE(by_path.count("pkg/parser.py"));
  EXPECT_EQ(by_path["pkg/parser.py"]["status"], "index");
  EXPECT_EQ(by_path["pkg/parser.py"]["language"], "python");
  ASSERT_TRUE(by_path.count("debug.log"));
  EXPECT_EQ(by_path["debug.log"]["status"], "skip");
  EXPECT_THAT(by_path["debug.log"]["reason"].get<std::string>(), HasSubstr("ignored: .gitignore:1: *.log"));
  ASSERT_TRUE(by_path.count("blob.txt"));
  EXPECT_THAT(by_path["blob.txt"]["reason"].get<std::string>(), HasSubstr("binary"));
  ASSERT_TRUE(by_path.count("node_modules/"));
  EXPECT_THAT(by_path["node_modules/"]["reason"].get<std::string>(), HasSubstr("ignored"));
  auto plain = Trawl("files --no-default-ignores " + Quote(dir.path().string()));
  EXPECT_THAT(plain.out, HasSubstr("node_modules/dep/index.js"));
}

TEST(CliTest, ChunkJsonFollowsDefinitions) {
  TempDir dir("chunk");
  MakeProject(dir.path());
  auto r = Trawl("chunk --json " + Quote((dir.path() / "pkg/parser.py").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto arr = nlohmann::json::parse(r.out);
  ASSERT_TRUE(arr.is_array());
  bool found = false;
  for (auto& c : arr) {
    EXPECT_GE(c["end_line"].get<int>(), c["start_line"].get<int>());
    EXPECT_EQ(c["language"], "python");
    // Small neighbours may share a chunk (cAST merge); the function must be in one.
    if (c["content"].get<std::string>().find("def checksum_of_bytes") != std::string::npos &&
        c["start_line"].get<int>() <= 15 && c["end_line"].get<int>() >= 19) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST(CliTest, IndexSearchStatusAndIncrementalRuns) {
  TempDir dir("index");
  MakeProject(dir.path(), 20);
  auto idx = Trawl("index --stats " + Quote(dir.path().string()));
  ASSERT_EQ(idx.exit_code, 0) << idx.err;
  auto stats = nlohmann::json::parse(idx.out);
  EXPECT_EQ(stats["state"], "finished");
  EXPECT_EQ(stats["files_indexed"].get<int>(), 24);  // 20 generated + 4 (node_modules ignored)
  EXPECT_GT(stats["chunks"].get<int>(), 24);
  EXPECT_EQ(Slurp(dir.path() / ".trawl/.gitignore"), "*\n");

  // Search from inside the tree finds the index by walking up.
  auto s = Trawl("search --json -k 3 'checksum of bytes'", dir.path() / "pkg");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto res = nlohmann::json::parse(s.out);
  ASSERT_FALSE(res.empty());
  EXPECT_EQ(res[0]["path"], "pkg/parser.py");
  EXPECT_LE(res[0]["start_line"].get<int>(), 15);
  EXPECT_GE(res[0]["end_line"].get<int>(), 19);
  for (const char* mode : {"lexical", "semantic"}) {
    auto m = Trawl(std::string("search --json --mode ") + mode + " 'open socket timeout'", dir.path());
    ASSERT_EQ(m.exit_code, 0) << m.err;
    ASSERT_FALSE(m.out.empty()) << m.err;
    auto mr = nlohmann::json::parse(m.out);
    ASSERT_FALSE(mr.empty()) << mode;
    EXPECT_EQ(mr[0]["path"], "src/net.c") << mode;
  }
  auto filtered = Trawl("search --json --lang javascript 'widget'", dir.path());
  for (auto& r : nlohmann::json::parse(filtered.out)) EXPECT_EQ(r["language"], "javascript");
  // A comma list in any case, as lang=... in the API.
  auto listed = nlohmann::json::parse(Trawl("search --json -k 20 --lang JavaScript,C 'widget socket'", dir.path()).out);
  std::set<std::string> langs;
  for (auto& r : listed) langs.insert(r["language"].get<std::string>());
  EXPECT_EQ(langs, (std::set<std::string>{"javascript", "c"}));
  // A misspelt language is an error naming the known ones, not an empty result.
  auto misspelt = Trawl("search --json --lang javascript,pyhton 'widget'", dir.path());
  EXPECT_EQ(misspelt.exit_code, 2);
  EXPECT_THAT(misspelt.err, HasSubstr("unknown language 'pyhton' (known: "));

  // No-op re-run: nothing processed.
  auto again = Trawl("index --stats " + Quote(dir.path().string()));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto st2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(st2["files_processed"].get<int>(), 0);
  EXPECT_EQ(st2["files_unchanged"].get<int>(), 24);

  // Edit one file, delete one: only those change.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriteFile(dir.path() / "src/net.c", "int close_connection_gracefully(int fd) { return fd; }\n");
  fs::remove(dir.path() / "web/app.js");
  auto third = Trawl("index --stats " + Quote(dir.path().string()));
  auto st3 = nlohmann::json::parse(third.out);
  EXPECT_EQ(st3["files_processed"].get<int>(), 1);
  EXPECT_EQ(st3["files_deleted"].get<int>(), 1);
  auto gone = Trawl("search --json 'renderWidget'", dir.path());
  for (auto& r : nlohmann::json::parse(gone.out)) EXPECT_NE(r["path"], "web/app.js");
  auto fresh = Trawl("search --json -k 1 'close connection gracefully'", dir.path());
  EXPECT_EQ(nlohmann::json::parse(fresh.out)[0]["path"], "src/net.c");

  auto status = Trawl("status --json", dir.path());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto sj = nlohmann::json::parse(status.out);
  EXPECT_EQ(sj["files"].get<int>(), 23);
  EXPECT_EQ(sj["embedder"]["name"], "hash-v4");
}

TEST(CliTest, BinaryAndOversizedFilesAreSkippedOnceNotFailed) {
  TempDir dir("skipped");
  MakeProject(dir.path());
  const char kBinary[] = "head\0\1\2 binary";
  WriteFile(dir.path() / "data.txt", std::string(kBinary, sizeof(kBinary) - 1));
  WriteFile(dir.path() / "big.py", std::string(3000, 'x') + "\n");
  WriteFile(dir.path() / ".trawl.yaml", "indexing:\n  max_file_size_kb: 2\n");
  auto r = Trawl("index --stats " + Quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = nlohmann::json::parse(r.out);
  EXPECT_EQ(st["files_failed"].get<int>(), 0);
  EXPECT_EQ(st["files_skipped"].get<int>(), 1);  // data.txt (big.py never leaves discovery)
  auto again = nlohmann::json::parse(Trawl("index --stats " + Quote(dir.path().string())).out);
  EXPECT_EQ(again["files_processed"].get<int>(), 0);
  auto files = Trawl("files --why --json " + Quote(dir.path().string()));
  EXPECT_THAT(files.out, HasSubstr("too_large"));
}

// A directory that becomes unreadable is not a deletion: the files the index knows in
// it stay searchable, the run names the directory and exits 3; once readable again,
// nothing was lost.
TEST(CliTest, UnreadableDirectoryKeepsItsIndexedFiles) {
  std::string as_user;  // root reads everything: then run trawl as "nobody"
  if (::geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "root, and no setpriv";
    as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  TempDir dir("unreadable_dir");
  fs::path tree = dir.path() / "tree";
  WriteFile(tree / "ok.c", "int open_gate(void) { return 1; }\n");
  WriteFile(tree / "closed/c.c", "int hidden_walrus_counter(void) { return 2; }\n");
  for (const fs::path& p : {dir.path(), tree, tree / "closed"}) fs::permissions(p, fs::perms::all);
  auto run = [&](const std::string& args) { return Trawl(args, tree, as_user); };
  auto first = run("index .");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  fs::permissions(tree / "closed", fs::perms::none);
  auto second = run("index --stats .");
  fs::permissions(tree / "closed", fs::perms::all);
  EXPECT_EQ(second.exit_code, 3) << second.err;
  auto st = nlohmann::json::parse(second.out);
  EXPECT_EQ(st["files_deleted"].get<int>(), 0);
  ASSERT_EQ(st["failures"].size(), 1u) << st.dump();
  EXPECT_EQ(st["failures"][0]["path"], "closed/");
  EXPECT_THAT(st["failures"][0]["reason"].get<std::string>(), HasSubstr("Permission denied"));
  EXPECT_THAT(run("search --mode lexical --json hidden_walrus_counter").out, HasSubstr("closed/c.c"));
  auto third = run("index .");
  EXPECT_EQ(third.exit_code, 0) << third.err;
  EXPECT_THAT(run("search --mode lexical --json hidden_walrus_counter").out, HasSubstr("closed/c.c"));
}

// An index this user cannot write (another user's, a read-only mount) is searched all
// the same.
TEST(CliTest, AnIndexThisUserCannotWriteIsSearched) {
  if (::geteuid() != 0 || std::system("command -v setpriv >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs root (to make an index another user cannot write) and setpriv";
  }
  TempDir dir("readonly_index");
  MakeProject(dir.path());
  ASSERT_EQ(Trawl("index --progress none --shards 2 .", dir.path()).exit_code, 0);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  const std::string nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  for (const char* mode : {"lexical", "semantic", "hybrid"}) {
    auto r = Trawl(std::string("search --mode ") + mode + " parse_file", dir.path(), nobody);
    EXPECT_EQ(r.exit_code, 0) << mode << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("pkg/parser.py")) << mode;
  }
  EXPECT_EQ(Trawl("status", dir.path(), nobody).exit_code, 0);
}

// A damaged database is named as such, with the way out; --rebuild takes it.
TEST(CliTest, DamagedIndexSaysHowAndRebuildRecovers) {
  TempDir dir("damaged");
  MakeProject(dir.path());
  ASSERT_EQ(Trawl("index --progress none --shards 2 .", dir.path()).exit_code, 0);
  fs::path db = dir.path() / ".trawl/gen-1/shard-01/index.db";
  std::string bytes = Slurp(db);
  ASSERT_GT(bytes.size(), 8192u);
  WriteFile(db, bytes.substr(0, 4096) + std::string(bytes.size() - 4096, 'x'));
  for (const auto& f : fs::directory_iterator(dir.path() / ".trawl/gen-1/shard-01")) {
    if (f.path().filename().string().rfind("index.db-", 0) == 0) fs::remove(f.path());
  }
  for (const char* cmd : {"search parse_file", "status", "index --progress none ."}) {
    auto r = Trawl(cmd, dir.path());
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_THAT(r.err, HasSubstr("is damaged or is not a trawl index")) << cmd;
    EXPECT_THAT(r.err, HasSubstr("trawl index --rebuild")) << cmd;
  }
  auto rebuilt = Trawl("index --rebuild --progress none .", dir.path());
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_THAT(Trawl("search --mode lexical parse_file", dir.path()).out, HasSubstr("pkg/parser.py"));
}

// Damage that the database itself cannot see (a chunk's text changed in place) and
// damage it can (a zeroed page) are found by `trawl check`; --rebuild, made beside the
// damaged index, repairs either, and the index then equals a clean one.
TEST(CliTest, CheckFindsDamageAndRebuildRepairsIt) {
  TempDir dir("check");
  MakeProject(dir.path(), 200);
  TempDir clean("check_clean");
  ASSERT_EQ(Trawl("index --progress none --index " + Quote(clean.path().string()) + " .", dir.path()).exit_code, 0);
  const std::string want = Trawl("export --index " + Quote(clean.path().string())).out;
  for (int damage : {0, 1}) {
    fs::remove_all(dir.path() / ".trawl");
    ASSERT_EQ(Trawl("index --progress none --shards 2 .", dir.path()).exit_code, 0);
    auto sound = Trawl("check", dir.path());
    ASSERT_EQ(sound.exit_code, 0) << sound.out << sound.err;
    EXPECT_THAT(sound.out, HasSubstr("ok: "));
    fs::path db = dir.path() / ".trawl/gen-1/shard-00/index.db";
    std::string bytes = Slurp(db);
    if (damage == 0) {
      // 64 bytes inside one chunk's text (a zstd frame, its magic 28 b5 2f fd), the
      // database's structure untouched.
      const std::string magic = "\x28\xb5\x2f\xfd";
      size_t at = bytes.find(magic, bytes.size() / 2);
      ASSERT_NE(at, std::string::npos);
      for (size_t i = 12; i < 76 && at + i < bytes.size(); ++i) bytes[at + i] = static_cast<char>(bytes[at + i] ^ 0x5a);
    } else {
      // A page of zeros in the middle of the database.
      size_t page = 16384;
      ASSERT_GT(bytes.size(), 8 * page);
      size_t at = (bytes.size() / page / 2) * page;
      std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(at + page), '\0');
    }
    WriteFile(db, bytes);
    auto found = Trawl("check", dir.path());
    EXPECT_EQ(found.exit_code, 1) << "damage " << damage << ": " << found.out;
    EXPECT_THAT(found.out, HasSubstr("damaged: "));
    EXPECT_THAT(found.err, HasSubstr("trawl index --rebuild"));
    auto rebuilt = Trawl("index --progress none --rebuild .", dir.path());
    ASSERT_EQ(rebuilt.exit_code, 0) << "damage " << damage << ": " << rebuilt.err;
    EXPECT_EQ(Trawl("check", dir.path()).exit_code, 0);
    EXPECT_TRUE(Trawl("export", dir.path()).out == want) << "damage " << damage;
    EXPECT_FALSE(fs::exists(dir.path() / ".trawl/gen-1"));
  }
}

// A second writer is refused with the way to wait, or waits with --wait.
TEST(CliTest, SecondWriterIsToldToWaitOrWaits) {
  TempDir dir("second_writer");
  MakeProject(dir.path());
  ASSERT_EQ(Trawl("index --progress none .", dir.path()).exit_code, 0);
  std::string hold = "flock " + Quote((dir.path() / ".trawl/lock").string()) + " sleep 2 & sleep 0.3; ";
  // (The holder runs in the background: the path is given whole, not through the cwd.)
  std::string tree = Quote(dir.path().string());
  auto refused = Trawl("index --progress none " + tree, dir.path(), hold);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("is being written by another trawl process (pid "));
  EXPECT_THAT(refused.err, HasSubstr("use --wait to wait"));
  auto waited = Trawl("index --wait --progress none " + tree, dir.path(), hold);
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
}

// Any worker count and any shard count give the same content, and an index of another
// shard count is not reused without --rebuild (which reshards it).
TEST(CliTest, ExportIsIdenticalForAnyWorkersAndShards) {
  TempDir dir("export");
  MakeProject(dir.path(), 60);
  std::string tree = Quote(dir.path().string());
  std::string first;
  for (const char* layout : {"--workers 1 --shards 1", "--workers 4 --shards 1", "--workers 1 --shards 4",
                             "--workers 4 --shards 7"}) {
    TempDir idx("export_idx");
    std::string at = " --index " + Quote(idx.path().string());
    auto a = Trawl(std::string("index --progress none ") + layout + at + " " + tree);
    ASSERT_EQ(a.exit_code, 0) << layout << ": " << a.err;
    auto e = Trawl("export --json" + at);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_THAT(e.out, Not(HasSubstr(idx.path().string())));
    if (first.empty()) {
      first = e.out;
      EXPECT_GT(first.size(), 1000u);
      // Each file's line names its status as text, the export's stable form.
      EXPECT_THAT(first, HasSubstr("\"status\":\"indexed\""));
      EXPECT_THAT(first, Not(HasSubstr("\"status\":0")));
    } else {
      EXPECT_TRUE(e.out == first) << "exports differ: " << layout;
    }
  }
  TempDir idx("export_reshard");
  std::string at = " --index " + Quote(idx.path().string());
  ASSERT_EQ(Trawl("index --progress none --shards 2" + at + " " + tree).exit_code, 0);
  auto refused = Trawl("index --progress none --shards 3" + at + " " + tree);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("has 2 shards, this run asks for 3"));
  EXPECT_THAT(refused.err, HasSubstr("--rebuild --shards 3"));
  EXPECT_EQ(Trawl("index --progress none" + at + " " + tree).exit_code, 0);  // keeps its 2
  auto resharded = Trawl("index --progress none --rebuild --shards 3" + at + " " + tree);
  ASSERT_EQ(resharded.exit_code, 0) << resharded.err;
  EXPECT_TRUE(fs::exists(idx.path() / "gen-2/shard-02"));
  EXPECT_FALSE(fs::exists(idx.path() / "gen-2/shard-03"));
  EXPECT_FALSE(fs::exists(idx.path() / "gen-1"));
  EXPECT_TRUE(Trawl("export --json" + at).out == first) << "export after resharding differs";
}

TEST(CliTest, BadConfigIsAClearUsageError) {
  TempDir dir("badcfg");
  MakeProject(dir.path());
  WriteFile(dir.path() / ".trawl.yaml", "indexing:\n  concurrent_workerz: 2\n");
  auto r = Trawl("index " + Quote(dir.path().string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(".trawl.yaml:2: unknown key 'indexing.concurrent_workerz'"));
  EXPECT_FALSE(fs::exists(dir.path() / ".trawl"));
}

TEST(CliTest, EmbedderMismatchNeedsRebuild) {
  TempDir dir("mismatch");
  MakeProject(dir.path());
  ASSERT_EQ(Trawl("index " + Quote(dir.path().string())).exit_code, 0);
  ::setenv("TRAWL_EMBEDDINGS__DIMENSIONS", "64", 1);
  auto r = Trawl("index " + Quote(dir.path().string()));
  auto rb = Trawl("index --rebuild " + Quote(dir.path().string()));
  ::unsetenv("TRAWL_EMBEDDINGS__DIMENSIONS");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--rebuild"));
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
}

// kill -9 at some moment of a run: the next run finishes the job, and the index then
// equals one made by a clean run. Sharded, fresh and incremental with renames (a
// renamed file usually changes shard), and --rebuild.
TEST(CliTest, KillNineThenResumeEqualsCleanRun) {
  TempDir dir("kill9");
  MakeProject(dir.path(), 1500);
  const std::string tree = Quote(dir.path().string());
  auto clean_export = [&] {
    TempDir clean("kill9_clean");
    EXPECT_EQ(Trawl("index --shards 1 --index " + Quote(clean.path().string()) + " " + tree).exit_code, 0);
    return Trawl("export --index " + Quote(clean.path().string())).out;
  };
  auto kill_after = [&](const std::string& args, int delay_ms) {
    std::string cmd = Quote(Binary()) + " index --progress none " + args + " " + tree +
                      " >/dev/null 2>&1 & pid=$!; sleep " + std::to_string(delay_ms / 1000.0) +
                      "; kill -9 $pid; wait $pid 2>/dev/null; true";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  };
  std::string before = clean_export();
  for (int delay_ms : {30, 150, 400}) {
    TempDir idx("kill9_idx");
    std::string at = "--index " + Quote(idx.path().string());
    kill_after("--shards 3 " + at, delay_ms);
    auto resume = Trawl("index " + at + " " + tree);
    ASSERT_EQ(resume.exit_code, 0) << resume.err;
    EXPECT_TRUE(Trawl("export " + at).out == before) << "resumed index differs from a clean one (kill after "
                                                     << delay_ms << " ms)";
  }
  // Incremental: a directory renamed (its files move between shards) and a --rebuild,
  // each killed, then resumed.
  TempDir idx("kill9_incr");
  std::string at = "--index " + Quote(idx.path().string());
  ASSERT_EQ(Trawl("index --shards 3 " + at + " " + tree).exit_code, 0);
  fs::rename(dir.path() / "gen/mod_3", dir.path() / "gen/moved_3");
  fs::rename(dir.path() / "gen/mod_7", dir.path() / "renamed");
  std::string after = clean_export();
  kill_after(at, 60);
  ASSERT_EQ(Trawl("index " + at + " " + tree).exit_code, 0);
  EXPECT_TRUE(Trawl("export " + at).out == after) << "renames across shards, resumed, differ from a clean run";
  kill_after("--rebuild " + at, 200);
  ASSERT_EQ(Trawl("index " + at + " " + tree).exit_code, 0);
  EXPECT_TRUE(Trawl("export " + at).out == after) << "a killed --rebuild, resumed, differs from a clean run";
}

TEST(CliTest, SigtermStopsCleanlyWith130AndNextRunFinishes) {
  TempDir dir("sigterm");
  MakeProject(dir.path(), 3000);
  // Time from the signal to the exit, measured by the shell around `wait`.
  std::string cmd = Quote(Binary()) + " index --progress none " + Quote(dir.path().string()) +
                    " >/dev/null 2>&1 & pid=$!; sleep 0.3; kill -TERM $pid; t0=$(date +%s%N); wait $pid; rc=$?; "
                    "t1=$(date +%s%N); echo $rc $(( (t1 - t0) / 1000000 )) > " +
                    Quote((dir.path() / "rc.txt").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream rc_in(Slurp(dir.path() / "rc.txt"));
  int rc = -1, stop_ms = -1;
  rc_in >> rc >> stop_ms;
  // Either it was interrupted (130) or it had already finished (0).
  EXPECT_TRUE(rc == 130 || rc == 0) << rc;
  EXPECT_LT(stop_ms, 3000) << "took " << stop_ms << " ms to stop after SIGTERM";
  auto next = Trawl("index --stats " + Quote(dir.path().string()));
  ASSERT_EQ(next.exit_code, 0) << next.err;
  auto st = nlohmann::json::parse(next.out);
  EXPECT_EQ(st["files_failed"].get<int>(), 0);
  auto again = Trawl("index --stats " + Quote(dir.path().string()));
  EXPECT_EQ(nlohmann::json::parse(again.out)["files_processed"].get<int>(), 0);
}

TEST(CliTest, ProgressJsonLines) {
  TempDir dir("progress");
  MakeProject(dir.path(), 10);
  auto r = Trawl("index --progress json " + Quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto events = JsonLines(r.out);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front()["event"], "started");
  EXPECT_EQ(events.back()["event"], "finished");
  EXPECT_EQ(events.back()["files_done"], events.back()["files_total"]);
  for (auto& e : events) {
    for (const char* k : {"files_done", "files_total", "chunks", "bytes", "errors", "elapsed_s", "eta_s"}) {
      EXPECT_TRUE(e.contains(k)) << k;
    }
  }
}

// A traceback names the files to look at: one the words of the message never find
// (shop/rates.py) joins the results, above files the traceback does not name; paths
// from elsewhere (site-packages) resolve by their suffix.
TEST(CliTest, FilesATracebackNamesJoinAndLeadTheResults) {
  TempDir dir("traceback");
  WriteFile(dir.path() / "shop/cart.py",
            "def total_price(items):\n    return sum(i.price * i.quantity for i in items)\n");
  WriteFile(dir.path() / "shop/discount.py",
            "def apply_discount(amount, code):\n    rate = RATES[code]\n    return amount - amount * rate\n");
  WriteFile(dir.path() / "shop/rates.py", "RATES = {\n    \"WINTER\": 0.1,\n}\n");
  WriteFile(dir.path() / "shop/README.py",
            "# total price of the items in the cart: the price times the quantity, summed\n"
            "TOTAL_PRICE_HELP = 'total price of items, price times quantity'\n");
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  std::string words = "checkout fails with a KeyError for the summer code\n";
  std::string traceback =
      "Traceback (most recent call last):\n"
      "  File \"/usr/lib/python3/site-packages/shop/cart.py\", line 2, in total_price\n"
      "  File \"/usr/lib/python3/site-packages/shop/rates.py\", line 2, in <module>\n"
      "KeyError: 'SUMMER'";
  auto paths = [&](const std::string& mode, const std::string& query) {
    auto s = Trawl("search --json -k 3 --mode " + mode + " " + Quote(query), dir.path());
    EXPECT_EQ(s.exit_code, 0) << s.err;
    std::vector<std::string> out;
    for (const auto& r : nlohmann::json::parse(s.out)) out.push_back(r["path"]);
    return out;
  };
  for (const char* mode : {"hybrid", "lexical"}) {
    std::vector<std::string> got = paths(mode, words + traceback);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], "shop/cart.py") << mode;   // named, and found by its words
    EXPECT_EQ(got[1], "shop/rates.py") << mode;  // named only
    std::vector<std::string> plain = paths(mode, words);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), "shop/rates.py"), 0) << mode;
  }
}

// An issue text names a function in its title and calls it in its snippet: the file
// that defines it leads, ahead of the test and the document that use it more; --explain
// says how the query was read and why the result ranked.
TEST(CliTest, IssueTextFindsTheDefinitionAndExplainsWhy) {
  TempDir dir("issue");
  WriteFile(dir.path() / "calc/ops.py",
            "def apply_rounding(value, digits):\n    \"\"\"Round a value.\"\"\"\n    return round(value, digits)\n\n\n"
            "def scale(value, factor):\n    return value * factor\n");
  WriteFile(dir.path() / "calc/tests/test_ops.py",
            "from calc.ops import apply_rounding\n\n\ndef test_apply_rounding_negative_digits():\n"
            "    assert apply_rounding(1234.5, -2) == 1200\n    assert apply_rounding(-1.5, 0) == -2\n"
            "    # apply_rounding with negative digits rounds to tens, hundreds\n");
  WriteFile(dir.path() / "docs/rounding.md",
            "# Rounding\n\napply_rounding rounds a value to digits; negative digits round to tens and hundreds.\n"
            "apply_rounding(1234.5, -2) gives 1200.\n");
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  std::string issue =
      "apply_rounding is wrong for negative digits\n"
      "With negative digits the result is not rounded to hundreds:\n"
      "```python\n"
      ">>> from calc.ops import apply_rounding\n"
      ">>> apply_rounding(1234.5, -2)\n"
      "1234.5\n"
      "```\n";
  for (const char* mode : {"hybrid", "lexical"}) {
    auto s = Trawl(std::string("search --json --explain -k 3 --mode ") + mode + " " + Quote(issue), dir.path());
    ASSERT_EQ(s.exit_code, 0) << s.err;
    nlohmann::json out = nlohmann::json::parse(s.out);
    ASSERT_GE(out["results"].size(), 1u) << s.out;
    const auto& top = out["results"][0];
    EXPECT_EQ(top["path"], "calc/ops.py") << mode << s.out;
    EXPECT_EQ(top["symbol"], "apply_rounding") << mode;
    EXPECT_EQ(top["explain"]["defines"], "apply_rounding") << mode;
    EXPECT_TRUE(top["explain"]["reranked"].get<bool>());
    EXPECT_GT(top["explain"]["parts"]["defines"].get<double>(), 0);
    const auto& reading = out["reading"];
    EXPECT_TRUE(reading["has_code"].get<bool>());
    ASSERT_GE(reading["names"].size(), 1u);
    EXPECT_EQ(reading["names"][0]["name"], "apply_rounding");
    EXPECT_EQ(reading["modules"], nlohmann::json::array({"calc/ops"}));
    ASSERT_EQ(reading["files"].size(), 1u);  // the dotted module name, resolved
    EXPECT_EQ(reading["files"][0]["name"], "calc/ops.py");
    for (const auto& r : out["results"]) {
      if (r["path"] != "calc/ops.py") {
        EXPECT_LT(r["explain"]["parts"].value("defines", 0.0), 0.01) << r.dump();
      }
    }
  }
  // The text form says the same.
  auto text = Trawl("search --explain -k 2 " + Quote(issue), dir.path());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("query read as:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("names used as code: apply_rounding"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("defines +"), std::string::npos) << text.out;
  // Without --explain the JSON stays a list of results.
  auto plain = Trawl("search --json -k 2 " + Quote(issue), dir.path());
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(plain.out).is_array());
  EXPECT_EQ(plain.out.find("explain"), std::string::npos);
}

TEST(CliTest, SearchFilesAnswersWithFilesEachWithItsBestChunks) {
  TempDir dir("files");
  std::string many;  // a file with several matching functions, and one with a single better one
  for (int i = 0; i < 4; ++i) {  // each over the chunk size: a chunk of its own
    many += "def retry_request_" + std::to_string(i) + "(session):\n";
    for (int line = 0; line < 60; ++line) {
      many += "    session.step_" + std::to_string(line) + " = session.compute_value_" + std::to_string(line) + "()\n";
    }
    many += "    return session.retry_request()\n\n\n";
  }
  WriteFile(dir.path() / "net/retry.py", many);
  WriteFile(dir.path() / "net/other.py", "def unrelated():\n    return 1\n");
  ASSERT_EQ(Trawl("index --progress none " + Quote(dir.path().string())).exit_code, 0);
  auto s = Trawl("search --files --json -k 2 --mode lexical 'retry request'", dir.path());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto files = nlohmann::json::parse(s.out);
  ASSERT_GE(files.size(), 1u);
  EXPECT_EQ(files[0]["path"], "net/retry.py");
  ASSERT_EQ(files[0]["chunks"].size(), 3u);  // its best three chunks, best first
  EXPECT_GE(files[0]["chunks"][0]["score"].get<double>(), files[0]["chunks"][1]["score"].get<double>());
  EXPECT_EQ(files[0]["chunks"][0]["path"], "net/retry.py");
  auto text = Trawl("search --files --mode lexical 'retry request'", dir.path());
  EXPECT_EQ(text.out.rfind("net/retry.py  (", 0), 0u) << text.out;
  // Batch mode answers files too.
  WriteFile(dir.path() / "q.jsonl", "{\"id\": 1, \"query\": \"retry request\"}\n");
  auto batch = Trawl("search --files --mode lexical --queries q.jsonl", dir.path());
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_EQ(nlohmann::json::parse(batch.out)["files"][0]["path"], "net/retry.py");
}

}  // namespace
}  // namespace trawl::e2e
