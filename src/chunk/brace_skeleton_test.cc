#include "chunk/brace_skeleton.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace trawl::chunk_internal {
namespace {

// The interiors' texts, or {"FAIL"}.
std::vector<std::string> Interiors(std::string_view text, uint32_t min_bytes = 0) {
  std::vector<ByteRange> out;
  if (!TopLevelBraceInteriors(text, min_bytes, &out)) return {"FAIL"};
  std::vector<std::string> texts;
  for (const ByteRange& r : out) {
    EXPECT_EQ(text[r.begin - 1], '{');
    EXPECT_EQ(text[r.end], '}');
    texts.emplace_back(text.substr(r.begin, r.end - r.begin));
  }
  return texts;
}

using V = std::vector<std::string>;

TEST(BraceSkeletonTest, TopLevelPairsOnly) {
  EXPECT_EQ(Interiors("int f(void) { if (x) { y(); } return 0; }\nstruct s { int a; };\n"),
            (V{" if (x) { y(); } return 0; ", " int a; "}));
  EXPECT_EQ(Interiors("int x;\n"), V{});
}

TEST(BraceSkeletonTest, ShortInteriorsStayIn) {
  EXPECT_EQ(Interiors("void a(void) {}\nvoid b(void) { long_enough(); }\n", 10),
            V{" long_enough(); "});
}

TEST(BraceSkeletonTest, BracesInCommentsLiteralsAndDirectivesDoNotCount) {
  std::string_view text =
      "/* { */ // }\n"
      "#define OPEN {\n"
      "#define MULTI(x) do { \\\n"
      "  x; } while (0) /* { spans\n"
      "  lines } */\n"
      "int f(void) { char c = '}'; const char *s = \"{\\\"}\"; return c; }\n";
  EXPECT_EQ(Interiors(text), V{" char c = '}'; const char *s = \"{\\\"}\"; return c; "});
}

TEST(BraceSkeletonTest, ConditionalsInsideAPairAreFine) {
  std::string_view text =
      "int f(void)\n{\n#ifdef A\n  a();\n#else\n  b();\n#endif\n}\n"
      "#ifdef B\nint g(void) { return 1; }\n#else\nint g(void) { return 0; }\n#endif\n";
  EXPECT_EQ(Interiors(text), (V{"\n#ifdef A\n  a();\n#else\n  b();\n#endif\n", " return 1; ",
                                " return 0; "}));
}

TEST(BraceSkeletonTest, APairAcrossConditionalBranchesFails) {
  // Two headers for one body: a brace counter cannot tell the structure.
  EXPECT_EQ(Interiors("#if A\nint f(int a) {\n#else\nint f(int a, int b) {\n#endif\n  "
                      "return 0;\n}\n"),
            V{"FAIL"});
  // extern "C" { opened in one conditional, closed in another.
  EXPECT_EQ(Interiors("#ifdef __cplusplus\nextern \"C\" {\n#endif\nint f(void);\n"
                      "#ifdef __cplusplus\n}\n#endif\n"),
            V{"FAIL"});
}

TEST(BraceSkeletonTest, MalformedInputFails) {
  EXPECT_EQ(Interiors("int f(void) { return 0;\n"), V{"FAIL"});   // unclosed
  EXPECT_EQ(Interiors("}\nint x;\n"), V{"FAIL"});                 // stray close
  EXPECT_EQ(Interiors("int f(void) { /* never closed }\n"), V{"FAIL"});
  EXPECT_EQ(Interiors("char *s = \"no end\n; int g(void) { }\n"), V{"FAIL"});
  EXPECT_EQ(Interiors("int x = 'this is not a character literal at all';\n"), V{"FAIL"});
}

TEST(BraceSkeletonTest, EmptyAndBinaryLikeInput) {
  EXPECT_EQ(Interiors(""), V{});
  EXPECT_EQ(Interiors(std::string_view("\0{\0}\0", 5)), V{std::string(1, '\0')});
  EXPECT_EQ(Interiors("#"), V{});
  EXPECT_EQ(Interiors("#define X \\"), V{});
  EXPECT_EQ(Interiors("// \\"), V{});
}

}  // namespace
}  // namespace trawl::chunk_internal
