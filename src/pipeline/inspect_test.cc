// `trawl chunk --language L` accepts exactly the languages detection can produce.
#include <gtest/gtest.h>

#include "chunk/languages.h"
#include "discover/discover.h"

namespace trawl {
namespace {

// A grammar's language must be one detection can name, or no file would reach it and
// `--language` would refuse it.
TEST(InspectTest, EveryGrammarLanguageIsAKnownLanguage) {
  const auto& known = KnownLanguages();
  ASSERT_FALSE(chunk_internal::SyntaxLanguageSpecs().empty());
  for (const auto& spec : chunk_internal::SyntaxLanguageSpecs()) {
    EXPECT_EQ(known.count(spec.name), 1u) << spec.name;
  }
  EXPECT_EQ(known.count("text"), 1u);
  EXPECT_EQ(known.count("bogus"), 0u);
  EXPECT_EQ(known.count(DetectLanguage("x.py")), 1u);
  EXPECT_EQ(known.count(DetectLanguage("Makefile")), 1u);
  EXPECT_EQ(known.count(DetectLanguage("run", "#!/usr/bin/env python3\n")), 1u);
}

}  // namespace
}  // namespace trawl
