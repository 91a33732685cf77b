#include "search/query_analysis.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_set>

#include "base/ascii.h"
#include "base/tokenize.h"

namespace trawl {
namespace {

constexpr std::array<std::string_view, 22> kSourceExtensions = {
    "py", "pyx", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "java", "go",
    "rs", "js", "jsx", "ts", "tsx", "rb", "php", "cs", "kt", "scala"};

bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == '\\' || c == ':' || c == '+' || c == '@';
}

// `token` (a run of path characters) as a source path, or "" when it is not one.
std::string AsSourcePath(std::string_view token) {
  // A line (and column) suffix: "x.py:12", "x.c:12:5".
  while (!token.empty()) {
    size_t colon = token.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == token.size()) break;
    std::string_view tail = token.substr(colon + 1);
    if (!std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; })) break;
    token = token.substr(0, colon);
  }
  while (!token.empty() && (token.back() == '.' || token.back() == ':' || token.back() == '/')) token.remove_suffix(1);
  size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string_view ext = token.substr(dot + 1);
  if (std::find(kSourceExtensions.begin(), kSourceExtensions.end(), ext) == kSourceExtensions.end()) return "";
  std::string path(token);
  std::replace(path.begin(), path.end(), '\\', '/');
  // A drive letter or scheme stays in front; what matters is the suffix.
  size_t name = path.rfind('/');
  std::string_view base = name == std::string::npos ? std::string_view(path) : std::string_view(path).substr(name + 1);
  if (base.size() <= ext.size() + 1) return "";  // ".py" alone
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  return path;
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Words that are code in every language but name nothing a search can find: keywords and
// the most common builtins and receivers.
bool IgnoredName(std::string_view w) {
  static const std::unordered_set<std::string_view> kIgnored = {
      "self", "cls", "this", "def", "class", "return", "import", "from", "print", "len", "str", "int", "float",
      "list", "dict", "set", "tuple", "type", "object", "None", "True", "False", "null", "true", "false", "in",
      "is", "not", "and", "or", "if", "else", "for", "while", "new", "var", "let", "const", "function", "lambda",
      "range", "isinstance", "super", "assert", "raise", "try", "except", "with", "as", "np", "os", "sys", "re",
      "http", "https", "www", "com", "org", "e", "g", "i", "etc"};
  return kIgnored.count(w) > 0;
}

// A name written the way code writes names: an inner '_', camelCase, or CamelCase with two
// humps ("ConditionSet").
bool CodeStyled(std::string_view w) {
  if (w.find_first_not_of('_') == std::string_view::npos) return false;
  if (w.front() == '_') return true;  // "_eval_is_zero", "__matmul__"
  if (w.find('_') != std::string_view::npos && w.find_last_not_of('_') > w.find('_')) return true;
  for (size_t i = 1; i < w.size(); ++i) {
    if (ascii::IsUpper(w[i]) && ascii::IsLower(w[i - 1])) return true;  // "kernS", "ConditionSet"
  }
  return false;
}

std::string LowerCase(std::string_view w) {
  std::string out(w);
  for (char& c : out) c = ascii::ToLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "  File \"/x/sympy/core/add.py\", line 532, in _eval_is_zero": the function.
std::string_view FrameFunction(std::string_view line) {
  std::string_view t = Trim(line);
  if (!StartsWith(t, "File ")) return {};
  size_t in = t.rfind(", in ");
  if (in == std::string_view::npos || t.find(", line ") == std::string_view::npos) return {};
  std::string_view fn = Trim(t.substr(in + 5));
  size_t end = 0;
  while (end < fn.size() && ascii::IsIdentChar(fn[end])) ++end;
  return fn.substr(0, end);
}

// "ValueError: message", "sympy.polys.polyerrors.OptionError: message": the message.
std::string_view ErrorMessage(std::string_view line) {
  std::string_view t = Trim(line);
  size_t colon = t.find(": ");
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view head = t.substr(0, colon);
  for (char c : head) {
    if (!ascii::IsIdentChar(c) && c != '.') return {};
  }
  size_t dot = head.rfind('.');
  std::string_view type = dot == std::string_view::npos ? head : head.substr(dot + 1);
  auto ends = [&](std::string_view suffix) {
    return type.size() > suffix.size() && type.substr(type.size() - suffix.size()) == suffix;
  };
  if (!(ends("Error") || ends("Exception") || ends("Warning") || type == "Exception")) return {};
  return Trim(t.substr(colon + 2));
}

// Lines of code in a Markdown issue text: fenced blocks (tracked by the caller), an
// interpreter session, and indented blocks.
bool CodeLine(std::string_view line) {
  std::string_view t = Trim(line);
  return StartsWith(t, ">>> ") || StartsWith(t, "... ") || StartsWith(t, "In [") || StartsWith(t, "Out[") ||
         StartsWith(line, "    ") || StartsWith(line, "\t") || StartsWith(t, "---->") ||
         StartsWith(t, "$ ");
}

// The aliases most code uses for the most used libraries, when a query does not say.
constexpr std::pair<std::string_view, std::string_view> kUsualAliases[] = {
    {"np", "numpy"}, {"pd", "pandas"}, {"plt", "matplotlib"}, {"mpl", "matplotlib"}, {"tf", "tensorflow"}};
constexpr size_t kMaxImports = 64;

// The first dotted component: "numpy" of "numpy.linalg".
std::string_view TopModule(std::string_view dotted) { return dotted.substr(0, dotted.find('.')); }

// What a Python import statement binds ("import a.b as x, c", "from a.b import x, y as
// z"), each alias -> its top-level module; relative imports ("from . import x") bind
// nothing outside. `line` trimmed; an interpreter prompt before it is skipped.
void ReadImport(std::string_view line, std::unordered_map<std::string, std::string>* imports) {
  for (std::string_view prompt : {">>> ", "... "}) {
    if (StartsWith(line, prompt)) line = Trim(line.substr(prompt.size()));
  }
  if (StartsWith(line, "In [")) {
    size_t close = line.find("]:");
    if (close == std::string_view::npos) return;
    line = Trim(line.substr(close + 2));
  }
  auto words = [](std::string_view s) {
    std::vector<std::string_view> out;
    for (size_t i = 0; i < s.size();) {
      while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '(' || s[i] == ')')) ++i;
      size_t j = i;
      while (j < s.size() && !(s[j] == ' ' || s[j] == ',' || s[j] == '(' || s[j] == ')')) ++j;
      if (j > i) out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  };
  auto bind = [&](std::string_view alias, std::string_view module) {
    if (imports->size() >= kMaxImports || alias.empty() || module.empty() || module.front() == '.') return;
    (*imports)[std::string(alias)] = std::string(TopModule(module));
  };
  std::vector<std::string_view> w = words(line);
  // The statement ends at the first word that is no dotted name ("import io >>> f(x)").
  auto dotted = [](std::string_view x) {
    return !x.empty() && !ascii::IsDigit(x.front()) &&
           std::all_of(x.begin(), x.end(), [](char c) { return ascii::IsIdentChar(c) || c == '.'; });
  };
  for (size_t i = 0; i < w.size(); ++i) {
    if (!dotted(w[i]) && !(i == 3 && w[i] == "*")) {
      w.resize(i);
      break;
    }
  }
  if (w.size() >= 2 && w[0] == "import") {
    for (size_t i = 1; i < w.size(); ++i) {
      if (i + 2 < w.size() && w[i + 1] == "as") {
        bind(w[i + 2], w[i]);
        i += 2;
      } else {
        bind(TopModule(w[i]), w[i]);
      }
    }
  } else if (w.size() >= 4 && w[0] == "from" && w[2] == "import") {
    for (size_t i = 3; i < w.size(); ++i) {
      if (w[i] == "*") continue;
      if (i + 2 < w.size() && w[i + 1] == "as") {
        bind(w[i + 2], w[1]);
        i += 2;
      } else {
        bind(w[i], w[1]);
      }
    }
  }
}

class Analyzer {
 public:
  explicit Analyzer(QueryAnalysis* out) : out_(out) {}

  // One segment of text of one kind.
  void Segment(std::string_view text, QueryPart part, bool inline_code) {
    ForEachCodeTerm(text, [&](std::string_view t, bool) {
      double w = part == QueryPart::kProse && !inline_code ? kProseWeight : 1.0;
      auto [it, fresh] = out_->term_weight.try_emplace(std::string(t), w);
      if (!fresh) it->second = std::max(it->second, w);
    });
    size_t i = 0;
    while (i < text.size()) {
      // URLs name hosts and pages, not code.
      if (StartsWith(text.substr(i), "http://") || StartsWith(text.substr(i), "https://")) {
        while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != ')' && text[i] != '>') ++i;
        continue;
      }
      if (!(ascii::IsIdentChar(text[i]) && !ascii::IsDigit(text[i])) || (i > 0 && ascii::IsIdentChar(text[i - 1]))) {
        ++i;
        continue;
      }
      // A dotted chain of identifiers: "sympy.core.add", "Contains.as_set".
      std::vector<std::string_view> chain;
      size_t j = i;
      for (;;) {
        size_t s = j;
        while (j < text.size() && ascii::IsIdentChar(text[j])) ++j;
        chain.push_back(text.substr(s, j - s));
        if (j + 1 < text.size() && text[j] == '.' && ascii::IsIdentChar(text[j + 1]) && !ascii::IsDigit(text[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      bool called = j < text.size() && text[j] == '(';
      bool preceded_by_dot = i > 0 && text[i - 1] == '.';
      i = j;
      if (chain.size() >= 2 && !preceded_by_dot) AddModule(chain);
      for (size_t c = 0; c < chain.size(); ++c) {
        std::string_view w = chain[c];
        if (w.size() < 2 || w.size() > 64 || IgnoredName(w)) continue;
        bool last = c + 1 == chain.size();
        bool styled = CodeStyled(w);
        bool qualified = c > 0 || preceded_by_dot;
        double s = 0;
        switch (part) {
          case QueryPart::kTitle:
            s = styled || (last && called) || qualified ? 1.0 : inline_code ? 0.8 : 0;
            // A plain word of a title may be a name ("uniq modifies list argument");
            // counted once the query turns out to be a title with a body.
            if (s == 0 && w.size() >= 3 && !IsStopTerm(LowerCase(w))) title_words_.emplace_back(w);
            break;
          case QueryPart::kProse:
            s = inline_code ? 0.7 : styled || (last && called) || qualified ? 0.6 : 0;
            break;
          case QueryPart::kCode:
          case QueryPart::kTrace:
            s = (last && called) || qualified ? 0.3 : styled ? 0.2 : 0;
            break;
        }
        if (s > 0) AddName(w, c > 0 ? chain[c - 1] : std::string_view(), s, preceded_by_dot ? "" : chain[0]);
      }
    }
  }

  // `root`: the first name of the chain it was written in ("" when unknown: after a
  // dot, as in "x.y().name").
  void AddName(std::string_view name, std::string_view qualifier, double salience, std::string_view root) {
    auto [it, fresh] = name_index_.try_emplace(std::string(name), out_->names.size());
    if (fresh) out_->names.push_back({std::string(name), std::string(qualifier), 0, {}});
    CodeName& n = out_->names[it->second];
    n.salience = std::min(1.0, n.salience + salience);
    if (n.qualifier.empty() && !qualifier.empty()) n.qualifier = std::string(qualifier);
    if (std::find(n.roots.begin(), n.roots.end(), root) == n.roots.end()) {
      // Past the bound, the last root says "unknown", which no import can make foreign.
      if (n.roots.size() < kMaxRoots) {
        n.roots.emplace_back(root);
      } else {
        n.roots.back().clear();
      }
    }
  }

  void AddModule(const std::vector<std::string_view>& chain) {
    if (out_->modules.size() >= kMaxModules) return;  // bounds a crafted query's cost
    // Module components are lower-case names ("sympy.polys.rings"); the last may be a
    // class or function in it ("sympy.core.numbers.Float").
    for (size_t c = 0; c + 1 < chain.size(); ++c) {
      for (char ch : chain[c]) {
        if (ascii::IsUpper(ch)) return;
      }
    }
    std::string path;
    for (auto part : chain) {
      if (!path.empty()) path += '/';
      path.append(part);
    }
    if (std::find(out_->modules.begin(), out_->modules.end(), path) == out_->modules.end()) {
      out_->modules.push_back(std::move(path));
    }
  }

  // The plain words of the title, as names of salience `salience`.
  void AddTitleWords(double salience) {
    for (std::string_view w : title_words_) AddName(w, {}, salience, "");
  }

  static constexpr double kProseWeight = 0.6;
  static constexpr size_t kMaxModules = 64;
  static constexpr size_t kMaxRoots = 4;

 private:
  std::vector<std::string_view> title_words_;
  QueryAnalysis* out_;
  std::unordered_map<std::string, size_t> name_index_;
};

void AddMessage(QueryAnalysis* out, std::string_view message) {
  message = message.substr(0, 512);
  if (out->messages.size() >= 8) return;
  if (std::find(out->messages.begin(), out->messages.end(), message) != out->messages.end()) return;
  out->messages.emplace_back(message);
}

}  // namespace

std::vector<std::string> MessageFragments(std::string_view message) {
  std::vector<std::string> out;
  auto flush = [&](std::string_view frag) {
    while (!frag.empty() && !ascii::IsIdentChar(frag.front())) frag.remove_prefix(1);
    while (!frag.empty() && (frag.back() == '.' || frag.back() == ',' || frag.back() == ':' || frag.back() == ';')) {
      frag.remove_suffix(1);
    }
    frag = Trim(frag);
    int words = 0;
    bool in_word = false;
    for (char c : frag) {
      bool w = ascii::IsIdentChar(c);
      if (w && !in_word) ++words;
      in_word = w;
    }
    if (words >= 3 && out.size() < 4) out.emplace_back(frag);
  };
  // Values are interpolated into messages: quoted parts, numbers, brackets.
  size_t start = 0;
  for (size_t i = 0; i <= message.size(); ++i) {
    char c = i < message.size() ? message[i] : '\0';
    if (c == '\0' || c == '"' || c == '\'' || c == '`' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
        c == '}' || c == '<' || c == '>' || ascii::IsDigit(c)) {
      std::string_view frag = message.substr(start, i - start);
      // A name right before a bracket is part of the value ("Dimension(1)").
      if (c == '(' || c == '[') {
        while (!frag.empty() && ascii::IsIdentChar(frag.back())) frag.remove_suffix(1);
      }
      flush(frag);
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string> MentionedPaths(std::string_view query, size_t max) {
  std::vector<std::string> order;  // by last mention
  size_t i = 0;
  while (i < query.size()) {
    if (!PathChar(query[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < query.size() && PathChar(query[j])) ++j;
    std::string path = AsSourcePath(query.substr(i, j - i));
    if (!path.empty()) {
      order.erase(std::remove(order.begin(), order.end(), path), order.end());
      order.push_back(std::move(path));
    }
    i = j;
  }
  if (order.size() > max) order.erase(order.begin(), order.end() - static_cast<std::ptrdiff_t>(max));
  return order;
}

PathIndex::PathIndex(std::vector<std::string> paths) {
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths) {
    size_t slash = p.rfind('/');
    for (size_t start = 0, cut = p.find('/'); cut != std::string::npos && cut <= slash;
         start = cut + 1, cut = p.find('/', start)) {
      folders_.emplace(p.substr(start, cut - start));
    }
    std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    by_name_[std::move(name)].push_back(std::move(p));
  }
}

std::vector<std::string> PathIndex::Resolve(std::string_view mention, size_t max_matches) const {
  std::vector<std::string_view> parts = Components(mention);
  if (parts.empty()) return {};
  auto named = by_name_.find(std::string(parts.back()));
  if (named == by_name_.end()) return {};
  // Longest suffix first: the more folders agree, the surer the match.
  for (size_t take = std::min<size_t>(parts.size(), 6); take >= 1; --take) {
    if (take == 1 && parts.size() > 1) break;  // "x/add.py" must not name every add.py
    std::string suffix;
    for (size_t p = parts.size() - take; p < parts.size(); ++p) {
      if (!suffix.empty()) suffix += '/';
      suffix.append(parts[p]);
    }
    std::vector<std::string> found;
    for (const auto& path : named->second) {
      if (path.size() < suffix.size()) continue;
      if (path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      if (path.size() > suffix.size() && path[path.size() - suffix.size() - 1] != '/') continue;
      found.push_back(path);
      if (found.size() > max_matches) break;
    }
    if (found.size() > max_matches) return {};  // ambiguous: a longer suffix did not match
    if (!found.empty()) return found;
  }
  return {};
}

}  // namespace trawl

namespace trawl {

QueryAnalysis AnalyzeQuery(std::string_view query) {
  QueryAnalysis out;
  out.paths = MentionedPaths(query);
  Analyzer analyzer(&out);
  bool fenced = false, title_seen = false;
  std::vector<std::string_view> frames;
  size_t lines = 0;
  for (size_t start = 0; start <= query.size();) {
    size_t nl = std::min(query.find('\n', start), query.size());
    std::string_view line = query.substr(start, nl - start);
    start = nl + 1;
    std::string_view t = Trim(line);
    if (t.empty()) continue;
    ++lines;
    if (StartsWith(t, "```") || StartsWith(t, "~~~")) {
      fenced = !fenced;
      continue;
    }
    if (std::string_view fn = FrameFunction(line); !fn.empty()) {
      out.has_code = true;
      frames.push_back(fn);
      continue;
    }
    if (std::string_view message = ErrorMessage(line); !message.empty()) {
      out.has_code = true;
      AddMessage(&out, message);
      analyzer.Segment(t, QueryPart::kTrace, false);
      continue;
    }
    if (fenced || CodeLine(line)) {
      out.has_code = true;
      ReadImport(t, &out.imports);
      analyzer.Segment(line, QueryPart::kCode, false);
      continue;
    }
    QueryPart part = title_seen ? QueryPart::kProse : QueryPart::kTitle;
    title_seen = true;
    // Inline code in backticks is code; the rest of the line is prose.
    size_t i = 0;
    while (i < line.size()) {
      size_t tick = line.find('`', i);
      if (tick == std::string_view::npos) {
        analyzer.Segment(line.substr(i), part, false);
        break;
      }
      analyzer.Segment(line.substr(i, tick - i), part, false);
      size_t close = line.find('`', tick + 1);
      if (close == std::string_view::npos) {
        analyzer.Segment(line.substr(tick + 1), part, false);
        break;
      }
      // A sentence in backticks is a message quoted from the program's output (its
      // words are prose); anything else there is code.
      std::string_view span = line.substr(tick + 1, close - tick - 1);
      std::string_view m = Trim(span);
      bool sentence = std::count(m.begin(), m.end(), ' ') >= 3 && m.find_first_of("=()[]{}") == std::string_view::npos;
      analyzer.Segment(span, part, !sentence);
      if (sentence) AddMessage(&out, m);
      i = close + 1;
    }
  }
  // A traceback's innermost frames are nearest the fault.
  for (size_t f = 0; f < frames.size(); ++f) {
    if (frames[f].size() < 2 || frames[f] == "module" || IgnoredName(frames[f])) continue;
    analyzer.AddName(frames[f], {}, 0.2 + 0.4 * static_cast<double>(f + 1) / static_cast<double>(frames.size()), "");
  }
  out.structured = lines > 1;
  if (out.structured) analyzer.AddTitleWords(0.3);
  for (const auto& [alias, module] : kUsualAliases) out.imports.try_emplace(std::string(alias), module);
  std::stable_sort(out.names.begin(), out.names.end(),
                   [](const CodeName& a, const CodeName& b) { return a.salience > b.salience; });
  return out;
}

bool PathIndex::HasModule(std::string_view top) const {
  if (top.empty()) return false;
  if (folders_.count(std::string(top)) > 0) return true;
  for (std::string_view ext : kSourceExtensions) {
    if (by_name_.count(std::string(top) + "." + std::string(ext)) > 0) return true;
  }
  return false;
}

bool IsForeignName(const CodeName& name, const QueryAnalysis& analysis, const PathIndex& paths) {
  if (name.roots.empty()) return false;
  for (const std::string& root : name.roots) {
    auto it = analysis.imports.find(root);
    if (it == analysis.imports.end() || paths.HasModule(it->second)) return false;
  }
  return true;
}

std::vector<std::string> PathIndex::ResolveModule(std::string_view module) const {
  std::vector<std::string_view> parts = Components(module);
  if (parts.size() < 2) return {};
  auto exact = [&](std::string_view stem_path, std::string_view file) -> std::vector<std::string> {
    // stem_path "a/b/c", file "c.py": indexed paths ending in "a/b/c.py" on a component edge.
    auto named = by_name_.find(std::string(file));
    if (named == by_name_.end()) return {};
    std::string dir(stem_path.substr(0, stem_path.rfind('/') + 1));
    std::string suffix = dir + std::string(file);
    std::vector<std::string> found;
    for (const auto& path : named->second) {
      if (path.size() < suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      if (path.size() > suffix.size() && path[path.size() - suffix.size() - 1] != '/') continue;
      found.push_back(path);
    }
    return found;
  };
  for (int drop = 0; drop <= 1 && parts.size() - static_cast<size_t>(drop) >= 2; ++drop) {
    std::string stem;
    for (size_t p = 0; p + static_cast<size_t>(drop) < parts.size(); ++p) {
      if (!stem.empty()) stem += '/';
      stem.append(parts[p]);
    }
    std::string_view last = parts[parts.size() - 1 - static_cast<size_t>(drop)];
    std::vector<std::string> found;
    for (std::string_view ext : kSourceExtensions) {
      for (auto& f : exact(stem, std::string(last) + "." + std::string(ext))) found.push_back(std::move(f));
    }
    for (auto& f : exact(stem + "/__init__.py", "__init__.py")) found.push_back(std::move(f));
    if (found.size() == 1) return found;
    if (found.size() > 1) return {};
  }
  return {};
}

}  // namespace trawl
