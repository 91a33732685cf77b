#include "base/tokenize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trawl {
namespace {

using ::testing::ElementsAre;

TEST(SplitIdentifierTest, SplitsCasesAndDigits) {
  EXPECT_THAT(SplitIdentifier("parse_file"), ElementsAre("parse", "file"));
  EXPECT_THAT(SplitIdentifier("parseFile"), ElementsAre("parse", "file"));
  EXPECT_THAT(SplitIdentifier("ParseFile"), ElementsAre("parse", "file"));
  EXPECT_THAT(SplitIdentifier("parseHTTPResponse2"), ElementsAre("parse", "http", "response", "2"));
  EXPECT_THAT(SplitIdentifier("__init__"), ElementsAre("init"));
  EXPECT_THAT(SplitIdentifier("utf8"), ElementsAre("utf", "8"));
  EXPECT_THAT(SplitIdentifier("X"), ElementsAre("x"));
}

TEST(CodeTermsTest, EmitsWholeIdentifierThenParts) {
  EXPECT_EQ(CodeTermsText("def parse_file(self):"), "def parsefile parse file self");
  EXPECT_EQ(CodeTermsText("parseFile"), "parsefile parse file");
  EXPECT_EQ(CodeTermsText("  ...  "), "");
}

}  // namespace
}  // namespace trawl
