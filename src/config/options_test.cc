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
    req.overrides = std::move(overrides);
    req.read_environment = true;
    return LoadOptions(req);
  }
  fs::path dir_;
};

TEST_F(OptionsTest, DefaultsWithoutConfig) {
  auto o = Load();
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->embeddings.provider, "hash");
  EXPECT_EQ(o->index_dir, dir_.string() + "/.trawl");
  EXPECT_TRUE(o->ignore.use_defaults);
  EXPECT_GE(o->EffectiveWorkers(), 1);
}

TEST_F(OptionsTest, YamlThenEnvironmentThenFlags) {
  Write(".trawl.yaml",
        "indexing:\n  concurrent_workers: 3\n  max_file_size_kb: 10\n"
        "ignore:\n  patterns: ['*.log', 'tmp/']\n  use_defaults: false\n");
  setenv("TRAWL_INDEXING__MAX_FILE_SIZE_KB", "20", 1);
  auto o = Load({{"indexing.concurrent_workers", "5"}});
  unsetenv("TRAWL_INDEXING__MAX_FILE_SIZE_KB");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->indexing.concurrent_workers, 5);  // flag beats file
  EXPECT_EQ(o->indexing.max_file_size_kb, 20);   // env beats file
  EXPECT_FALSE(o->ignore.use_defaults);
  EXPECT_THAT(o->ignore.patterns, ElementsAre("*.log", "tmp/"));
  EXPECT_EQ(o->EffectiveWorkers(), 5);
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
