#include "discover/language.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/ascii.h"
#include "discover/discover.h"

namespace trawl {
namespace {

using LangMap = std::unordered_map<std::string_view, std::string_view>;

// Extensions, lower-cased, without the dot.
const LangMap& ExtensionLanguages() {
  static const LangMap kMap = {
      {"py", "python"},      {"pyi", "python"},     {"pyw", "python"},
      {"js", "javascript"},  {"mjs", "javascript"}, {"cjs", "javascript"},
      {"jsx", "javascript"}, {"ts", "typescript"},  {"mts", "typescript"},
      {"cts", "typescript"}, {"tsx", "tsx"},        {"c", "c"},
      {"h", "c"},            {"cc", "cpp"},         {"cpp", "cpp"},
      {"cxx", "cpp"},        {"c++", "cpp"},        {"hh", "cpp"},
      {"hpp", "cpp"},        {"hxx", "cpp"},        {"h++", "cpp"},
      {"ipp", "cpp"},        {"tpp", "cpp"},        {"inl", "cpp"},
      {"cu", "cuda"},        {"cuh", "cuda"},       {"go", "go"},
      {"rs", "rust"},        {"java", "java"},      {"cs", "c_sharp"},
      {"rb", "ruby"},        {"rake", "ruby"},      {"gemspec", "ruby"},
      {"php", "php"},        {"sh", "bash"},        {"bash", "bash"},
      {"zsh", "bash"},       {"ksh", "bash"},       {"json", "json"},
      {"jsonc", "json"},     {"json5", "json"},     {"md", "markdown"},
      {"markdown", "markdown"}, {"mdx", "markdown"}, {"yml", "yaml"},
      {"yaml", "yaml"},      {"toml", "toml"},      {"html", "html"},
      {"htm", "html"},       {"xhtml", "html"},     {"css", "css"},
      {"scss", "scss"},      {"sass", "scss"},      {"less", "css"},
      {"sql", "sql"},        {"mk", "makefile"},    {"mak", "makefile"},
      {"dockerfile", "dockerfile"}, {"cmake", "cmake"}, {"kt", "kotlin"},
      {"kts", "kotlin"},     {"swift", "swift"},    {"scala", "scala"},
      {"sc", "scala"},       {"lua", "lua"},        {"pl", "perl"},
      {"pm", "perl"},        {"r", "r"},            {"hs", "haskell"},
      {"ml", "ocaml"},       {"mli", "ocaml"},      {"ex", "elixir"},
      {"exs", "elixir"},     {"erl", "erlang"},     {"hrl", "erlang"},
      {"dart", "dart"},      {"zig", "zig"},        {"jl", "julia"},
      {"vue", "vue"},        {"svelte", "svelte"},  {"proto", "proto"},
      {"xml", "xml"},        {"xsd", "xml"},        {"xsl", "xml"},
      {"svg", "xml"},        {"plist", "xml"},      {"ini", "ini"},
      {"cfg", "ini"},        {"conf", "text"},      {"rst", "rst"},
      {"tex", "latex"},      {"groovy", "groovy"},  {"gradle", "groovy"},
      {"m", "objc"},         {"mm", "objc"},        {"s", "asm"},
      {"asm", "asm"},        {"dts", "devicetree"}, {"dtsi", "devicetree"},
      {"txt", "text"},       {"text", "text"},      {"csv", "csv"},
      {"tsv", "csv"},        {"ps1", "powershell"}, {"psm1", "powershell"},
      {"bat", "batch"},      {"cmd", "batch"},      {"nix", "nix"},
      {"tf", "hcl"},         {"hcl", "hcl"},        {"graphql", "graphql"},
      {"gql", "graphql"},    {"el", "elisp"},       {"clj", "clojure"},
      {"cljs", "clojure"},   {"fs", "fsharp"},      {"fsx", "fsharp"},
      {"vb", "vbnet"},       {"v", "verilog"},      {"sv", "verilog"},
      {"vhd", "vhdl"},       {"vhdl", "vhdl"},      {"f90", "fortran"},
      {"f", "fortran"},      {"pas", "pascal"},     {"nim", "nim"},
      {"ipynb", "json"},     {"lock", "text"},      {"diff", "diff"},
      {"patch", "diff"},     {"awk", "awk"},        {"tcl", "tcl"},
      {"vim", "vim"},        {"sol", "solidity"},   {"thrift", "thrift"},
      {"jinja", "jinja"},    {"j2", "jinja"},       {"tmpl", "text"},
      {"env", "text"},       {"properties", "properties"}, {"rkt", "racket"},
      {"scm", "scheme"},     {"lisp", "lisp"},      {"cl", "lisp"},
      {"elm", "elm"},        {"purs", "purescript"}, {"gleam", "gleam"},
  };
  return kMap;
}

// Well-known names without a telling extension.
const LangMap& NameLanguages() {
  static const LangMap kMap = {
      {"Makefile", "makefile"},      {"makefile", "makefile"},   {"GNUmakefile", "makefile"},
      {"Kbuild", "makefile"},        {"Dockerfile", "dockerfile"}, {"Containerfile", "dockerfile"},
      {"CMakeLists.txt", "cmake"},   {"Rakefile", "ruby"},       {"Gemfile", "ruby"},
      {"Vagrantfile", "ruby"},       {"Podfile", "ruby"},        {"Brewfile", "ruby"},
      {"Jenkinsfile", "groovy"},     {"Kconfig", "text"},        {"README", "text"},
      {"LICENSE", "text"},           {"COPYING", "text"},        {"AUTHORS", "text"},
      {"CHANGELOG", "text"},         {"NEWS", "text"},           {"INSTALL", "text"},
      {"MAINTAINERS", "text"},       {"CREDITS", "text"},        {"NOTICE", "text"},
      {"CODEOWNERS", "text"},        {"OWNERS", "text"},         {"VERSION", "text"},
      {".bashrc", "bash"},           {".bash_profile", "bash"},  {".zshrc", "bash"},
      {".profile", "bash"},          {".gitignore", "text"},     {".trawlignore", "text"},
      {".gitattributes", "text"},    {".gitmodules", "text"},    {".dockerignore", "text"},
      {".editorconfig", "ini"},      {"go.mod", "text"},         {"BUILD", "starlark"},
      {"WORKSPACE", "starlark"},     {"BUCK", "starlark"},       {"Pipfile", "toml"},
      {"Procfile", "text"},          {".clang-format", "yaml"},  {".clang-tidy", "yaml"},
  };
  return kMap;
}

// Extensions of files that are not text.
const std::unordered_set<std::string_view>& BinaryExtensions() {
  static const std::unordered_set<std::string_view> kSet = {
      // images
      "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "xcf",
      "heic", "avif", "raw", "cr2", "nef",
      // audio / video
      "mp3", "mp4", "m4a", "m4v", "wav", "ogg", "oga", "flac", "aac", "avi", "mov", "mkv", "webm",
      "wmv", "flv", "mpg", "mpeg", "opus", "mid", "midi",
      // archives and packages
      "zip", "tar", "gz", "tgz", "bz2", "tbz2", "xz", "txz", "7z", "rar", "zst", "lz4", "lz",
      "lzma", "z", "jar", "war", "ear", "whl", "egg", "deb", "rpm", "apk", "aab", "ipa", "dmg",
      "iso", "img", "msi", "cab", "nupkg", "gem", "crate",
      // object code and bytecode
      "o", "obj", "a", "lib", "so", "dylib", "dll", "exe", "ko", "elf", "bin", "class", "pyc",
      "pyo", "pyd", "wasm", "beam", "dex", "pdb", "idb", "ilk", "exp", "lo", "la", "gch", "pch",
      "rlib", "rmeta", "nib",
      // fonts
      "ttf", "otf", "woff", "woff2", "eot", "ttc", "pfb",
      // documents
      "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "epub",
      // data, databases, models
      "sqlite", "sqlite3", "db", "mdb", "parquet", "avro", "orc", "feather", "arrow", "npy",
      "npz", "pkl", "pickle", "h5", "hdf5", "pt", "pth", "onnx", "safetensors", "tflite", "pb",
      "ckpt", "gguf", "mat",
      // misc
      "swf", "fla", "blend", "fbx", "glb", "3ds", "dwg", "sketch", "fig", "keystore", "jks",
      "p12", "pfx", "der", "lockb",
  };
  return kSet;
}

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Interpreters named by shebangs.
const LangMap& InterpreterLanguages() {
  static const LangMap kMap = {
      {"python", "python"}, {"pypy", "python"},   {"bash", "bash"},       {"sh", "bash"},
      {"zsh", "bash"},      {"dash", "bash"},     {"ksh", "bash"},        {"ash", "bash"},
      {"mksh", "bash"},     {"node", "javascript"}, {"nodejs", "javascript"}, {"bun", "javascript"},
      {"deno", "typescript"}, {"ts-node", "typescript"}, {"tsx", "typescript"}, {"ruby", "ruby"},
      {"perl", "perl"},     {"php", "php"},       {"lua", "lua"},         {"luajit", "lua"},
      {"Rscript", "r"},     {"awk", "awk"},       {"gawk", "awk"},        {"tclsh", "tcl"},
      {"make", "makefile"}, {"fish", "fish"},     {"elixir", "elixir"},   {"escript", "erlang"},
      {"groovy", "groovy"}, {"scala", "scala"},   {"julia", "julia"},     {"swift", "swift"},
      {"pwsh", "powershell"}, {"osascript", "applescript"},
  };
  return kMap;
}

std::string_view InterpreterLanguage(std::string_view interp) {
  // Strip a version: python3.11 -> python, ruby2.7 -> ruby.
  while (!interp.empty() && ((interp.back() >= '0' && interp.back() <= '9') || interp.back() == '.')) {
    interp.remove_suffix(1);
  }
  const LangMap& map = InterpreterLanguages();
  auto it = map.find(interp);
  return it == map.end() ? std::string_view() : it->second;
}

}  // namespace

const std::set<std::string_view>& KnownLanguages() {
  static const std::set<std::string_view> kAll = [] {
    std::set<std::string_view> all = {"text", "dockerfile", "makefile"};
    for (const LangMap* m : {&ExtensionLanguages(), &NameLanguages(), &InterpreterLanguages()}) {
      for (const auto& [key, language] : *m) all.insert(language);
    }
    return all;
  }();
  return kAll;
}

Status CheckLanguage(std::string_view language) {
  const auto& known = KnownLanguages();
  if (known.count(language) != 0) return Status::Ok();
  std::string list;
  for (std::string_view l : known) {
    if (!list.empty()) list += ", ";
    list += l;
  }
  return Status::InvalidArgument("unknown language '" + std::string(language) + "' (known: " + list + ")");
}

NameInfo LanguageFromName(std::string_view rel_path) {
  std::string_view name = Basename(rel_path);
  NameInfo info;
  const LangMap& names = NameLanguages();
  if (auto it = names.find(name); it != names.end()) {
    info.kind = NameKind::kKnown;
    info.language = it->second;
    return info;
  }
  if (name.starts_with("Dockerfile.") || name.starts_with("Makefile.")) {
    info.kind = NameKind::kKnown;
    info.language = name[0] == 'D' ? "dockerfile" : "makefile";
    return info;
  }
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return info;
  std::string_view ext = name.substr(dot + 1);
  char lower[16];
  if (ext.size() > sizeof(lower)) return info;
  for (size_t i = 0; i < ext.size(); ++i) {
    char c = ext[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  std::string_view key(lower, ext.size());
  const LangMap& exts = ExtensionLanguages();
  if (auto it = exts.find(key); it != exts.end()) {
    info.kind = NameKind::kKnown;
    info.language = it->second;
    return info;
  }
  if (BinaryExtensions().count(key) != 0) {
    info.kind = NameKind::kUnsupported;
    info.extension = name.substr(dot);
  }
  return info;
}

std::string_view LanguageFromShebang(std::string_view head) {
  if (!head.starts_with("#!")) return {};
  std::string_view line = head.substr(2, head.find('\n') == std::string_view::npos
                                             ? std::string_view::npos
                                             : head.find('\n') - 2);
  auto next_token = [&line]() {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) {
      line = {};
      return std::string_view();
    }
    line.remove_prefix(start);
    size_t end = line.find_first_of(" \t\r");
    std::string_view tok = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    return tok;
  };
  std::string_view interp = Basename(next_token());
  if (interp == "env") {
    // "#!/usr/bin/env -S python3 -u", "#!/usr/bin/env FOO=1 node"
    for (std::string_view tok = next_token(); !tok.empty(); tok = next_token()) {
      if (tok[0] == '-' || tok.find('=') != std::string_view::npos) continue;
      interp = Basename(tok);
      break;
    }
    if (interp == "env") return {};
  }
  return InterpreterLanguage(interp);
}

namespace {

bool IsIdentChar(char c) { return ascii::IsIdentByte(static_cast<unsigned char>(c)); }

// `line` (leading blanks removed) starts with `word` as a whole word.
bool StartsWithWord(std::string_view line, std::string_view word) {
  return line.starts_with(word) && (line.size() == word.size() || !IsIdentChar(line[word.size()]));
}

std::string_view SkipBlanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// One line of a header that only C++ would have.
bool CppLine(std::string_view line) {
  line = SkipBlanks(line);
  if (line.empty()) return false;
  if (StartsWithWord(line, "template")) return SkipBlanks(line.substr(8)).starts_with('<');
  if (StartsWithWord(line, "namespace")) {
    // namespace {   namespace a::b {   (not a C variable called namespace)
    std::string_view rest = SkipBlanks(line.substr(9));
    size_t i = 0;
    while (i < rest.size() && (IsIdentChar(rest[i]) || rest[i] == ':')) ++i;
    return SkipBlanks(rest.substr(i)).starts_with('{');
  }
  if (StartsWithWord(line, "class")) {
    // class Name {   class Name : public Base   (not "class Name;" nor a C declaration)
    std::string_view rest = SkipBlanks(line.substr(5));
    size_t i = 0;
    while (i < rest.size() && IsIdentChar(rest[i])) ++i;
    if (i == 0) return false;
    rest = SkipBlanks(rest.substr(i));
    if (StartsWithWord(rest, "final")) rest = SkipBlanks(rest.substr(5));
    return rest.starts_with('{') || (rest.starts_with(':') && !rest.starts_with("::")) ||
           rest.empty();
  }
  for (std::string_view access : {"public", "private", "protected"}) {
    if (StartsWithWord(line, access)) {
      std::string_view rest = SkipBlanks(line.substr(access.size()));
      return rest.starts_with(':') && !rest.starts_with("::");
    }
  }
  if (line.starts_with('#')) {
    // #include <vector>: a standard C++ header has no extension.
    std::string_view rest = SkipBlanks(line.substr(1));
    if (!StartsWithWord(rest, "include")) return false;
    rest = SkipBlanks(rest.substr(7));
    if (!rest.starts_with('<')) return false;
    size_t end = rest.find('>');
    if (end == std::string_view::npos || end == 1) return false;
    std::string_view name = rest.substr(1, end - 1);
    return std::all_of(name.begin(), name.end(), [](char c) { return IsIdentChar(c); });
  }
  return false;
}

}  // namespace

bool IsCppHeader(std::string_view rel_path, std::string_view head) {
  if (!rel_path.ends_with(".h")) return false;
  head = head.substr(0, 8192);
  while (!head.empty()) {
    size_t nl = head.find('\n');
    if (CppLine(head.substr(0, nl))) return true;
    if (nl == std::string_view::npos) break;
    head.remove_prefix(nl + 1);
  }
  return false;
}

std::string DetectLanguage(std::string_view rel_path, std::string_view head) {
  NameInfo info = LanguageFromName(rel_path);
  switch (info.kind) {
    case NameKind::kKnown:
      if (info.language == "c" && IsCppHeader(rel_path, head)) return "cpp";
      return std::string(info.language);
    case NameKind::kUnsupported:
      return "";
    case NameKind::kUnknown:
      break;
  }
  std::string_view lang = LanguageFromShebang(head);
  return lang.empty() ? "text" : std::string(lang);
}

bool LooksBinary(std::string_view head) {
  if (head.empty()) return false;
  return std::memchr(head.data(), '\0', std::min<size_t>(head.size(), 8192)) != nullptr;
}

}  // namespace trawl
