// A pipeline worker reuses one Chunker for every file it takes (pipeline/index_run.cc),
// so nothing a file leaves behind may change how a later one is chunked: the export of
// a tree must not depend on which worker took which file, nor in what order. Here each
// real file, chunked by one reused Chunker in random orders and right after hostile
// files (parses that stop inside a string, a heredoc, 200 open parentheses, random
// bytes, a cancelled parse), must come out as a fresh Chunker chunks it alone, which is
// what `trawl chunk FILE` does.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "chunk/chunk_test_util.h"
#include "chunk/chunker.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;
using chunk_testing::ReadAll;
using chunk_testing::TestdataDir;

struct Source {
  std::string path;
  std::string language;
  std::string content;
};

// Everything a chunk export holds but the text (the bytes and the file stand for it).
std::string Describe(const ChunkedFile& file) {
  std::string out;
  for (const std::string& note : file.notes) out += "note: " + note + "\n";
  for (const Chunk& c : file.chunks) {
    out += std::to_string(c.start_line) + "-" + std::to_string(c.end_line) + " [" +
           std::to_string(c.start_byte) + "," + std::to_string(c.end_byte) + ") " + c.kind + " " +
           c.symbol + " " + c.language + " | " + c.context + "\n";
  }
  return out;
}

// The chunk module does not detect languages (discover does); the samples need only these.
std::string LanguageOf(const fs::path& p) {
  static const std::map<std::string, std::string> kByExtension = {
      {".py", "python"}, {".js", "javascript"}, {".mjs", "javascript"}, {".ts", "typescript"},
      {".tsx", "tsx"},   {".c", "c"},           {".h", "c"},            {".cc", "cpp"},
      {".cpp", "cpp"},   {".hpp", "cpp"},       {".tcc", "cpp"},        {".go", "go"},
      {".rs", "rust"},   {".java", "java"},     {".cs", "c_sharp"},     {".rb", "ruby"},
      {".php", "php"},   {".sh", "bash"},       {".json", "json"},      {".md", "markdown"},
      {".txt", "text"}};
  auto it = kByExtension.find(p.extension().string());
  return it == kByExtension.end() ? "" : it->second;
}

// Every `every`-th file of `language` under `root` in path order, at most `max` of them;
// none when `root` is absent (the corpora are installed by bench/eval.sh).
void AddCorpus(const fs::path& root, const std::string& language, size_t every, size_t max,
               std::vector<Source>* out) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && LanguageOf(it->path()) == language) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  size_t taken = 0;
  for (size_t i = 0; i < files.size() && taken < max; i += every, ++taken) {
    out->push_back({files[i].string(), language, ReadAll(files[i])});
  }
}

// The real files: the golden samples (every language), every 7th module of Python's
// standard library, and a sample of each eval corpus and system tree present.
std::vector<Source> RealFiles() {
  std::vector<Source> files;
  for (const auto& e : fs::recursive_directory_iterator(TestdataDir())) {
    std::string language = LanguageOf(e.path());
    if (!e.is_regular_file() || language.empty() || e.path().string().ends_with(".golden.json")) continue;
    // tsx samples have their own folder; by extension they would be TypeScript.
    if (e.path().parent_path().filename() == "tsx") language = "tsx";
    files.push_back({e.path().string(), language, ReadAll(e.path())});
  }
  std::sort(files.begin(), files.end(), [](const Source& a, const Source& b) { return a.path < b.path; });
  AddCorpus("/usr/lib/python3.11", "python", 7, 200, &files);
  // The issue's: chardet, as pip vendors it (modules without a string in them).
  AddCorpus("/usr/lib/python3/dist-packages/pip/_vendor/chardet", "python", 1, 60, &files);
  // bench/eval.sh's corpora.
  AddCorpus("/tmp/trawl-eval-java/src", "java", 50, 20, &files);
  AddCorpus("/tmp/linux-src/linux-source-6.1/kernel/sched", "c", 2, 12, &files);
  AddCorpus("/tmp/linux-src/linux-source-6.1/lib", "c", 40, 12, &files);
  AddCorpus("/usr/share/go-1.19/src/strings", "go", 2, 12, &files);
  AddCorpus("/usr/lib/ruby/3.1.0", "ruby", 40, 20, &files);
  AddCorpus("/usr/share/nodejs/lodash", "javascript", 40, 20, &files);
  AddCorpus("/usr/share/php/Symfony/Component/Console", "php", 10, 20, &files);
  AddCorpus("/usr/share/cargo/registry", "rust", 60, 20, &files);
  // What a Debian machine has anyway.
  AddCorpus("/usr/include", "c", 25, 20, &files);
  AddCorpus("/usr/include/c++/12/bits", "cpp", 12, 12, &files);
  AddCorpus("/usr/lib/node_modules/npm/lib", "javascript", 6, 20, &files);
  return files;
}

// Files that leave a parser (and its grammar's external scanner) in the middle of
// something: unterminated strings of each language, open brackets, broken indentation,
// random bytes. Each is chunked as every language.
std::vector<std::string> HostileTexts() {
  std::vector<std::string> texts = {
      "",
      // The issue's: a watch-mode save in the middle of an f-string.
      "def render(x):\n    return f\"+{",
      "x = f'{a[\"b\"]:{w}",
      "s = f\"\"\"{\n  value\n",
      "doc = \"\"\"never closed\n\ndef g():\n    pass\n",
      "p = r'''\n",
      "class A:\n    def f(self):\n        if x:\n            for y in z:\n                while w:\n",
      std::string(200, '('),
      std::string(200, '{'),
      std::string(200, '['),
      "int main() {\n  if (x) {\n    call(\n",
      "}\n}\n}\nint g() { return 1; }\n}\n)\n]\n",
      "/* a comment never closed\n int x;\n",
      "const s = `${a + `${b",
      "let r = /[/;\nfunction f() {",
      "auto s = R\"delim(never closed\n",
      "cat <<EOF\nline $(echo\n",
      "cat <<-'X'\n\ta\n\"$(( 1 +",
      "x = <<~EOS\n  text #{y\n",
      "w = %w[a b\n=begin\n",
      "<?php\n$x = <<<EOT\nabc {$y[\n",
      "<?php echo \"{$a[",
      "<?php if ($x): ?><div><?php foreach ($y as $z): ",
      "let s = r##\"never",
      "var s = $@\"{x",
      "var t = $\"\"\"{{",
      "s := `raw",
      std::string("nul\0bytes\0(\"", 13),
      "\\\n\\\n\\",
      "\t\t\t\tdef f(:\n  x\n\t y\n",
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 3; ++i) {
    std::string bytes(4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    texts.push_back(bytes);
  }
  return texts;
}

// `file` cut where an edit in progress might end it: anywhere, or just after an opening
// bracket or quote.
Source CutShort(const Source& file, std::mt19937* rng) {
  Source cut{"cut:" + file.path, file.language, file.content};
  if (file.content.empty()) return cut;
  size_t at = (*rng)() % file.content.size();
  if ((*rng)() % 2 == 0) {
    size_t open = file.content.find_first_of("{([\"'`", at);
    if (open != std::string::npos) at = open + 1;
  }
  cut.content.resize(at);
  cut.path += ":" + std::to_string(at);
  return cut;
}

// How a hostile file ends, for a failure message.
std::string Tail(std::string_view text) {
  return ::testing::PrintToString(std::string(text.substr(text.size() - std::min<size_t>(text.size(), 40))));
}

// `content` chunked by a Chunker made for it.
std::string ChunkedAlone(const Source& file) {
  Chunker chunker(chunk_testing::SmallChunks());
  auto r = chunker.ChunkFile(file.path, file.content, file.language);
  return r.ok() ? Describe(*r) : "error: " + r.status().ToString();
}

// A file big enough that a flag set soon after the parse begins stops it midway.
std::string BigPython() {
  std::string src;
  for (int i = 0; i < 20000; ++i) {
    src += "def f" + std::to_string(i) + "(a):\n    return f\"{a!r:>{" + std::to_string(i) + "}}\"\n";
  }
  return src;
}

// Chunks `file` with `cancel` set from another thread shortly after the start.
void ChunkCancelled(Chunker* chunker, const Source& file) {
  std::atomic<bool> cancel{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    cancel = true;
  });
  (void)chunker->ChunkFile(file.path, file.content, file.language, &cancel);  // cancelled or not
  stopper.join();
}

TEST(ChunkerOrderTest, UnterminatedFStringLeavesNothingForTheNextFile) {
  // The shape of chardet's mbcsgroupprober.py: no string anywhere, so nothing in it
  // sets the string state of Python's scanner again.
  std::string header;
  for (int i = 0; i < 28; ++i) header += "# licence line " + std::to_string(i) + "\n";
  std::string imports;
  for (int i = 0; i < 11; ++i) imports += "from .m" + std::to_string(i) + " import Prober" + std::to_string(i) + "\n";
  std::string probers;
  for (int i = 0; i < 9; ++i) probers += "            Prober" + std::to_string(i) + "(),\n";
  Source file{"mbcsgroupprober.py", "python",
              header + "\n" + imports + "\n\nclass MBCSGroupProber(CharSetGroupProber):\n"
              "    def __init__(self, lang_filter: LanguageFilter = LanguageFilter.NONE) -> None:\n"
              "        super().__init__(lang_filter=lang_filter)\n"
              "        self.probers = [\n" + probers + "        ]\n        self.reset()\n"};
  const std::string alone = ChunkedAlone(file);
  ASSERT_NE(alone.find(" class MBCSGroupProber "), std::string::npos) << alone;
  Chunker chunker(chunk_testing::SmallChunks());
  ASSERT_TRUE(chunker.ChunkFile("edit.py", "def render(x):\n    return f\"+{", "python").ok());
  auto after = chunker.ChunkFile(file.path, file.content, file.language);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(alone, Describe(*after));
}

TEST(ChunkerOrderTest, ChunksDoNotDependOnWhatCameBefore) {
  const std::vector<Source> real = RealFiles();
  ASSERT_GT(real.size(), 16u);
  std::vector<std::string> alone;
  alone.reserve(real.size());
  for (const Source& f : real) alone.push_back(ChunkedAlone(f));

  std::vector<Source> hostile;
  for (const std::string& text : HostileTexts()) {
    for (const std::string& language : Chunker::SyntaxLanguages()) {
      hostile.push_back({"hostile." + language, language, text});
    }
  }
  std::map<std::string, std::vector<size_t>> hostile_of;  // by language
  for (size_t i = 0; i < hostile.size(); ++i) hostile_of[hostile[i].language].push_back(i);
  const Source big{"big.py", "python", BigPython()};

  std::map<std::string, std::vector<size_t>> real_of;  // by language
  for (size_t i = 0; i < real.size(); ++i) real_of[real[i].language].push_back(i);

  // Order 0: the real files alone, shuffled. Then each real file preceded, three times
  // in four, by a hostile file of its language (a generated one, or a real one cut
  // short), with hostile files of other languages and cancelled parses among them.
  constexpr int kOrders = 8;
  int differ = 0;
  for (int order = 0; order < kOrders; ++order) {
    const uint32_t seed = 1000 + static_cast<uint32_t>(order);
    std::mt19937 rng(seed);
    std::vector<size_t> sequence(real.size());
    for (size_t i = 0; i < sequence.size(); ++i) sequence[i] = i;
    std::shuffle(sequence.begin(), sequence.end(), rng);
    Chunker chunker(chunk_testing::SmallChunks());
    std::map<std::string, std::string> last_of;  // what each language's parser parsed last
    for (size_t i : sequence) {
      const Source& file = real[i];
      if (order > 0) {
        if (rng() % 4 != 0 && hostile_of.count(file.language) != 0) {
          const std::vector<size_t>& same = hostile_of[file.language];
          const std::vector<size_t>& cuttable = real_of[file.language];
          const Source h = rng() % 2 == 0 ? hostile[same[rng() % same.size()]]
                                          : CutShort(real[cuttable[rng() % cuttable.size()]], &rng);
          (void)chunker.ChunkFile(h.path, h.content, h.language);
          last_of[h.language] = h.path + " ending " + Tail(h.content);
        }
        if (rng() % 4 == 0) {
          const Source& h = hostile[rng() % hostile.size()];
          (void)chunker.ChunkFile(h.path, h.content, h.language);
          last_of[h.language] = h.path + " ending " + Tail(h.content);
        }
        if (rng() % 64 == 0) {
          ChunkCancelled(&chunker, big);
          last_of[big.language] = "a cancelled parse";
        }
      }
      auto r = chunker.ChunkFile(file.path, file.content, file.language);
      std::string got = r.ok() ? Describe(*r) : "error: " + r.status().ToString();
      if (got != alone[i] && ++differ <= 5) {
        std::string before = last_of.count(file.language) != 0 ? last_of[file.language] : "nothing";
        ADD_FAILURE() << file.path << " (order seed " << seed << ", after " << before
                      << ") chunked otherwise than alone.\nalone:\n" << alone[i] << "after:\n" << got;
      }
      last_of[file.language] = file.path;
    }
  }
  std::cout << real.size() << " files x " << kOrders << " orders, " << differ
            << " chunked otherwise than alone" << std::endl;
  EXPECT_EQ(differ, 0);
}

}  // namespace
}  // namespace trawl
