#include "chunk/brace_skeleton.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace trawl::chunk_internal {
namespace {

// The interiors' texts, or {"FAIL"}.
std::vector<std::string> Interiors(std::string_view text, uint32_t min_bytes = 0,
                                   bool cpp = false) {
  std::vector<ByteRange> out;
  if (!BraceInteriors(text, cpp ? BraceDialect::kCpp : BraceDialect::kC, min_bytes, &out)) {
    return {"FAIL"};
  }
  std::vector<std::string> texts;
  for (const ByteRange& r : out) {
    EXPECT_EQ(text[r.begin - 1], '{');
    EXPECT_EQ(text[r.end], '}');
    texts.emplace_back(text.substr(r.begin, r.end - r.begin));
  }
  return texts;
}

using V = std::vector<std::string>;

TEST(BraceSkeletonTest, PairsInOrderOfOpening) {
  EXPECT_EQ(Interiors("int f(void) { if (x) { y(); } return 0; }\nstruct s { int a; };\n"),
            (V{" if (x) { y(); } return 0; ", " y(); ", " int a; "}));
  EXPECT_EQ(Interiors("int x;\n"), V{});
}

TEST(BraceSkeletonTest, NestedPairsAcrossConditionalsAreNotListed) {
  // The inner pair opens in one branch and closes after the #endif; the outer one is
  // still sure.
  std::string_view text =
      "void f(void)\n{\n#ifdef A\n\tif (a) {\n#else\n\tif (b) {\n#endif\n\t\tx();\n\t}\n"
      "\tg();\n}\n";
  EXPECT_EQ(Interiors(text), V{"FAIL"});  // two '{' for one '}': unbalanced
  std::string_view balanced =
      "void f(void)\n{\n\tif (a) {\n#ifdef A\n\t\tx();\n\t}\n\tif (b) {\n#endif\n\t\ty();\n\t}\n}\n";
  // The first inner pair holds an #ifdef but not its #endif, the second the #endif
  // alone: neither is listed; the function is.
  EXPECT_EQ(Interiors(balanced),
            V{"\n\tif (a) {\n#ifdef A\n\t\tx();\n\t}\n\tif (b) {\n#endif\n\t\ty();\n\t}\n"});
  // A top-level pair holding only the start of a conditional is not listed either.
  EXPECT_EQ(Interiors("int f(void) {\n#ifdef A\n\tx();\n}\n#endif\n"), V{});
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
  EXPECT_EQ(Interiors("#ifdef A\nstruct s {\n#endif\n int x;\n};\n"), V{"FAIL"});
}

TEST(BraceSkeletonTest, NamespaceAndExternCBracesAreTransparent) {
  // What they hold is top level, even when opened and closed in conditionals.
  EXPECT_EQ(Interiors("#ifdef __cplusplus\nextern \"C\" {\n#endif\nint f(void) { return 1; }\n"
                      "#ifdef __cplusplus\n}\n#endif\n"),
            V{" return 1; "});
  EXPECT_EQ(Interiors("namespace a::b {\nnamespace {\nint f() { return 1; }\n}  // namespace\n}\n"
                      "namespace c = a::b;\nstruct namespace_like { int x; };\n",
                      0, true),
            (V{" return 1; ", " int x; "}));
  EXPECT_EQ(Interiors("namespace a {\n", 0, true), V{"FAIL"});
}

TEST(BraceSkeletonTest, CppRawStringsAndDigitSeparators) {
  std::string_view text =
      "const char* s = R\"x(a } \" { )\" b)x\";\n"
      "int n = 1'000'000 + 0x1'FF;\n"
      "char c = u8'{';\n"
      "void f() { auto t = LR\"(})\"; }\n";
  EXPECT_EQ(Interiors(text, 0, true), V{" auto t = LR\"(})\"; "});
  // In C, R"..." is an identifier and a string.
  EXPECT_EQ(Interiors("char *R = \"{\"; void f(void) { g(R\"}\"); }\n"), V{" g(R\"}\"); "});
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

std::vector<std::string> Interiors(std::string_view text, BraceDialect dialect) {
  std::vector<ByteRange> out;
  if (!BraceInteriors(text, dialect, 0, &out)) return {"FAIL"};
  std::vector<std::string> texts;
  for (const ByteRange& r : out) texts.emplace_back(text.substr(r.begin, r.end - r.begin));
  return texts;
}

TEST(BraceSkeletonTest, JavaTypeBodiesAreTransparent) {
  std::string_view text =
      "package p;\n"
      "@SuppressWarnings(\"x\")\n"
      "public class Outer<T extends Comparable<T>> extends Base implements A, B {\n"
      "  private static final Logger LOG = Logger.get(Outer.class);\n"
      "  static { init(); }\n"
      "  String block = \"\"\"\n    a } text block { \\\"\"\" still\n    \"\"\";\n"
      "  void run() { go(); }\n"
      "  record Point(int x, int y) { Point { check(x); } }\n"
      "  enum Color { RED { int v() { return 1; } }, GREEN; }\n"
      "  Runnable r = new Runnable() { public void run() {} };\n"
      "}\n"
      "interface I { default void f() { g(); } }\n";
  EXPECT_EQ(Interiors(text, BraceDialect::kJava),
            (V{" init(); ", " go(); ", " check(x); ", " int v() { return 1; } ", " return 1; ",
               " public void run() {} ", "", " g(); "}));
  EXPECT_EQ(Interiors("class A { void f() { }\n", BraceDialect::kJava), V{"FAIL"});
  // No preprocessor in Java: a '#' line is text like any other.
  EXPECT_EQ(Interiors("class A {\n#if\n void f() { x(); }\n}\n", BraceDialect::kJava),
            V{" x(); "});
}

TEST(BraceSkeletonTest, GoRawStringsAndRunes) {
  std::string_view text =
      "package p\n"
      "var s = `raw { string\n over lines }`\n"
      "func (r *T) F(x int) (int, error) { return '}', nil }\n"
      "type S struct { A int }\n";
  EXPECT_EQ(Interiors(text, BraceDialect::kGo), (V{" return '}', nil ", " A int "}));
  EXPECT_EQ(Interiors("var s = `never closed {\n", BraceDialect::kGo), V{"FAIL"});
  // namespace and extern are plain identifiers in Go.
  EXPECT_EQ(Interiors("func namespace() { x() }\n", BraceDialect::kGo), V{" x() "});
}

TEST(BraceSkeletonTest, RustLiteralsLifetimesAndTransparentBlocks) {
  std::string_view text =
      "/* outer /* nested { */ still comment } */\n"
      "const S: &str = \"multi\nline { \\\" string\";\n"
      "const R: &str = r#\"raw \" } \"#;\n"
      "const B: &[u8] = br\"{\";\n"
      "impl<'a, T: Into<String>> From<&'a T> for Wrapper<'a> {\n"
      "    fn from(t: &'a T) -> Self { let c = '{'; let e = '\\u{7d}'; Self::new(c, e) }\n"
      "}\n"
      "#[cfg(test)]\n"
      "mod tests {\n"
      "    fn label() { 'outer: loop { break 'outer; } }\n"
      "}\n"
      "extern \"C\" { fn abs(x: i32) -> i32; }\n"
      "fn r#match() { b'}'; }\n";
  EXPECT_EQ(Interiors(text, BraceDialect::kRust),
            (V{" let c = '{'; let e = '\\u{7d}'; Self::new(c, e) ",
               " 'outer: loop { break 'outer; } ", " break 'outer; ", " b'}'; "}));
  EXPECT_EQ(Interiors("/* /* */ fn f() {}\n", BraceDialect::kRust), V{"FAIL"});
  EXPECT_EQ(Interiors("const R: &str = r##\"x\"#;\n", BraceDialect::kRust), V{"FAIL"});
}

TEST(BraceSkeletonTest, JavaScriptTemplatesRegexesAndClasses) {
  std::string_view text =
      "#!/usr/bin/env node\n"
      "const re = /[}{]\\/x/g, half = a / 2 / b;\n"
      "const t = `a } ${ {x: `nested ${'}'}`}.x } b\n over lines`;\n"
      "export class Store extends Base {\n"
      "  #items = [];\n"
      "  get(k) { return this.#items[k] }\n"
      "  static of() { return /}/.test('{') }\n"
      "}\n"
      "function f(x) { if (x) return x / 2; }\n";
  EXPECT_EQ(Interiors(text, BraceDialect::kJavaScript),
            (V{" return this.#items[k] ", " return /}/.test('{') ", " if (x) return x / 2; "}));
  // TypeScript namespaces hold top-level code; a JavaScript "namespace" is a word.
  EXPECT_EQ(Interiors("namespace N {\n  export function f() { g(); }\n}\n",
                      BraceDialect::kTypeScript),
            V{" g(); "});
  EXPECT_EQ(Interiors("const s = `never closed ${ {\n", BraceDialect::kJavaScript), V{"FAIL"});
  // Deep nesting of templates is refused, not recursed without bound.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "`${";
  EXPECT_EQ(Interiors(deep, BraceDialect::kJavaScript), V{"FAIL"});
}

TEST(BraceSkeletonTest, PhpStringsHeredocsAndTypes) {
  std::string_view text =
      "<?php\n"
      "namespace App\\Http {\n"
      "#[Route('/x', methods: ['GET'])]\n"
      "final class Controller extends Base implements \\Countable {\n"
      "    # a } comment\n"
      "    public function show($id) { return \"{$this->items[\"a}\"]} and {\"; }\n"
      "    private function text() {\n"
      "        $a = 'over\n lines } \\' still';\n"
      "        $h = <<<EOT\n  body } {$x}\n  EOT;\n"
      "        $n = <<<'RAW'\n}}}\nRAW;\n"
      "        return Foo::class . $class . $this->class;\n"
      "    }\n"
      "}\n"
      "}\n"
      "function f() { $o = new class { public function g() { return 1; } }; }\n";
  EXPECT_EQ(Interiors(text, BraceDialect::kPhp),
            (V{" return \"{$this->items[\"a}\"]} and {\"; ",
               "\n        $a = 'over\n lines } \\' still';\n        $h = <<<EOT\n  body } {$x}\n  EOT;\n"
               "        $n = <<<'RAW'\n}}}\nRAW;\n        return Foo::class . $class . $this->class;\n    ",
               " $o = new class { public function g() { return 1; } }; ", " public function g() { return 1; } ",
               " return 1; "}));
  // Templates are parsed whole: HTML first, or a closing tag anywhere.
  EXPECT_EQ(Interiors("<html><?php function f() { x(); } ?>\n", BraceDialect::kPhp), V{"FAIL"});
  EXPECT_EQ(Interiors("<?php function f() { ?><b>}</b><?php }\n", BraceDialect::kPhp), V{"FAIL"});
  EXPECT_EQ(Interiors("#!/usr/bin/env php\n<?php\nfunction f() { x(); }\n", BraceDialect::kPhp), V{" x(); "});
  EXPECT_EQ(Interiors("<?php\n$s = <<<EOT\nnever closed {\n", BraceDialect::kPhp), V{"FAIL"});
}

}  // namespace
}  // namespace trawl::chunk_internal
