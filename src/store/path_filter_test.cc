#include "store/path_filter.h"

#include <gtest/gtest.h>

namespace trawl::store_internal {
namespace {

TEST(PathMatchesGlobTest, NameGlobsMatchAtAnyDepth) {
  EXPECT_TRUE(PathMatchesGlob("*.py", "a.py"));
  EXPECT_TRUE(PathMatchesGlob("*.py", "src/web/a.py"));
  EXPECT_FALSE(PathMatchesGlob("*.py", "src/a.pyc"));
  EXPECT_TRUE(PathMatchesGlob("vendor", "third/vendor/x.go"));
  EXPECT_FALSE(PathMatchesGlob("vendor", "third/vendors/x.go"));
}

TEST(PathMatchesGlobTest, SlashAnchorsAtTheRoot) {
  EXPECT_TRUE(PathMatchesGlob("src/**/*.cc", "src/store/a.cc"));
  EXPECT_TRUE(PathMatchesGlob("src/*.cc", "src/a.cc"));
  EXPECT_FALSE(PathMatchesGlob("src/*.cc", "src/store/a.cc"));
  EXPECT_FALSE(PathMatchesGlob("src/*.cc", "lib/src/a.cc"));
  EXPECT_TRUE(PathMatchesGlob("/docs", "docs/x.md"));
  EXPECT_FALSE(PathMatchesGlob("/docs", "web/docs/x.md"));
  EXPECT_TRUE(PathMatchesGlob("./src/store", "src/store/a.cc"));
  EXPECT_TRUE(PathMatchesGlob("**/test/**", "a/b/test/c.py"));
}

TEST(PathMatchesGlobTest, DirectoriesSelectTheirContents) {
  EXPECT_TRUE(PathMatchesGlob("src/store", "src/store/a.cc"));
  EXPECT_FALSE(PathMatchesGlob("src/store", "src/storex/a.cc"));
  EXPECT_TRUE(PathMatchesGlob("docs/", "docs/x.md"));
  EXPECT_FALSE(PathMatchesGlob("x.md/", "docs/x.md"));
  EXPECT_TRUE(PathMatchesGlob("x.md", "docs/x.md"));
}

}  // namespace
}  // namespace trawl::store_internal
