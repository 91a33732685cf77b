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

TEST(StemTermTest, MeetsPluralAndVerbEndings) {
  EXPECT_EQ(StemTerm("returns"), "return");
  EXPECT_EQ(StemTerm("returned"), "return");
  EXPECT_EQ(StemTerm("returning"), "return");
  EXPECT_EQ(StemTerm("entries"), "entry");
  EXPECT_EQ(StemTerm("boxes"), "box");
  EXPECT_EQ(StemTerm("status"), "status");
  EXPECT_EQ(StemTerm("is"), "is");
}

TEST(StopTermTest, FunctionWordsOnly) {
  EXPECT_TRUE(IsStopTerm("the"));
  EXPECT_TRUE(IsStopTerm("return"));
  EXPECT_FALSE(IsStopTerm("parse"));
}

}  // namespace
}  // namespace trawl
