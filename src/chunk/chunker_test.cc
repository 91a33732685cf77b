#include "chunk/chunker.h"
#include "chunk/brace_skeleton.h"
#include "chunk/chunk_test_util.h"
#include "chunk/indent_skeleton.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace trawl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using chunk_testing::ReadAll;
using chunk_testing::TestdataDir;

bool IsSpaceByte(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int NonSpaceChars(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += !IsSpaceByte(c) && (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// 1-based line of a byte offset.
int LineOf(const std::vector<size_t>& line_starts, size_t byte) {
  return static_cast<int>(std::upper_bound(line_starts.begin(), line_starts.end(), byte) -
                          line_starts.begin());
}

// The contract every result must meet. `text` is the normalised text (the input when
// it needed no normalisation).
void CheckInvariants(std::string_view path, std::string_view text, const ChunkedFile& file,
                     const ChunkOptions& options) {
  SCOPED_TRACE(std::string(path));
  std::vector<std::string_view> lines = Lines(text);
  std::vector<bool> covered(lines.size(), false);
  std::vector<size_t> line_starts;
  for (std::string_view line : lines) line_starts.push_back(line.data() - text.data());
  uint32_t prev_start = 0;
  for (const Chunk& c : file.chunks) {
    SCOPED_TRACE(std::to_string(c.start_line) + "-" + std::to_string(c.end_line) + " " + c.kind +
                 " " + c.symbol);
    ASSERT_GE(c.start_line, 1);
    ASSERT_LE(c.start_line, c.end_line);
    ASSERT_LE(c.end_line, static_cast<int>(lines.size()));
    ASSERT_LT(c.start_byte, c.end_byte);
    ASSERT_LE(c.end_byte, text.size());
    EXPECT_GE(c.start_byte, prev_start) << "chunks are in file order";
    prev_start = c.start_byte;
    ASSERT_EQ(c.content, text.substr(c.start_byte, c.end_byte - c.start_byte));
    EXPECT_EQ(LineOf(line_starts, c.start_byte), c.start_line);
    EXPECT_EQ(LineOf(line_starts, c.end_byte - 1), c.end_line);
    EXPECT_LE(NonSpaceChars(c.content), options.max_chunk_chars);
    EXPECT_GT(NonSpaceChars(c.content), 0);
    EXPECT_FALSE(c.kind.empty());
    EXPECT_TRUE(c.context.starts_with(path)) << c.context;
    EXPECT_TRUE(ValidUtf8(c.content));
    for (int l = c.start_line; l <= c.end_line; ++l) covered[l - 1] = true;
  }
  for (size_t l = 0; l < lines.size(); ++l) {
    if (NonSpaceChars(lines[l]) > 0) {
      ASSERT_TRUE(covered[l]) << "line " << l + 1 << " is in no chunk: " << lines[l];
    }
  }
}

nlohmann::json ToGolden(const ChunkedFile& file) {
  nlohmann::json chunks = nlohmann::json::array();
  for (const Chunk& c : file.chunks) {
    chunks.push_back({{"start_line", c.start_line},
                      {"end_line", c.end_line},
                      {"kind", c.kind},
                      {"symbol", c.symbol},
                      {"context", c.context}});
  }
  return {{"notes", file.notes}, {"chunks", chunks}};
}

const Chunk* FindChunk(const ChunkedFile& file, std::string_view symbol) {
  for (const Chunk& c : file.chunks) {
    if (c.symbol == symbol) return &c;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------
// Golden files: testdata/<language>/<sample> -> <sample>.golden.json.
// Regenerate with TRAWL_UPDATE_GOLDEN=1 and review the diff.

struct GoldenCase {
  std::string language;
  std::string file;
};

void PrintTo(const GoldenCase& gc, std::ostream* os) { *os << gc.language << "/" << gc.file; }

std::vector<GoldenCase> GoldenCases() {
  return {{"python", "decoder.py"},     {"javascript", "store.js"}, {"typescript", "cache.ts"},
          {"tsx", "TodoList.tsx"},      {"c", "ringbuf.c"},         {"cpp", "lru_cache.cc"},
          {"go", "server.go"},          {"rust", "tokenizer.rs"},   {"java", "Inventory.java"},
          {"c_sharp", "OrderService.cs"}, {"ruby", "bank_account.rb"}, {"php", "UserRepository.php"},
          {"bash", "deploy.sh"},        {"json", "package.json"},   {"markdown", "README.md"},
          {"text", "notes.txt"}};
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesGolden) {
  const GoldenCase& gc = GetParam();
  fs::path sample = TestdataDir() / gc.language / gc.file;
  ASSERT_TRUE(fs::exists(sample)) << sample;
  std::string content = ReadAll(sample);
  std::string rel = gc.language + "/" + gc.file;
  Chunker chunker(chunk_testing::SmallChunks());
  auto result = chunker.ChunkFile(rel, content, gc.language);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  CheckInvariants(rel, content, *result, chunk_testing::SmallChunks());
  std::string got = ToGolden(*result).dump(1) + "\n";
  fs::path golden = sample;
  golden += ".golden.json";
  const char* update = std::getenv("TRAWL_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << got;
    GTEST_SKIP() << "golden written: " << golden;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " missing; run with TRAWL_UPDATE_GOLDEN=1";
  EXPECT_EQ(ReadAll(golden), got) << "golden differs: " << golden
                                  << " (TRAWL_UPDATE_GOLDEN=1 regenerates)";
}

INSTANTIATE_TEST_SUITE_P(Languages, GoldenTest, ::testing::ValuesIn(GoldenCases()),
                         [](const auto& param_info) { return param_info.param.language; });

TEST(ChunkerTest, EverySyntaxLanguageHasAGolden) {
  std::vector<std::string> with_golden;
  for (const GoldenCase& gc : GoldenCases()) with_golden.push_back(gc.language);
  for (const std::string& lang : Chunker::SyntaxLanguages()) {
    EXPECT_NE(std::find(with_golden.begin(), with_golden.end(), lang), with_golden.end()) << lang;
  }
  EXPECT_EQ(Chunker::SyntaxLanguages().size(), 14u);
}

// ---------------------------------------------------------------------------------
// Structure.

TEST(ChunkerTest, BigClassSplitsIntoMethodsWithClassContext) {
  std::string src = "import os\n\n\nclass JSONDecoder(object):\n    \"\"\"Decodes.\"\"\"\n\n"
                    "    limit = 10\n\n";
  for (int i = 0; i < 8; ++i) {
    src += "    def method" + std::to_string(i) + "(self, value):\n";
    for (int k = 0; k < 6; ++k) {
      src += "        value = value * " + std::to_string(k + 2) + " + len(str(value))\n";
    }
    src += "        return value\n\n";
  }
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("json/decoder.py", src, "python");
  ASSERT_TRUE(r.ok());
  CheckInvariants("json/decoder.py", src, *r, chunk_testing::SmallChunks());
  const Chunk* m3 = FindChunk(*r, "JSONDecoder.method3");
  ASSERT_NE(m3, nullptr);
  EXPECT_EQ(m3->kind, "method");
  EXPECT_EQ(m3->context, "json/decoder.py > class JSONDecoder(object):");
  EXPECT_THAT(m3->content, HasSubstr("def method3(self, value):"));
  EXPECT_LE(m3->end_line - m3->start_line + 1, 9);
  const Chunk* cls = FindChunk(*r, "JSONDecoder");
  ASSERT_NE(cls, nullptr);
  EXPECT_EQ(cls->kind, "class");
  EXPECT_THAT(cls->content, HasSubstr("limit = 10"));
  EXPECT_EQ(r->chunks.front().kind, "imports");
}

// The grammars' character-set test has an ASCII fast path (grammar_prelude.h): names
// made of ASCII letters, digits, `_` and `$` and names beyond ASCII must both still lex
// as identifiers, or the definitions below would not parse as definitions.
TEST(ChunkerTest, IdentifiersInsideAndBeyondAsciiParse) {
  struct Case {
    const char* language;
    const char* path;
    std::string src;
    std::vector<std::string> symbols;
  };
  std::string body = "    total = 0\n    for i in range(10):\n        total += i * 2\n    return total\n";
  std::vector<Case> cases = {
      {"python", "u.py",
       "def größe_zählen(x):\n" + body + "\n\ndef Az_09(y):\n" + body + "\n\ndef 名前(z):\n" + body,
       {"größe_zählen", "Az_09", "名前"}},
      {"c", "u.c",
       "int zähler_1(void) {\n  int t = 0;\n  for (int i = 0; i < 10; i++) t += i;\n  return t;\n}\n\n"
       "int Az_09(void) {\n  int t = 1;\n  for (int i = 0; i < 10; i++) t *= 2;\n  return t;\n}\n",
       {"zähler_1", "Az_09"}},
      {"javascript", "u.js",
       "function $el_9(a) {\n  let t = 0;\n  for (const x of a) t += x;\n  return t;\n}\n\n"
       "function ñandú(b) {\n  let t = 1;\n  for (const x of b) t *= x;\n  return t;\n}\n",
       {"$el_9", "ñandú"}},
  };
  ChunkOptions options = chunk_testing::SmallChunks();
  options.min_chunk_chars = 1;  // no merging: one chunk per definition
  for (const Case& c : cases) {
    Chunker chunker(options);
    auto r = chunker.ChunkFile(c.path, c.src, c.language);
    ASSERT_TRUE(r.ok()) << c.path;
    CheckInvariants(c.path, c.src, *r, options);
    for (const std::string& symbol : c.symbols) {
      const Chunk* chunk = FindChunk(*r, symbol);
      ASSERT_NE(chunk, nullptr) << c.path << ": " << symbol;
      EXPECT_EQ(chunk->kind, "function") << c.path << ": " << symbol;
    }
  }
}

TEST(ChunkerTest, SmallFunctionsMergeButStayNearTheirSize) {
  std::string src;
  for (int i = 0; i < 40; ++i) src += "def f" + std::to_string(i) + "():\n    return " + std::to_string(i) + "\n\n\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("small.py", src, "python");
  ASSERT_TRUE(r.ok());
  CheckInvariants("small.py", src, *r, chunk_testing::SmallChunks());
  EXPECT_LT(r->chunks.size(), 40u);  // merged
  for (const Chunk& c : r->chunks) EXPECT_LE(c.end_line - c.start_line + 1, 2 * 2 + 30);
}

TEST(ChunkerTest, LeadingCommentsAndDecoratorsStayWithTheDefinition) {
  std::string src =
      "import functools\n\n\n"
      "# Computes the answer.\n# Twice.\n@functools.cache\ndef answer():\n" +
      std::string(60, ' ') + "\n";
  for (int i = 0; i < 30; ++i) src += "    x" + std::to_string(i) + " = compute_something_long(" + std::to_string(i) + ")\n";
  src += "    return 42\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("a.py", src, "python");
  ASSERT_TRUE(r.ok());
  const Chunk* f = FindChunk(*r, "answer");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->start_line, 4);
  EXPECT_THAT(f->content, HasSubstr("@functools.cache"));
}

TEST(ChunkerTest, HugeFunctionIsCutButEveryPieceNamesIt) {
  std::string src = "int huge(int x) {\n";
  for (int i = 0; i < 3000; ++i) src += "  x = x * 31 + " + std::to_string(i) + ";\n";
  src += "  return x;\n}\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("huge.c", src, "c");
  ASSERT_TRUE(r.ok());
  CheckInvariants("huge.c", src, *r, chunk_testing::SmallChunks());
  ASSERT_GT(r->chunks.size(), 10u);
  for (const Chunk& c : r->chunks) {
    EXPECT_EQ(c.symbol, "huge");
    EXPECT_EQ(c.kind, "function");
  }
  EXPECT_EQ(r->chunks[1].context, "huge.c > int huge(int x) {");
}

TEST(ChunkerTest, HugeStringLiteralIsCutByLines) {
  std::string src = "DATA = \"\"\"\n";
  for (int i = 0; i < 2000; ++i) src += "line " + std::to_string(i) + " of a long literal\n";
  src += "\"\"\"\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("data.py", src, "python");
  ASSERT_TRUE(r.ok());
  CheckInvariants("data.py", src, *r, chunk_testing::SmallChunks());
}

TEST(ChunkerTest, VeryLongSingleLine) {
  std::string src = "var a = [";
  for (int i = 0; i < 50000; ++i) src += std::to_string(i) + ",";
  src += "];function f(){return a.map(function(x){return x*2;});}";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("min.js", src, "javascript");
  ASSERT_TRUE(r.ok());
  CheckInvariants("min.js", src, *r, chunk_testing::SmallChunks());
  EXPECT_GT(r->chunks.size(), 100u);
  // Together the chunks hold all of the line.
  size_t total = 0;
  for (const Chunk& c : r->chunks) total += c.content.size();
  EXPECT_GE(total, src.size() - 2);
  auto text = chunker.ChunkFile("long.txt", src, "text");
  ASSERT_TRUE(text.ok());
  CheckInvariants("long.txt", src, *text, chunk_testing::SmallChunks());
}

TEST(ChunkerTest, EmptyAndWhitespaceOnly) {
  Chunker chunker(chunk_testing::SmallChunks());
  for (std::string lang : {"python", "c", "json", "markdown", "text", "yaml"}) {
    auto empty = chunker.ChunkFile("e", "", lang);
    ASSERT_TRUE(empty.ok()) << lang;
    EXPECT_TRUE(empty->chunks.empty()) << lang;
    auto blank = chunker.ChunkFile("b", "  \n\n\t\n   ", lang);
    ASSERT_TRUE(blank.ok()) << lang;
    EXPECT_TRUE(blank->chunks.empty()) << lang;
  }
}

TEST(ChunkerTest, BrokenSyntaxStillChunksEverything) {
  std::string src =
      "import os\n\ndef ok_before(a):\n    return a + 1\n\n"
      "def broken(a:\n    if a ==\n        return [1, 2,\n\n"
      "class Later:\n    def method(self):\n        return {'a': (1, 2}\n\n"
      "def ok_after(b):\n    return b * 2\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("broken.py", src, "python");
  ASSERT_TRUE(r.ok());
  CheckInvariants("broken.py", src, *r, chunk_testing::SmallChunks());
  std::string cpp = "namespace a { class B { void f() { if (x { } };\nint g() { return 1; }\n";
  auto rc = chunker.ChunkFile("broken.cc", cpp, "cpp");
  ASSERT_TRUE(rc.ok());
  CheckInvariants("broken.cc", cpp, *rc, chunk_testing::SmallChunks());
}

TEST(ChunkerTest, InvalidUtf8IsReplaced) {
  std::string src = "def f():\n    return \"caf\xe9 \xff\xfe \xc3\"\n\ndef g():\n    return 1\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("bad.py", src, "python");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], HasSubstr("invalid UTF-8"));
  for (const Chunk& c : r->chunks) EXPECT_TRUE(ValidUtf8(c.content));
  EXPECT_THAT(r->chunks[0].content, HasSubstr("caf\xEF\xBF\xBD"));
}

TEST(ChunkerTest, Utf8BomIsStripped) {
  std::string src = "\xEF\xBB\xBF" "def f():\n    return 1\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("bom.py", src, "python");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], HasSubstr("BOM"));
  ASSERT_EQ(r->chunks.size(), 1u);
  EXPECT_EQ(r->chunks[0].start_byte, 0u);
  EXPECT_EQ(r->chunks[0].content, "def f():\n    return 1");
  EXPECT_EQ(r->chunks[0].symbol, "f");
}

std::string ToUtf16(std::string_view ascii, bool big_endian) {
  std::string out = big_endian ? "\xFE\xFF" : "\xFF\xFE";
  for (char c : ascii) {
    if (big_endian) out.push_back('\0');
    out.push_back(c);
    if (!big_endian) out.push_back('\0');
  }
  return out;
}

TEST(ChunkerTest, Utf16IsDecoded) {
  std::string ascii = "def f():\n    return 1\n\n\ndef g():\n    return 2\n";
  ChunkOptions options = chunk_testing::SmallChunks();
  options.min_chunk_chars = 0;  // keep f and g apart
  Chunker chunker(options);
  for (bool be : {false, true}) {
    std::string src = ToUtf16(ascii, be);
    src += be ? std::string("\xD8\x3D\xDE\x00", 4) : std::string("\x3D\xD8\x00\xDE", 4);  // U+1F600
    src.push_back('x');  // odd trailing byte
    auto r = chunker.ChunkFile("u16.py", src, "python");
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->notes.empty());
    EXPECT_THAT(r->notes[0], HasSubstr(be ? "UTF-16BE" : "UTF-16LE"));
    ASSERT_NE(FindChunk(*r, "g"), nullptr);
    EXPECT_EQ(FindChunk(*r, "g")->start_line, 5);
    EXPECT_THAT(r->chunks.back().content, HasSubstr("\xF0\x9F\x98\x80"));
  }
}

TEST(ChunkerTest, CrlfLineEnds) {
  std::string src = "import os\r\n\r\ndef f():\r\n    return 1\r\n\r\n\r\ndef g():\r\n    return 2\r\n";
  ChunkOptions options = chunk_testing::SmallChunks();
  options.min_chunk_chars = 0;  // keep f and g apart
  Chunker chunker(options);
  auto r = chunker.ChunkFile("crlf.py", src, "python");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_THAT(r->notes[0], HasSubstr("CRLF"));
  const Chunk* g = FindChunk(*r, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->start_line, 7);
  EXPECT_EQ(g->end_line, 8);
  for (const Chunk& c : r->chunks) EXPECT_EQ(c.content.find('\r'), std::string::npos);
  auto text = chunker.ChunkFile("crlf.txt", src, "text");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->chunks.at(0).end_line, 8);
}

TEST(ChunkerTest, DeeplyNestedInput) {
  Chunker chunker(chunk_testing::SmallChunks());
  struct Case {
    std::string lang, src;
  };
  std::vector<Case> cases;
  cases.push_back({"json", std::string(20000, '[') + "1" + std::string(20000, ']')});
  cases.push_back({"python", "x = " + std::string(3000, '(') + "1" + std::string(3000, ')') + "\n"});
  std::string c = "void f() {\n";
  for (int i = 0; i < 400; ++i) c += std::string(i % 40, ' ') + "if (a" + std::to_string(i) + ") {\n";
  for (int i = 0; i < 400; ++i) c += "  g(" + std::to_string(i) + ");\n}\n";
  c += "}\n";
  cases.push_back({"c", c});
  std::string js;
  for (int i = 0; i < 2000; ++i) js += "function f" + std::to_string(i) + "(){";
  js += std::string(2000, '}');
  cases.push_back({"javascript", js});
  for (const Case& k : cases) {
    auto r = chunker.ChunkFile("deep", k.src, k.lang);
    ASSERT_TRUE(r.ok()) << k.lang;
    CheckInvariants("deep", k.src, *r, chunk_testing::SmallChunks());
  }
}

TEST(ChunkerTest, Deterministic) {
  fs::path dir = TestdataDir();
  for (const GoldenCase& gc : GoldenCases()) {
    std::string content = ReadAll(dir / gc.language / gc.file);
    Chunker a(chunk_testing::SmallChunks());
    Chunker b(chunk_testing::SmallChunks());
    auto ra = a.ChunkFile(gc.file, content, gc.language);
    auto ra2 = a.ChunkFile(gc.file, content, gc.language);
    auto rb = b.ChunkFile(gc.file, content, gc.language);
    ASSERT_TRUE(ra.ok() && ra2.ok() && rb.ok());
    auto key = [](const ChunkedFile& f) {
      std::string s;
      for (const Chunk& c : f.chunks) {
        s += std::to_string(c.start_byte) + ":" + std::to_string(c.end_byte) + ":" + c.kind + ":" +
             c.symbol + ":" + c.context + ":" + c.content + "\n";
      }
      return s;
    };
    EXPECT_EQ(key(*ra), key(*rb)) << gc.language;
    EXPECT_EQ(key(*ra), key(*ra2)) << gc.language;
  }
}

TEST(ChunkerTest, CancelledBeforeParse) {
  std::atomic<bool> cancel{true};
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("a.py", "def f(): pass\n", "python", &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  cancel = false;
  auto ok = chunker.ChunkFile("a.py", "def f(): pass\n", "python", &cancel);
  ASSERT_TRUE(ok.ok());
}

TEST(ChunkerTest, CancelWhileParsing) {
  std::string src;
  for (int i = 0; i < 200000; ++i) src += "def f" + std::to_string(i) + "(a, b):\n    return a + b\n";
  std::atomic<bool> cancel{false};
  ChunkOptions options = chunk_testing::SmallChunks();
  options.parse_timeout_ms = 0;  // no timeout: only the flag stops it
  Chunker chunker(options);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto r = chunker.ChunkFile("big.py", src, "python", &cancel);
  auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  if (r.ok()) GTEST_SKIP() << "parsing finished before the flag was set";
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  cancel = false;
  auto again = chunker.ChunkFile("s.py", "def f():\n    return 1\n", "python", &cancel);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->chunks.at(0).symbol, "f");
}

TEST(ChunkerTest, ParseTimeoutFallsBack) {
  std::string src;
  for (int i = 0; i < 60000; ++i) src += "def f" + std::to_string(i) + "(a, b):\n    return a + b * " + std::to_string(i) + "\n";
  ChunkOptions options = chunk_testing::SmallChunks();
  options.parse_timeout_ms = 1;
  Chunker chunker(options);
  auto r = chunker.ChunkFile("big.py", src, "python");
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->notes.empty());
  EXPECT_THAT(r->notes.back(), HasSubstr("parse timeout"));
  EXPECT_EQ(r->chunks.front().kind, "window");
  CheckInvariants("big.py", src, *r, options);
  // The parser is reset: the next file parses from scratch.
  auto small = chunker.ChunkFile("s.py", "def f():\n    return 1\n", "python");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->chunks.at(0).symbol, "f");
}

TEST(ChunkerTest, InvalidOptions) {
  ChunkOptions options = chunk_testing::SmallChunks();
  options.window_overlap_lines = options.window_lines;
  Chunker chunker(options);
  auto r = chunker.ChunkFile("a.txt", "x\n", "text");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(ChunkerTest, TextWindowsOverlap) {
  std::string src;
  for (int i = 1; i <= 100; ++i) src += "line " + std::to_string(i) + "\n";
  ChunkOptions options = chunk_testing::SmallChunks();
  options.window_lines = 40;
  options.window_overlap_lines = 10;
  Chunker chunker(options);
  auto r = chunker.ChunkFile("a.txt", src, "text");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->chunks.size(), 3u);
  EXPECT_EQ(r->chunks[0].start_line, 1);
  EXPECT_EQ(r->chunks[0].end_line, 40);
  EXPECT_EQ(r->chunks[1].start_line, 31);
  EXPECT_EQ(r->chunks[1].end_line, 70);
  EXPECT_EQ(r->chunks[2].start_line, 61);
  EXPECT_EQ(r->chunks[2].end_line, 100);
  CheckInvariants("a.txt", src, *r, options);
}

TEST(ChunkerTest, MarkdownSectionsCarryTheirHeadings) {
  std::string src = "# Title\n\nIntro.\n\n## Install\n\n";
  for (int i = 0; i < 60; ++i) src += "Step " + std::to_string(i) + ": run the installer with care.\n";
  src += "\n```sh\n# not a heading\nmake\n```\n\n## Usage\n\nRun it.\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("README.md", src, "markdown");
  ASSERT_TRUE(r.ok());
  CheckInvariants("README.md", src, *r, chunk_testing::SmallChunks());
  const Chunk* install = FindChunk(*r, "Install");
  ASSERT_NE(install, nullptr);
  EXPECT_EQ(install->context, "README.md > # Title");
  EXPECT_EQ(r->chunks.back().symbol, "Usage");
  EXPECT_EQ(r->chunks.back().context, "README.md > # Title");
  // The second piece of the long section names it in its context.
  EXPECT_EQ(r->chunks.at(2).symbol, "Install");
  EXPECT_EQ(r->chunks.at(2).context, "README.md > # Title > ## Install");
  for (const Chunk& c : r->chunks) EXPECT_NE(c.symbol, "not a heading");
}

TEST(ChunkerTest, UnknownLanguageUsesWindows) {
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("a.yaml", "a: 1\nb: 2\n", "yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->chunks.size(), 1u);
  EXPECT_EQ(r->chunks[0].kind, "window");
  EXPECT_EQ(r->chunks[0].language, "yaml");
}

// ---------------------------------------------------------------------------------
// Coverage over real files: every non-blank line in some chunk, sizes bounded.

void CheckTree(const fs::path& root, const std::vector<std::string>& exts, std::string lang,
               size_t every, size_t max_files, bool recursive) {
  if (!fs::exists(root)) GTEST_SKIP() << root << " not present";
  std::vector<fs::path> files;
  auto consider = [&](const fs::directory_entry& e) {
    if (!e.is_regular_file()) return;
    if (std::find(exts.begin(), exts.end(), e.path().extension().string()) == exts.end()) return;
    files.push_back(e.path());
  };
  std::error_code ec;
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) consider(*it);
  } else {
    for (auto it = fs::directory_iterator(root, ec); it != fs::directory_iterator(); it.increment(ec)) consider(*it);
  }
  std::sort(files.begin(), files.end());
  Chunker chunker(chunk_testing::SmallChunks());
  size_t checked = 0;
  for (size_t i = 0; i < files.size() && checked < max_files; i += every) {
    std::string content = ReadAll(files[i]);
    auto r = chunker.ChunkFile(files[i].string(), content, lang);
    ASSERT_TRUE(r.ok()) << files[i];
    if (!r->notes.empty()) continue;  // normalised text differs from the bytes read
    CheckInvariants(files[i].string(), content, *r, chunk_testing::SmallChunks());
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// Files are parsed first without the bodies a chunk keeps whole, then in part where a
// definition must be split (brace_skeleton.h, indent_skeleton.h): the chunks must be
// those of a whole parse.
void ExpectSameAsWholeParse(const std::string& path, std::string_view content, int* differ,
                            const std::string& language = "c") {
  ChunkOptions skeleton_options = chunk_testing::SmallChunks();
  ChunkOptions whole_options = chunk_testing::SmallChunks();
  whole_options.skeleton_parse = false;
  Chunker skeleton(skeleton_options);
  Chunker whole(whole_options);
  auto a = skeleton.ChunkFile(path, content, language);
  auto b = whole.ChunkFile(path, content, language);
  ASSERT_TRUE(a.ok() && b.ok()) << path;
  CheckInvariants(path, content, *a, skeleton_options);
  if (differ == nullptr) {
    EXPECT_EQ(ToGolden(*a).dump(1), ToGolden(*b).dump(1)) << path;
  } else if (ToGolden(*a) != ToGolden(*b)) {
    ++*differ;
    std::cout << "chunked otherwise: " << path << std::endl;
  }
}

TEST(ChunkerTest, SkeletonParseChunksCAsAWholeParse) {
  std::string big_body;
  for (int i = 0; i < 120; ++i) {
    big_body += "\tif (dev->stats[" + std::to_string(i) + "] > limit) {\n\t\tdev->stats[" +
                std::to_string(i) + "] = 0;\n\t\treport(dev, " + std::to_string(i) + ");\n\t}\n";
  }
  std::string fields;
  for (int i = 0; i < 40; ++i) fields += "\tint field_" + std::to_string(i) + ";\n";
  std::string table;
  for (int i = 0; i < 300; ++i) table += "\t{ " + std::to_string(i) + ", \"entry\" },\n";
  std::string content =
      "#include <stddef.h>\n\n"
      "/* A big structure: split into members. */\n"
      "struct device_state {\n" + fields + "};\n\n"
      "typedef struct { int a; int b; } pair_t;\n\n"
      "static const struct entry table[] = {\n" + table + "};\n\n"
      "/* Small functions merge. */\n"
      "static int add(int a, int b) { return a + b; }\n"
      "static int sub(int a, int b) { return a - b; }\n\n"
      "#ifdef CONFIG_STATS\n"
      "int reset_stats(struct dev *dev, int limit)\n{\n" + big_body + "\treturn 0;\n}\n"
      "#else\n"
      "int reset_stats(struct dev *dev, int limit) { return 0; }\n"
      "#endif\n\n"
      "enum color { RED, GREEN, BLUE };\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("dev.c", content, "c");
  ASSERT_TRUE(r.ok());
  // The big function was split (its body, over the size limit, stays in the first
  // parse; the 40-line structure's members are parsed when it is split): several
  // pieces carry the function's name.
  int pieces = 0;
  for (const Chunk& c : r->chunks) pieces += c.symbol == "reset_stats" ? 1 : 0;
  EXPECT_GE(pieces, 3);
  ExpectSameAsWholeParse("dev.c", content, nullptr);
}

TEST(ChunkerCoverageTest, SkeletonParseOfSystemCHeaders) {
  fs::path root = "/usr/include";
  if (!fs::exists(root)) GTEST_SKIP() << root << " not present";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    // C headers: C++ ones (libstdc++, LLVM) are not C, and both parses recover alike.
    std::string p = e.path().string();
    if (p.find("/c++/") != std::string::npos || p.find("llvm") != std::string::npos) continue;
    if (e.is_regular_file() && e.path().extension() == ".h") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int differ = 0;
  int checked = 0;
  for (size_t i = 0; i < files.size() && checked < 250; i += 5) {
    std::string text = ReadAll(files[i]);
    if (text.find("namespace") != std::string::npos) continue;  // C++ (gtest, hnswlib, ...)
    ++checked;
    ExpectSameAsWholeParse(files[i].string(), text, &differ);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Where tree-sitter cannot parse a header (libgit2's GIT_BEGIN_DECL, GIT_EXTERN(int)),
  // its error recovery may draw other lines around the errors with the bodies out of
  // sight: 5 of these 250 when written. Elsewhere the chunks are the same.
  std::cout << differ << " of " << checked << " headers chunked otherwise" << std::endl;
  EXPECT_LE(differ, checked / 20);
}

TEST(ChunkerCoverageTest, SkeletonParseOfCppSources) {
  // trawl's own sources: namespaces, classes, templates, lambdas, raw strings.
  fs::path root = TestdataDir().parent_path().parent_path();
  int differ = 0;
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
    ExpectSameAsWholeParse(e.path().string(), ReadAll(e.path()), &differ, "cpp");
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
  std::cout << differ << " of " << checked << " files chunked otherwise" << std::endl;
  EXPECT_GT(checked, 50);
  // 8 of 140 differ (the store's long files with raw-string SQL and many lambdas): the
  // skeleton parse's recovery there is open work; the bound keeps it from spreading.
  EXPECT_LE(differ, checked / 16);
}

TEST(ChunkerTest, SkeletonParseChunksPythonAsAWholeParse) {
  // A function over the size limit (split: the walk looks inside it), small ones that
  // merge, a class whose methods are left out one by one, decorators, a compound last
  // statement, and a nested function inside a big one.
  std::string big_body;
  for (int i = 0; i < 150; ++i) {
    // Bodies inside the function, left out of the first parse as well.
    big_body += "    if stats[" + std::to_string(i) + "] > limit:\n        stats[" + std::to_string(i) +
                "] = 0\n        report(dev, " + std::to_string(i) + ", 'statistics were reset')\n" +
                "        log.warning('reset %d', " + std::to_string(i) + ")\n";
  }
  std::string methods;
  for (int i = 0; i < 30; ++i) {
    methods += "    @property\n    def field_" + std::to_string(i) + "(self):\n        \"\"\"Field " +
               std::to_string(i) + ".\"\"\"\n        value = self._values[" + std::to_string(i) +
               "]\n        return value * 2\n\n";
  }
  std::string content =
      "import os\n\n"
      "def add(a, b):\n    total = a + b\n    return total\n\n"
      "def sub(a, b):\n    diff = a - b\n    return diff\n\n"
      "def reset_stats(dev, limit):\n    \"\"\"Reset.\"\"\"\n" + big_body +
      "    def inner(x):\n        y = x * 2\n        z = y + 1\n        return z\n    return inner(0)\n\n"
      "class Device(Base):\n    \"\"\"A device.\"\"\"\n\n" + methods +
      "    def close(self):\n        self._open = False\n        try:\n            self._f.close()\n"
      "        except OSError:\n            pass\n\n"
      "if __name__ == '__main__':\n    main()\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("dev.py", content, "python");
  ASSERT_TRUE(r.ok());
  int pieces = 0;
  for (const Chunk& c : r->chunks) pieces += c.symbol == "reset_stats" ? 1 : 0;
  EXPECT_GE(pieces, 3);
  ExpectSameAsWholeParse("dev.py", content, nullptr, "python");
}

// Random valid Python: nested definitions, every compound statement and clause,
// decorators, one-line bodies, strings of every kind (f-strings with quotes inside,
// triple-quoted over lines), brackets and backslashes over lines, comments and blank
// lines anywhere. Deterministic for a seed.
class PythonGenerator {
 public:
  explicit PythonGenerator(uint32_t seed) : rng_(seed) {
    const char* units[] = {"    ", "  ", "\t"};
    unit_ = units[Pick(3)];
  }

  std::string Module() {
    std::string out = "import os\n";
    int n = 3 + Pick(12);
    for (int i = 0; i < n; ++i) Statement("", 0, false, &out);
    return out;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string Name() {
    static const char* kNames[] = {"value", "parse_file", "readLine", "x", "count", "total", "node", "self.items"};
    return std::string(kNames[Pick(8)]) + std::to_string(Pick(50));
  }
  std::string StringLiteral() {
    switch (Pick(9)) {
      case 0: return "'plain'";
      case 1: return "\"it's\"";
      case 2: return "'''over\n  two: lines\n'''";
      case 3: return "f\"{d['k']} and {x!r:>{w}}\"";
      case 4: return "r'\\d+:'";
      case 5: return "b\"\\x00\\\"\"";
      case 6: return "f'{{literal}} {y}'";
      case 7: return "\"\"\"doc\n\ndef not_code():\n    pass\n\"\"\"";
      default: return "'# not a comment'";
    }
  }
  std::string Expr() {
    switch (Pick(6)) {
      case 0: return Name() + " + " + std::to_string(Pick(100));
      case 1: return "call(" + Name() + ",\n" + std::string(1 + Pick(9), ' ') + StringLiteral() + ")";
      case 2: return "[" + Name() + " for " + Name() + " in range(3) if x]";
      case 3: return "{" + StringLiteral() + ": " + Name() + "}";
      case 4: return "lambda a: a[1:]";
      default: return StringLiteral();
    }
  }
  void Simple(const std::string& in, bool in_function, std::string* out) {
    switch (Pick(in_function ? 8 : 6)) {
      case 0: *out += in + Name() + " = " + Expr() + "\n"; break;
      case 1: *out += in + "call(" + Expr() + ")  # why: 'quoted' (parenthesised:\n"; break;
      case 2: *out += in + Name() + " = 1 + \\\n" + in + "    2\n"; break;
      case 3: *out += in + "pass\n"; break;
      case 4: *out += in + StringLiteral() + "\n"; break;
      case 5: *out += in + "assert " + Name() + ", " + StringLiteral() + "\n"; break;
      case 6: *out += in + "return " + Expr() + "\n"; break;
      default: *out += in + "yield " + Name() + "\n"; break;
    }
  }
  void Block(const std::string& in, int depth, bool in_function, std::string* out) {
    int n = 1 + Pick(depth > 2 ? 3 : 7);
    for (int i = 0; i < n; ++i) Statement(in, depth, in_function, out);
  }
  void Statement(const std::string& in, int depth, bool in_function, std::string* out) {
    if (Pick(6) == 0) *out += Pick(2) ? "\n" : in + "# a comment\n";
    if (depth >= 4) return Simple(in, in_function, out);
    const std::string inner = in + unit_;
    switch (Pick(14)) {
      case 0:
      case 1:
        if (Pick(3) == 0) *out += in + "@decorator(" + StringLiteral() + ")\n";
        *out += in + (Pick(4) == 0 ? "async def " : "def ") + Name().substr(0, 4) + "_f(self, a=" +
                std::to_string(Pick(9)) + ",\n" + in + "        b=None):\n";
        Block(inner, depth + 1, true, out);
        break;
      case 2:
        *out += in + "class C" + std::to_string(Pick(99)) + "(Base):\n";
        if (Pick(2)) *out += inner + "\"\"\"A class.\"\"\"\n";
        Block(inner, depth + 1, false, out);
        break;
      case 3:
        *out += in + "if " + Name() + ":\n";
        Block(inner, depth + 1, in_function, out);
        if (Pick(2)) {
          *out += in + "elif " + Name() + " > 2:\n";
          Block(inner, depth + 1, in_function, out);
        }
        if (Pick(2)) {
          *out += in + "else:\n";
          Block(inner, depth + 1, in_function, out);
        }
        break;
      case 4:
        *out += in + "for " + Name() + " in " + Expr() + ":\n";
        Block(inner, depth + 1, in_function, out);
        break;
      case 5:
        *out += in + "while " + Name() + ":\n";
        Block(inner, depth + 1, in_function, out);
        break;
      case 6:
        *out += in + "with open(" + StringLiteral() + ") as f:\n";
        Block(inner, depth + 1, in_function, out);
        break;
      case 7:
        *out += in + "try:\n";
        Block(inner, depth + 1, in_function, out);
        *out += in + "except (OSError,\n" + in + "        ValueError) as e:\n";
        Block(inner, depth + 1, in_function, out);
        if (Pick(2)) {
          *out += in + "finally:\n";
          Block(inner, depth + 1, in_function, out);
        }
        break;
      case 8:
        *out += in + "if " + Name() + ": " + Name() + " = 1\n";  // a one-line body
        break;
      case 9:
        *out += in + "match " + Name() + ":\n" + inner + "case [a, b]:\n";
        Block(inner + unit_, depth + 2, in_function, out);
        *out += inner + "case _:\n";
        Block(inner + unit_, depth + 2, in_function, out);
        break;
      default:
        Simple(in, in_function, out);
    }
  }

  std::mt19937 rng_;
  std::string unit_;
};

// 300 generated programs (`generate(seed)`) chunked with small size limits, so that the
// walk splits definitions and looks inside left-out bodies (items parsed alone,
// put-backs, whole parses) at every depth: skeleton and whole parses must agree.
// `left_out(source)` counts what the skeleton may leave out: the programs must hold
// plenty (a test that never used the skeleton would pass too).
void ExpectGeneratedChunkedAsWhole(const std::string& language, const std::string& ext,
                                   const std::function<std::string(uint32_t)>& generate,
                                   const std::function<size_t(const std::string&)>& left_out) {
  size_t interiors = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::string source = generate(seed);
    // TRAWL_DUMP_GENERATED=DIR writes the programs out, to look at a failure.
    if (const char* dir = std::getenv("TRAWL_DUMP_GENERATED")) {
      std::ofstream(std::string(dir) + "/" + std::to_string(seed) + ext) << source;
    }
    ChunkOptions skeleton_options = chunk_testing::SmallChunks();
    skeleton_options.max_chunk_chars = 100 + static_cast<int>(seed % 5) * 150;
    skeleton_options.min_chunk_chars = skeleton_options.max_chunk_chars / 4;
    ChunkOptions whole_options = skeleton_options;
    whole_options.skeleton_parse = false;
    auto a = Chunker(skeleton_options).ChunkFile("gen" + ext, source, language);
    auto b = Chunker(whole_options).ChunkFile("gen" + ext, source, language);
    ASSERT_TRUE(a.ok() && b.ok());
    CheckInvariants("gen" + ext, source, *a, skeleton_options);
    ASSERT_EQ(ToGolden(*a).dump(1), ToGolden(*b).dump(1)) << "seed " << seed << ":\n" << source;
    interiors += left_out(source);
  }
  EXPECT_GT(interiors, 1000u);
}

TEST(ChunkerTest, SkeletonParseOfGeneratedPythonIsAWholeParse) {
  ExpectGeneratedChunkedAsWhole(
      "python", ".py", [](uint32_t seed) { return PythonGenerator(seed).Module(); },
      [](const std::string& source) {
        std::vector<chunk_internal::IndentInterior> bodies;
        EXPECT_TRUE(chunk_internal::IndentInteriors(source, 64, &bodies)) << source;
        return bodies.size();
      });
}

// Random valid C: functions with nested blocks and every statement, structs, unions,
// enums, initialiser tables, typedefs, comments and preprocessor conditionals (whole
// ones, at the top level and inside bodies), strings and characters holding braces,
// line continuations. Deterministic for a seed.
class CGenerator {
 public:
  explicit CGenerator(uint32_t seed) : rng_(seed) {}

  std::string File() {
    std::string out = "#include <stddef.h>\n#define LIMIT(x) \\\n  ((x) > 10 ? 10 : (x))\n";
    int n = 3 + Pick(12);
    for (int i = 0; i < n; ++i) TopLevel(&out);
    return out;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string Name() {
    static const char* kNames[] = {"value", "parse_file", "readLine", "x", "count", "total", "node", "dev"};
    return std::string(kNames[Pick(8)]) + std::to_string(Pick(50));
  }
  std::string Literal() {
    switch (Pick(7)) {
      case 0: return "\"plain\"";
      case 1: return "\"{ not a brace }\"";
      case 2: return "'{'";
      case 3: return "'}'";
      case 4: return "\"esc \\\" } \\\\\"";
      case 5: return "L\"wide {\"";
      default: return std::to_string(Pick(1000));
    }
  }
  std::string Expr() {
    switch (Pick(5)) {
      case 0: return Name() + " + " + Literal();
      case 1: return "call(" + Name() + ",\n\t\t" + Literal() + ")";
      case 2: return "LIMIT(" + Name() + ")";
      case 3: return "(struct pair){ .a = 1, .b = " + Name() + " }.a";
      default: return Literal();
    }
  }
  void Comment(const std::string& in, std::string* out) {
    switch (Pick(3)) {
      case 0: *out += in + "/* a comment { with braces } */\n"; break;
      case 1: *out += in + "// line comment }\n"; break;
      default: *out += in + "/*\n" + in + " * over lines {\n" + in + " */\n";
    }
  }
  void Statement(const std::string& in, int depth, std::string* out) {
    if (Pick(6) == 0) Comment(in, out);
    const std::string inner = in + "\t";
    switch (depth >= 4 ? 9 : Pick(11)) {
      case 0:
        *out += in + "if (" + Name() + ") {\n";
        Block(inner, depth + 1, out);
        if (Pick(2)) {
          *out += in + "} else if (" + Name() + " > 2) {\n";
          Block(inner, depth + 1, out);
        }
        if (Pick(2)) {
          *out += in + "} else {\n";
          Block(inner, depth + 1, out);
        }
        *out += in + "}\n";
        break;
      case 1:
        *out += in + "for (int i = 0; i < " + Name() + "; i++) {\n";
        Block(inner, depth + 1, out);
        *out += in + "}\n";
        break;
      case 2:
        *out += in + "while (" + Name() + ")\n" + in + "{\n";
        Block(inner, depth + 1, out);
        *out += in + "}\n";
        break;
      case 3:
        *out += in + "switch (" + Name() + ") {\n" + in + "case 1:\n";
        Block(inner, depth + 1, out);
        *out += inner + "break;\n" + in + "default: {\n";
        Block(inner, depth + 1, out);
        *out += in + "}\n" + in + "}\n";
        break;
      case 4:
        *out += in + "{\n";
        Block(inner, depth + 1, out);
        *out += in + "}\n";
        break;
      case 5:
        *out += "#ifdef CONFIG_" + std::to_string(Pick(9)) + "\n";
        Block(in, depth + 1, out);
        if (Pick(2)) {
          *out += "#else\n";
          Block(in, depth + 1, out);
        }
        *out += "#endif\n";
        break;
      case 6:
        *out += in + "do {\n";
        Block(inner, depth + 1, out);
        *out += in + "} while (0);\n";
        break;
      case 7:
        *out += in + "int table" + std::to_string(Pick(9)) + "[] = { 1, 2,\n" + inner + "3 };\n";
        break;
      default:
        switch (Pick(4)) {
          case 0: *out += in + Name() + " = " + Expr() + ";\n"; break;
          case 1: *out += in + "call(" + Expr() + ");\n"; break;
          case 2: *out += in + "return " + Expr() + ";\n"; break;
          default: *out += in + "int " + Name() + " = " + Literal() + ";\n";
        }
    }
  }
  void Block(const std::string& in, int depth, std::string* out) {
    int n = 1 + Pick(depth > 2 ? 3 : 7);
    for (int i = 0; i < n; ++i) Statement(in, depth, out);
  }
  void TopLevel(std::string* out) {
    if (Pick(4) == 0) Comment("", out);
    switch (Pick(9)) {
      case 0:
      case 1:
      case 2:
        *out += std::string(Pick(2) ? "static " : "") + "int " + Name() + "_fn(struct dev *d,\n\t\tint n)\n{\n";
        Block("\t", 1, out);
        *out += "}\n\n";
        break;
      case 3:
        *out += "struct s" + std::to_string(Pick(99)) + " {\n";
        for (int i = 0, n = 1 + Pick(40); i < n; ++i) *out += "\tint field_" + std::to_string(i) + ";\n";
        *out += "};\n\n";
        break;
      case 4:
        *out += "typedef struct {\n\tint a;\n\tunion { int b; char c; } u;\n} pair" + std::to_string(Pick(9)) +
                "_t;\n\n";
        break;
      case 5:
        *out += "enum color" + std::to_string(Pick(9)) + " { RED, GREEN = 2,\n\tBLUE };\n\n";
        break;
      case 6: {
        *out += "static const struct entry entries" + std::to_string(Pick(99)) + "[] = {\n";
        for (int i = 0, n = 1 + Pick(60); i < n; ++i) {
          *out += "\t{ " + std::to_string(i) + ", " + Literal() + " },\n";
        }
        *out += "};\n\n";
        break;
      }
      case 7:
        *out += "#if defined(CONFIG_A)\nint " + Name() + "_fn(void)\n{\n";
        Block("\t", 1, out);
        *out += "}\n#else\nint " + Name() + "_fn(void) { return 0; }\n#endif\n\n";
        break;
      default:
        *out += "int " + Name() + "_global = " + std::to_string(Pick(9)) + ";\n";
    }
  }

  std::mt19937 rng_;
};

TEST(ChunkerTest, SkeletonParseOfGeneratedCIsAWholeParse) {
  ExpectGeneratedChunkedAsWhole(
      "c", ".c", [](uint32_t seed) { return CGenerator(seed).File(); },
      [](const std::string& source) {
        std::vector<chunk_internal::ByteRange> pairs;
        EXPECT_TRUE(chunk_internal::BraceInteriors(source, chunk_internal::BraceDialect::kC, 64, &pairs)) << source;
        return pairs.size();
      });
}

TEST(ChunkerTest, SkeletonParseChunksPhpAsAWholeParse) {
  // A method over the size limit (split: its class parsed alone, after the opening
  // tag), small methods, a heredoc, interpolations, a trait and a function.
  std::string big_body;
  for (int i = 0; i < 120; ++i) {
    big_body += "        if ($stats[" + std::to_string(i) + "] > $limit) {\n            $stats[" + std::to_string(i) +
                "] = 0;\n            $this->report(\"{$dev->name} {" + std::to_string(i) + "}\");\n        }\n";
  }
  std::string content =
      "<?php\n\nnamespace App\\Device;\n\nuse App\\Base;\n\n"
      "/** A device. */\nfinal class Device extends Base\n{\n"
      "    private array $items = [];\n\n"
      "    public function resetStats(array $stats, int $limit): int\n    {\n" + big_body +
      "        return 0;\n    }\n\n"
      "    public function name(): string { return $this->name; }\n\n"
      "    public function describe(): string\n    {\n        return <<<EOT\n        Device {$this->name}: }\n"
      "        EOT;\n    }\n}\n\n"
      "trait Counts\n{\n    public function count(): int\n    {\n        return \\count($this->items);\n    }\n}\n\n"
      "function helper($x) { return $x * 2; }\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("Device.php", content, "php");
  ASSERT_TRUE(r.ok());
  int pieces = 0;
  for (const Chunk& c : r->chunks) pieces += c.symbol.ends_with("resetStats") ? 1 : 0;
  EXPECT_GE(pieces, 3);
  ExpectSameAsWholeParse("Device.php", content, nullptr, "php");
}


TEST(ChunkerTest, SkeletonParseChunksRubyAsAWholeParse) {
  // A method over the size limit (split: parsed alone), small ones, a heredoc holding an
  // `end`, rescue clauses; then an `end` indented as no one would, where the guess fails
  // and the file is parsed whole: the chunks are a whole parse's either way.
  std::string big_body;
  for (int i = 0; i < 150; ++i) {
    big_body += "    if stats[" + std::to_string(i) + "] > limit\n      stats[" + std::to_string(i) +
                "] = 0\n      report(dev, \"reset #{" + std::to_string(i) + "}\")\n    end\n";
  }
  std::string content =
      "require 'set'\n\nmodule Devices\n  class Device < Base\n"
      "    def reset_stats(stats, limit)\n" + big_body + "    end\n\n"
      "    def name\n      @name ||= compute_name\n      @name.to_s\n    end\n\n"
      "    def describe\n      <<~EOS\n    end\n      EOS\n    end\n\n"
      "    def fetch(key)\n      @items.fetch(key)\n    rescue KeyError\n      nil\n    end\n  end\nend\n";
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile("device.rb", content, "ruby");
  ASSERT_TRUE(r.ok());
  int pieces = 0;
  for (const Chunk& c : r->chunks) pieces += c.symbol.ends_with("reset_stats") ? 1 : 0;
  EXPECT_GE(pieces, 3);
  ExpectSameAsWholeParse("device.rb", content, nullptr, "ruby");
  // A string over lines holding an `end` where the method's would be: the guess is wrong.
  std::string odd = "def f\n  x = \"a string over lines, long enough to be left out of the first parse\n"
                    "end\n  more\"\n  x\nend\n\ndef g\n  z = 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12\n  z * 2\nend\n";
  std::vector<chunk_internal::IndentInterior> guess;
  chunk_internal::RubyMethodBodies(odd, 64, &guess);
  ASSERT_FALSE(guess.empty());
  EXPECT_EQ(odd.substr(guess[0].left_out.end, 4), "end\n");  // the string's line
  ExpectSameAsWholeParse("odd.rb", odd, nullptr, "ruby");
}



// Every `every`-th file named *`ext` under `root` (skipped when absent): at most one in
// fifty may be chunked otherwise by the skeleton than by a whole parse.
void ExpectCorpusChunkedAsWhole(const fs::path& root, const std::string& ext, const std::string& language,
                                size_t every) {
  if (!fs::exists(root)) GTEST_SKIP() << root << " not present";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ext) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int differ = 0;
  int checked = 0;
  for (size_t i = 0; i < files.size(); i += every) {
    ++checked;
    ExpectSameAsWholeParse(files[i].string(), ReadAll(files[i]), &differ, language);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::cout << differ << " of " << checked << " files chunked otherwise" << std::endl;
  EXPECT_GT(checked, 50);
  EXPECT_LE(differ, checked / 50);
}

TEST(ChunkerCoverageTest, SkeletonParseOfPythonStandardLibrary) {
  ExpectCorpusChunkedAsWhole("/usr/lib/python3.11", ".py", "python", 4);
}

// Debian's PHP libraries (Symfony, Doctrine, PHPUnit ... when installed).
TEST(ChunkerCoverageTest, SkeletonParseOfPhpSources) { ExpectCorpusChunkedAsWhole("/usr/share/php", ".php", "php", 3); }

// Ruby's standard library (and gems) when installed.
TEST(ChunkerCoverageTest, SkeletonParseOfRubySources) { ExpectCorpusChunkedAsWhole("/usr/lib/ruby", ".rb", "ruby", 3); }

TEST(ChunkerCoverageTest, PythonStandardLibrary) {
  CheckTree("/usr/lib/python3.11", {".py"}, "python", 7, 120, true);
}

TEST(ChunkerCoverageTest, SystemCHeaders) { CheckTree("/usr/include", {".h"}, "c", 3, 80, false); }

TEST(ChunkerCoverageTest, LibstdcxxHeaders) {
  CheckTree("/usr/include/c++/12/bits", {".h", ".tcc"}, "cpp", 4, 60, false);
}

}  // namespace
}  // namespace trawl
