#include "base/wildmatch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace trawl {
namespace {

struct Case {
  bool match;
  const char* pattern;
  const char* text;
};

// Cases from the WM_PATHNAME column of git's t/t3070-wildmatch.sh.
constexpr Case kGitCases[] = {
    {true, "foo", "foo"},
    {false, "bar", "foo"},
    {true, "", ""},
    {true, "???", "foo"},
    {false, "??", "foo"},
    {true, "*", "foo"},
    {true, "f*", "foo"},
    {false, "*f", "foo"},
    {true, "*foo*", "foo"},
    {true, "*ob*a*r*", "foobar"},
    {true, "*ab", "aaaaaaabababab"},
    {true, "foo\\*", "foo*"},
    {false, "foo\\*bar", "foobar"},
    {true, "f\\\\oo", "f\\oo"},
    {true, "*[al]?", "ball"},
    {false, "[ten]", "ten"},
    {true, "**[!te]", "ten"},
    {false, "**[!ten]", "ten"},
    {true, "t[a-g]n", "ten"},
    {false, "t[!a-g]n", "ten"},
    {true, "t[!a-g]n", "ton"},
    {true, "t[^a-g]n", "ton"},
    {true, "a[]]b", "a]b"},
    {true, "a[]-]b", "a-b"},
    {true, "a[]-]b", "a]b"},
    {false, "a[]-]b", "aab"},
    {true, "a[]a-]b", "aab"},
    {true, "]", "]"},
    // Extended slash-matching features.
    {false, "foo*bar", "foo/baz/bar"},
    {false, "foo**bar", "foo/baz/bar"},
    {true, "foo**bar", "foobazbar"},  // "**" not next to a slash is a plain "*"
    {true, "foo/**/bar", "foo/baz/bar"},
    {true, "foo/**/**/bar", "foo/baz/bar"},
    {true, "foo/**/bar", "foo/b/a/z/bar"},
    {true, "foo/**/**/bar", "foo/b/a/z/bar"},
    {true, "foo/**/bar", "foo/bar"},
    {true, "foo/**/**/bar", "foo/bar"},
    {false, "foo?bar", "foo/bar"},
    {false, "foo[/]bar", "foo/bar"},
    {false, "foo[^a-z]bar", "foo/bar"},
    {false, "f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar"},
    {true, "f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar"},
    {true, "**/foo", "foo"},
    {true, "**/foo", "XXX/foo"},
    {true, "**/foo", "bar/baz/foo"},
    {false, "*/foo", "bar/baz/foo"},
    {false, "**/bar*", "foo/bar/baz"},
    {true, "**/bar/*", "deep/foo/bar/baz"},
    {false, "**/bar/*", "deep/foo/bar/baz/"},
    {true, "**/bar/**", "deep/foo/bar/baz/"},
    {false, "**/bar/*", "deep/foo/bar"},
    {true, "**/bar/**", "deep/foo/bar/"},
    {false, "**/bar**", "foo/bar/baz"},
    {true, "*/bar/**", "foo/bar/baz/x"},
    {false, "*/bar/**", "deep/foo/bar/baz/x"},
    {true, "**/bar/*/*", "deep/foo/bar/baz/x"},
    // Various additional tests.
    {false, "a[c-c]st", "acrt"},
    {true, "a[c-c]rt", "acrt"},
    {false, "[!]-]", "]"},
    {true, "[!]-]", "a"},
    {false, "\\", ""},
    {false, "\\", "\\"},
    {false, "*/\\", "XXX/\\"},
    {true, "*/\\\\", "XXX/\\"},
    {true, "foo", "foo"},
    {true, "@foo", "@foo"},
    {false, "@foo", "foo"},
    {true, "\\[ab]", "[ab]"},
    {true, "[[]ab]", "[ab]"},
    {true, "[[:]ab]", "[ab]"},
    {false, "[[::]ab]", "[ab]"},
    {true, "[[:digit]ab]", "[ab]"},
    {true, "[\\[:]ab]", "[ab]"},
    {true, "\\??\\?b", "?a?b"},
    {true, "\\a\\b\\c", "abc"},
    {false, "", "foo"},
    {true, "**/t[o]", "foo/bar/baz/to"},
    // Character class tests.
    {true, "[[:alpha:]][[:digit:]][[:upper:]]", "a1B"},
    {false, "[[:digit:][:upper:][:space:]]", "a"},
    {true, "[[:digit:][:upper:][:space:]]", "A"},
    {true, "[[:digit:][:upper:][:space:]]", "1"},
    {false, "[[:digit:][:upper:][:spaci:]]", "1"},
    {true, "[[:digit:][:upper:][:space:]]", " "},
    {false, "[[:digit:][:upper:][:space:]]", "."},
    {true, "[[:digit:][:punct:][:space:]]", "."},
    {true, "[[:xdigit:]]", "5"},
    {true, "[[:xdigit:]]", "f"},
    {true, "[[:xdigit:]]", "D"},
    {true, "[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:graph:][:lower:][:print:][:punct:][:space:][:upper:][:xdigit:]]", "_"},
    {true, "[^[:alnum:][:alpha:][:blank:][:digit:][:graph:][:lower:][:print:][:punct:][:space:][:upper:][:xdigit:]]", "\x01"},
    {false, "[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:lower:][:space:][:upper:][:xdigit:]]", "."},
    {true, "[a-c[:digit:]x-z]", "5"},
    {true, "[a-c[:digit:]x-z]", "b"},
    {true, "[a-c[:digit:]x-z]", "y"},
    {false, "[a-c[:digit:]x-z]", "q"},
    // Additional tests, including some malformed wildmatch patterns.
    {true, "[\\\\-^]", "]"},
    {false, "[\\\\-^]", "["},
    {true, "[\\-_]", "-"},
    {true, "[\\]]", "]"},
    {false, "[\\]]", "\\]"},
    {false, "[\\]]", "\\"},
    {false, "a[]b", "ab"},
    {false, "a[]b", "a[]b"},
    {false, "ab[", "ab["},
    {false, "[!", "ab"},
    {false, "[-", "ab"},
    {true, "[-]", "-"},
    {false, "[a-", "-"},
    {false, "[!a-", "-"},
    {true, "[--A]", "-"},
    {true, "[--A]", "5"},
    {true, "[ --]", " "},
    {true, "[ --]", "$"},
    {true, "[ --]", "-"},
    {false, "[ --]", "0"},
    {true, "[---]", "-"},
    {true, "[------]", "-"},
    {false, "[a-e-n]", "j"},
    {true, "[a-e-n]", "-"},
    {true, "[!------]", "a"},
    {false, "[]-a]", "["},
    {true, "[]-a]", "^"},
    {false, "[!]-a]", "^"},
    {true, "[!]-a]", "["},
    {true, "[a^bc]", "^"},
    {true, "[a-]b]", "-b]"},
    {false, "[\\]", "\\"},
    {true, "[\\\\]", "\\"},
    {false, "[!\\\\]", "\\"},
    {true, "[A-\\\\]", "G"},
    {false, "b*a", "aaabbb"},
    {false, "*ba*", "aabcaa"},
    {true, "[,]", ","},
    {true, "[\\\\,]", ","},
    {true, "[\\\\,]", "\\"},
    {true, "[,-.]", "-"},
    {false, "[,-.]", "+"},
    {false, "[,-.]", "-.]"},
    {true, "[\\1-\\3]", "2"},
    {true, "[\\1-\\3]", "3"},
    {false, "[\\1-\\3]", "4"},
    {true, "[[-\\]]", "\\"},
    {true, "[[-\\]]", "["},
    {true, "[[-\\]]", "]"},
    {false, "[[-\\]]", "-"},
    // Test recursion.
    {true, "-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1"},
    {false, "-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1"},
    {false, "-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1"},
    {true, "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*", "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1"},
    {false, "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*", "XXX/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1"},
    {true, "**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt"},
    {false, "**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz"},
    {false, "*/*/*", "foo"},
    {false, "*/*/*", "foo/bar"},
    {true, "*/*/*", "foo/bba/arr"},
    {false, "*/*/*", "foo/bb/aa/rr"},
    {true, "**/**/**", "foo/bb/aa/rr"},
    {true, "*X*i", "abcXdefXghi"},
    {false, "*X*i", "ab/cXd/efXg/hi"},
    {true, "*/*X*/*/*i", "ab/cXd/efXg/hi"},
    {true, "**/*X*/**/*i", "ab/cXd/efXg/hi"},
    // Extra pathmatch tests.
    {false, "fo", "foo"},
    {true, "foo/bar", "foo/bar"},
    {true, "foo/*", "foo/bar"},
    {false, "foo/*", "foo/bba/arr"},
    {true, "foo/**", "foo/bba/arr"},
    {false, "foo*", "foo/bba/arr"},
    {false, "foo**", "foo/bba/arr"},
    {false, "foo/*arr", "foo/bba/arr"},
    {false, "foo/**arr", "foo/bba/arr"},
    {false, "foo/*z", "foo/bba/arr"},
    {false, "foo/**z", "foo/bba/arr"},
    {true, "foo?bar", "foo?bar"},
    {true, "foo[?]bar", "foo?bar"},
    {false, "foo[/]bar", "foo/bar"},
    {false, "foo[^a-z]bar", "foo/bar"},
    {false, "*Copyright*", "foo/Copyright/bar"},
};

TEST(WildMatchTest, GitCases) {
  for (const Case& c : kGitCases) {
    EXPECT_EQ(WildMatch(c.pattern, c.text), c.match) << "pattern '" << c.pattern << "' text '" << c.text << "'";
  }
}

TEST(WildMatchTest, CaseFold) {
  EXPECT_FALSE(WildMatch("[A-Z]", "a"));
  EXPECT_TRUE(WildMatch("[A-Z]", "a", /*case_fold=*/true));
  EXPECT_TRUE(WildMatch("FOO*", "foobar", true));
  EXPECT_TRUE(WildMatch("*.TXT", "a.txt", true));
  EXPECT_FALSE(WildMatch("*.TXT", "a.txt"));
  EXPECT_TRUE(WildMatch("[[:upper:]]", "a", true));
  EXPECT_FALSE(WildMatch("[[:upper:]]", "a"));
}

TEST(WildMatchTest, ManyDoubleStarsStayFast) {
  // Exponential in a naive backtracker (and in git's own dowild); memoized here.
  std::string pattern;
  for (int i = 0; i < 24; ++i) pattern += "**/a/";
  pattern += "x";
  std::string text;
  for (int i = 0; i < 200; ++i) text += "a/";
  text += "y";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WildMatch(pattern, text));
  EXPECT_TRUE(WildMatch(pattern, text.substr(0, text.size() - 1) + "x"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(WildMatchTest, EmbeddedStringViewsAreBounded) {
  std::string buf = "abc*def";
  std::string_view pattern(buf.data(), 4);  // "abc*"
  EXPECT_TRUE(WildMatch(pattern, "abcxyz"));
  EXPECT_FALSE(WildMatch(std::string_view("ab[", 3), "ab["));
  EXPECT_FALSE(WildMatch(std::string_view("a\\", 2), "a\\"));
}

}  // namespace
}  // namespace trawl
