#include "base/tokenize.h"
#include "base/utf8.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace trawl {
namespace {

// The names Declarations finds, in order.
std::vector<std::string> DeclaredNames(std::string_view content) {
  std::vector<std::string> out;
  for (const Declaration& d : Declarations(content)) out.emplace_back(d.name);
  return out;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DeclarationsTest, AnExpressionIsNoPointerDeclaration) {
  // Products and powers in code and in doctests declare nothing.
  EXPECT_THAT(DeclaredNames("        x**Rational(-5, 2)) == \"e = x**Rational(-5, 2)\"\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("    y = a*sin(x) + b*cos(x)\n"), IsEmpty());
  // Pointer and reference declarations keep their blank.
  EXPECT_THAT(DeclaredNames("static char **split_args(const char *s)\n"), ElementsAre("split_args"));
  EXPECT_THAT(DeclaredNames("Node* find_node(Tree& t, int k) {\n"), ElementsAre("find_node"));
  EXPECT_THAT(DeclaredNames("const std::string& Name() const {\n"), ElementsAre("Name"));
  EXPECT_THAT(DeclaredNames("    def self.build(gemfile, lockfile)\n"), ElementsAre("build"));
  // The hash embedder's reading is the one its vectors were made with.
  std::vector<std::string> v4;
  for (const Declaration& d : Declarations("  x**Rational(-5, 2)\n", DeclarationReading::kHashEmbedderV4)) {
    v4.emplace_back(d.name);
  }
  EXPECT_THAT(v4, ElementsAre("Rational"));
}

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
  EXPECT_EQ(PartTermsText("def parse_file(self):"), "def parse file self");
  EXPECT_EQ(PartTermsText("parseFile x"), "parse file x");
  EXPECT_EQ(PartTermsText("  ...  "), "");
  EXPECT_EQ(CodeTermsText("  ...  "), "");
}

// The terms of random code-like text equal those built identifier by identifier from
// SplitIdentifier: whatever shortcuts ForEachCodeTerm takes, it says the same.
TEST(CodeTermsTest, AgreesWithSplitIdentifierOnRandomText) {
  std::mt19937 rng(3);
  const std::string alphabet = "abcxyzABCXYZ0189_ \n(),.-$\xc3\xa9";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    if (round % 10 == 0) text += std::string(70, 'a') + "B";  // past the 64-byte cut
    std::vector<std::string> got;
    ForEachCodeTerm(text, [&](std::string_view t, bool) { got.emplace_back(t); });
    std::vector<std::string> want;
    size_t i = 0;
    auto ident_byte = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
    while (i < text.size()) {
      while (i < text.size() && !ident_byte(static_cast<unsigned char>(text[i]))) ++i;
      size_t s = i;
      while (i < text.size() && ident_byte(static_cast<unsigned char>(text[i]))) ++i;
      if (i == s) break;
      std::string ident = text.substr(s, std::min<size_t>(i - s, 64));
      if (std::isdigit(static_cast<unsigned char>(ident[0]))) {
        for (char& c : ident) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        want.push_back(ident);
        continue;
      }
      std::vector<std::string> parts = SplitIdentifier(ident);
      if (parts.size() == 1) want.push_back(parts[0]);
      if (parts.size() < 2) continue;
      std::string joined;
      for (const auto& p : parts) joined += p;
      want.push_back(joined);
      want.insert(want.end(), parts.begin(), parts.end());
    }
    ASSERT_EQ(got, want) << "text: " << text;
  }
}

TEST(CodeTermsTest, WholeIdentifiersAreQueriedAsThePhraseOfTheirParts) {
  std::vector<IndexedTerm> got = IndexedQueryTerms("open parse_file HTTPResponse2 x");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& t : got) pairs.emplace_back(t.term, t.indexed);
  std::vector<std::pair<std::string, std::string>> want = {
      {"open", "open"},         {"parsefile", "parse file"}, {"parse", "parse"},
      {"file", "file"},         {"httpresponse2", "http response 2"},
      {"http", "http"},         {"response", "response"},   {"2", "2"},
      {"x", "x"}};
  EXPECT_EQ(pairs, want);
  // Every indexed form is found in the indexed text of the same words.
  std::string text = " " + PartTermsText("open parse_file HTTPResponse2 x") + " ";
  for (const auto& t : got) EXPECT_NE(text.find(" " + t.indexed + " "), std::string::npos) << t.indexed;
}

TEST(CodeTermsTest, NumericLiteralsAreOneTerm) {
  EXPECT_EQ(CodeTermsText("x = 0x1F + 1e9 + 100UL; utf8_decode"), "x 0x1f 1e9 100ul utf8decode utf 8 decode");
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
  for (std::string_view w : {"a", "s", "an", "as", "at", "be", "by", "if", "in", "is", "it", "no", "of", "on",
                             "or", "to", "and", "are", "def", "for", "int", "its", "let", "not", "the", "var",
                             "from", "none", "self", "that", "this", "true", "void", "with", "const", "false",
                             "which", "return", "returns"}) {
    EXPECT_TRUE(IsStopTerm(w)) << w;
  }
  for (std::string_view w : std::initializer_list<std::string_view>{"", "b", "th", "thee", "The", "an ", "returnss", "returned", "ints", "nonE",
                             std::string_view("a\0", 2), "selfish", "constant", "whic", "eturn"}) {
    EXPECT_FALSE(IsStopTerm(w)) << w;
  }
  EXPECT_TRUE(IsStopTerm("the"));
  EXPECT_TRUE(IsStopTerm("return"));
  EXPECT_FALSE(IsStopTerm("parse"));
}

TEST(DeclaredNamesTest, DeclarationsOfSeveralLanguages) {
  EXPECT_THAT(DeclaredNames("    def get_dict(self):\n        return self.dicts[id(x)]\n"), ElementsAre("get_dict"));
  EXPECT_THAT(DeclaredNames("static int parse_header(const char *p) {\n  return f(p);\n}\n"),
              ElementsAre("parse_header"));
  EXPECT_THAT(DeclaredNames("pub fn new(cap: usize) -> Self {"), ElementsAre("new"));
  EXPECT_THAT(DeclaredNames("  public void removeFilter(Filter f) {"), ElementsAre("removeFilter"));
  EXPECT_THAT(DeclaredNames("char *strdup_or_die (const char *s);"), ElementsAre("strdup_or_die"));
  EXPECT_THAT(DeclaredNames("Status EmbeddedStore::Commit(const Writes& w) {"), ElementsAre("Commit"));
  EXPECT_THAT(DeclaredNames("func (s *Server) Handle(w http.ResponseWriter) {"), ElementsAre("Handle"));
  EXPECT_THAT(DeclaredNames("pub(crate) fn parse_args(v: &[String]) -> Opts {"), ElementsAre("parse_args"));
  EXPECT_THAT(DeclaredNames("  render(props) {\n    return h(props);\n  }"), ElementsAre("render"));
  EXPECT_THAT(DeclaredNames("async def fetch_all(urls):\r\n"), ElementsAre("fetch_all"));
}

TEST(DeclaredNamesTest, TypesWithArgumentsArraysAndGenericParameters) {
  EXPECT_THAT(DeclaredNames("    protected Class<?> resolveClass(ObjectStreamClass desc)"), ElementsAre("resolveClass"));
  EXPECT_THAT(DeclaredNames("    public static <E extends Enum<E>> EnumSet<E> complementOf(EnumSet<E> s) {"),
              ElementsAre("complementOf"));
  EXPECT_THAT(DeclaredNames("    public static char[] toChars(int codePoint) {"), ElementsAre("toChars"));
  EXPECT_THAT(DeclaredNames("    List<Map.Entry<K, V>> entries(String name, Class<?>... types) {"), ElementsAre("entries"));
  EXPECT_THAT(DeclaredNames("    @Override public int size() {"), ElementsAre("size"));
  EXPECT_THAT(DeclaredNames("    public static void yield() {"), ElementsAre("yield"));
  EXPECT_THAT(DeclaredNames("pub fn parse<'a, T: Clone>(s: &'a str) -> T {"), ElementsAre("parse"));
  EXPECT_THAT(DeclaredNames("func Map[T, U any](xs []T, f func(T) U) []U {"), ElementsAre("Map"));
  EXPECT_THAT(DeclaredNames("  public async Task<string?> LoadAsync(Uri u) {"), ElementsAre("LoadAsync"));
  EXPECT_THAT(DeclaredNames("    pub fn add_edges<I: Iterator<Item = (usize, E)>>(&mut self, it: I) {"), ElementsAre("add_edges"));
  EXPECT_THAT(DeclaredNames("    pub(crate) fn drain<F: FnMut(T) -> bool>(&mut self, f: F) {"), ElementsAre("drain"));
}

TEST(DeclarationsTest, SignatureRunsToTheEndOfTheParameterList) {
  std::string text =
      "    public static int parse(String s,\n            int radix) throws Error {\n        return f(s);\n    }\n"
      "def to_s\n  name\nend\n";
  std::vector<Declaration> d = Declarations(text);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "parse");
  EXPECT_EQ(d[0].signature, "    public static int parse(String s,\n            int radix) throws Error {");
  EXPECT_EQ(d[1].name, "to_s");
  EXPECT_EQ(d[1].signature, "def to_s");
  // A list that never closes: the declaring line only.
  EXPECT_EQ(Declarations("void f(int a,\n").at(0).signature, "void f(int a,");
}

TEST(DeclaredNamesTest, DefinitionsWithoutTheUsualShape) {
  // GNU style: the return type on the line before the name.
  EXPECT_THAT(DeclaredNames("static int\nparse_header(const char *p, size_t n)\n{\n"), ElementsAre("parse_header"));
  EXPECT_THAT(DeclaredNames("void __iomem *\ndevm_map(struct device *dev,\n\t int n)\n"), ElementsAre("devm_map"));
  // Functions bound to names (JavaScript, TypeScript).
  EXPECT_THAT(DeclaredNames("export const parseFile = async (path: string): Promise<File> => {"),
              ElementsAre("parseFile"));
  EXPECT_THAT(DeclaredNames("const double = x => x * 2;\nvar load = function (url) {"), ElementsAre("double", "load"));
  EXPECT_THAT(DeclaredNames("let fetchAll = async function (urls) {\nconst run = async () => {"),
              ElementsAre("fetchAll", "run"));
  EXPECT_THAT(DeclaredNames("  private onClick = (e: MouseEvent) => {"), ElementsAre("onClick"));
  EXPECT_THAT(DeclaredNames("  showHelpAfterError(displayHelp = true) {"), ElementsAre("showHelpAfterError"));
  // Definers without parentheses (Ruby, Perl).
  EXPECT_THAT(DeclaredNames("  def to_s\n  def self.build\nsub handler {"), ElementsAre("to_s", "build", "handler"));
}

TEST(DeclaredNamesTest, CallsAndStatementsAreNotDeclarations) {
  EXPECT_THAT(DeclaredNames("    foo(x)\n    if (ok) {\n    return bar(y);\n    x = baz(1)\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("    self.close()\n    elif check(a):\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("  run(cb);\n  x = wrap(a) {\n  function (a) {\n  while (x) {"), IsEmpty());
  EXPECT_THAT(DeclaredNames("    async with session.get(url) as r:\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("import os\nmain()\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("const x = compute(y);\nlet total = (a + b) * c;\nif (a < b) {\n"), IsEmpty());
  EXPECT_THAT(DeclaredNames("    return\nfoo(x)\n"), IsEmpty());
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

TEST(Utf8Test, ValidityAndHex) {
  EXPECT_TRUE(IsValidUtf8("café.py"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("caf\xe9.py"));       // Latin-1
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80")); // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));         // cut short
  EXPECT_EQ(HexBytes("caf\xe9"), "636166e9");
}

}  // namespace
}  // namespace trawl
