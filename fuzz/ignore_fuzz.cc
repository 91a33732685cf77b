// libFuzzer target: arbitrary bytes parsed as an ignore file, then matched against
// paths derived from the same bytes. Must never crash, hang or go exponential.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/wildmatch.h"
#include "discover/ignore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  trawl::IgnoreFile file = trawl::IgnoreFile::Parse(input, size % 2 ? "sub/" : "", "fuzz/.gitignore");

  // Paths: each line with '\r' and NUL removed and no leading/trailing '/', plus a
  // few fixed ones, under the file's base and outside it.
  std::vector<std::string> paths = {"a", "sub/a", "sub/x/y/z.txt", "deep/a/b/c/d/e/f/g/h"};
  size_t start = 0;
  while (start < input.size() && paths.size() < 16) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    std::string line;
    for (char c : input.substr(start, nl - start)) {
      if (c != '\r' && c != '\0') line += c;
    }
    while (!line.empty() && line.front() == '/') line.erase(0, 1);
    while (!line.empty() && line.back() == '/') line.pop_back();
    if (!line.empty()) {
      paths.push_back(line);
      paths.push_back("sub/" + line);
    }
    start = nl + 1;
  }
  for (const std::string& path : paths) {
    for (bool is_dir : {false, true}) {
      const trawl::IgnoreRule* rule = file.Match(path, is_dir);
      if (rule != nullptr && rule->pattern.empty()) __builtin_trap();  // empty patterns are dropped
    }
  }
  // The raw matcher on every rule against every path, both case modes.
  for (const trawl::IgnoreRule& rule : file.rules()) {
    for (const std::string& path : paths) {
      (void)trawl::WildMatch(rule.pattern, path, false);
      (void)trawl::WildMatch(rule.pattern, path, true);
    }
  }
  return 0;
}
