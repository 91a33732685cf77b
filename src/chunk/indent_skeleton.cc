#include "chunk/indent_skeleton.h"

#include <cstddef>

#include "base/ascii.h"

namespace trawl::chunk_internal {
namespace {

using ascii::IsIdentChar;
using ascii::IsBlank;

// One logical line: from the first character of its first physical line to the newline
// ending it outside brackets and not escaped.
struct LogicalLine {
  uint32_t line_start = 0;  // its first physical line's first byte
  uint32_t first = 0;       // its first non-blank byte (indentation: [line_start, first))
  uint32_t end = 0;         // after its last character that is not blank or comment
  uint32_t next = 0;        // after the newline that ends it (or the end of the text)
  bool colon = false;       // its last such character is ':' (a compound statement's header)
};

// A string prefix of Python (any case, either order): r, u, b, f, br, rb, fr, rf.
bool StringPrefix(std::string_view word, bool* f_string) {
  if (word.size() > 2) return false;
  bool r = false, b = false, f = false, u = false;
  for (char c : word) {
    switch (ascii::ToLower(static_cast<unsigned char>(c))) {
      case 'r': if (r) return false; r = true; break;
      case 'b': if (b) return false; b = true; break;
      case 'f': if (f) return false; f = true; break;
      case 'u': if (u) return false; u = true; break;
      default: return false;
    }
  }
  if (u && word.size() > 1) return false;
  if (b && f) return false;
  *f_string = f;
  return true;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text), n_(text.size()) {}

  bool Run(std::vector<LogicalLine>* lines) {
    while (i_ < n_) {
      size_t line_start = i_;
      while (i_ < n_ && IsBlank(s_[i_])) ++i_;
      if (i_ == n_) break;
      if (s_[i_] == '\n') {
        ++i_;
        continue;
      }
      if (s_[i_] == '#') {
        SkipComment();
        continue;
      }
      // A form feed in the indentation resets Python's count of it (and a vertical tab is
      // none): the whitespace no longer compares as a prefix.
      if (s_.substr(line_start, i_ - line_start).find_first_of("\f\v") != std::string_view::npos) return false;
      LogicalLine line;
      line.line_start = static_cast<uint32_t>(line_start);
      line.first = static_cast<uint32_t>(i_);
      if (!Logical(&line)) return false;
      lines->push_back(line);
    }
    return true;
  }

 private:
  void SkipComment() {
    while (i_ < n_ && s_[i_] != '\n') ++i_;
  }

  // The rest of a logical line from its first character.
  bool Logical(LogicalLine* line) {
    int depth = 0;
    char last = 0;
    while (i_ < n_) {
      char c = s_[i_];
      if (c == '\n') {
        ++i_;
        if (depth == 0) break;
        continue;
      }
      if (IsBlank(c)) {
        ++i_;
        continue;
      }
      if (c == '#') {
        SkipComment();
        continue;
      }
      if (c == '\\') {  // a continuation, or a stray backslash (an error tree-sitter reports)
        i_ += i_ + 1 < n_ && s_[i_ + 1] == '\n' ? 2 : 1;
        continue;
      }
      if (c == '"' || c == '\'') {
        if (!String(false)) return false;
        last = c;
      } else if (IsIdentChar(c)) {
        size_t b = i_;
        while (i_ < n_ && IsIdentChar(s_[i_])) ++i_;
        bool f = false;
        if (i_ < n_ && (s_[i_] == '"' || s_[i_] == '\'') && StringPrefix(s_.substr(b, i_ - b), &f)) {
          if (!String(f)) return false;
          last = '"';
        } else {
          last = 'a';
        }
      } else {
        if (c == '(' || c == '[' || c == '{') ++depth;
        if (c == ')' || c == ']' || c == '}') {
          if (--depth < 0) return false;
        }
        last = c;
        ++i_;
      }
      line->end = static_cast<uint32_t>(i_);
    }
    if (depth != 0) return false;  // the text ended inside brackets
    line->next = static_cast<uint32_t>(i_);
    line->colon = last == ':';
    return true;
  }

  // A string literal from its opening quote; an f-string's replacement fields are
  // followed (they may hold strings, even with the same quote since Python 3.12).
  bool String(bool f_string) {
    const char q = s_[i_];
    const bool triple = i_ + 2 < n_ && s_[i_ + 1] == q && s_[i_ + 2] == q;
    i_ += triple ? 3 : 1;
    while (i_ < n_) {
      char c = s_[i_];
      if (c == '\\') {
        i_ += 2;
        continue;
      }
      if (c == '\n' && !triple) return false;
      if (c == q && (!triple || (i_ + 2 < n_ && s_[i_ + 1] == q && s_[i_ + 2] == q))) {
        i_ += triple ? 3 : 1;
        return true;
      }
      if (f_string && c == '{') {
        if (i_ + 1 < n_ && s_[i_ + 1] == '{') {
          i_ += 2;
          continue;
        }
        ++i_;
        if (!ReplacementField()) return false;
        continue;
      }
      ++i_;
    }
    return false;
  }

  // From after an f-string's '{' to after its '}': an expression, then after a ':' at
  // its top level a format spec, which may hold replacement fields in turn.
  bool ReplacementField() {
    if (++fields_ > kMaxFieldNesting) return false;
    int depth = 0;
    bool spec = false;
    while (i_ < n_) {
      char c = s_[i_];
      if (spec) {
        if (c == '}') break;
        ++i_;
        if (c == '{' && !ReplacementField()) return false;
        continue;
      }
      if (c == '"' || c == '\'') {
        if (!String(false)) return false;
        continue;
      }
      if (IsIdentChar(c)) {
        size_t b = i_;
        while (i_ < n_ && IsIdentChar(s_[i_])) ++i_;
        bool f = false;
        if (i_ < n_ && (s_[i_] == '"' || s_[i_] == '\'') && StringPrefix(s_.substr(b, i_ - b), &f) &&
            !String(f)) {
          return false;
        }
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']') --depth;
      if (c == '}') {
        if (depth == 0) break;
        --depth;
      }
      // `!=` and `:=` inside brackets are operators; at the top level ':' starts the spec.
      if (c == ':' && depth == 0) spec = true;
      ++i_;
    }
    if (i_ >= n_) return false;
    ++i_;  // '}'
    --fields_;
    return true;
  }

  static constexpr int kMaxFieldNesting = 64;

  std::string_view s_;
  size_t n_;
  size_t i_ = 0;
  int fields_ = 0;
};

// The first word of a logical line and whether it is followed by `def` (`async def`).
std::string_view FirstWord(std::string_view text, const LogicalLine& line, std::string_view* second) {
  size_t b = line.first, e = b;
  while (e < line.end && IsIdentChar(text[e])) ++e;
  size_t s = e;
  while (s < line.end && IsBlank(text[s])) ++s;
  size_t se = s;
  while (se < line.end && IsIdentChar(text[se])) ++se;
  *second = text.substr(s, se - s);
  return text.substr(b, e - b);
}

bool IsClause(std::string_view word) {
  return word == "else" || word == "elif" || word == "except" || word == "finally";
}

}  // namespace

bool IndentInteriors(std::string_view text, uint32_t min_bytes, std::vector<IndentInterior>* out) {
  if (text.size() >= UINT32_MAX) return false;
  std::vector<LogicalLine> lines;
  if (!Scanner(text).Run(&lines)) return false;
  auto indent = [&](size_t k) { return text.substr(lines[k].line_start, lines[k].first - lines[k].line_start); };
  // The compound statements around the current line, innermost last, and whether their
  // bodies are inside a function.
  struct Open {
    std::string_view indent;
    bool function_body;
  };
  std::vector<Open> open;
  for (size_t h = 0; h < lines.size(); ++h) {
    std::string_view head = indent(h);
    while (!open.empty() && !(head.size() > open.back().indent.size() && head.starts_with(open.back().indent))) {
      open.pop_back();
    }
    const bool in_function = !open.empty() && open.back().function_body;
    if (!lines[h].colon) continue;
    std::string_view second;
    std::string_view word = FirstWord(text, lines[h], &second);
    const bool def = word == "def" || (word == "async" && second == "def");
    const bool type = word == "class";
    open.push_back({head, def || (in_function && !type)});
    // Definitions' bodies, and any body inside a function (`if`, `for`, `try` ...): in a
    // function too long for one chunk, its statements that fit are chunked whole.
    // Elsewhere (the module, a class) a long statement is looked inside for definitions.
    if (!def && !type && !in_function) continue;
    // The body: the lines after the header indented deeper than it.
    size_t last = h;
    for (size_t k = h + 1; k < lines.size(); ++k) {
      std::string_view in = indent(k);
      if (in.size() > head.size() && in.starts_with(head)) {
        last = k;
        continue;
      }
      // Shallower or equal: the body has ended, unless the two do not compare.
      if (!head.starts_with(in)) return false;
      break;
    }
    if (last == h) continue;  // no body on the lines below (an error the parse reports)
    std::string_view body = indent(h + 1);
    // The last statement: the last line at the body's indentation, back over the
    // clauses of a compound statement and the decorators of a definition.
    size_t stmt = 0;
    bool consistent = true;
    for (size_t k = h + 1; k <= last; ++k) {
      std::string_view in = indent(k);
      if (in == body) {
        stmt = k;
      } else if (!in.starts_with(body)) {
        consistent = false;  // dedented below the body but not out of it
        break;
      }
    }
    if (!consistent) continue;
    while (stmt > h + 1) {
      std::string_view w = FirstWord(text, lines[stmt], &second);
      if (!IsClause(w)) break;
      do {
        --stmt;
      } while (stmt > h + 1 && indent(stmt) != body);
    }
    if (IsClause(FirstWord(text, lines[stmt], &second))) continue;
    while (stmt > h + 1 && indent(stmt - 1) == body && text[lines[stmt - 1].first] == '@') --stmt;
    if (stmt <= h + 1) continue;  // one statement: nothing to leave out
    IndentInterior r;
    r.left_out = {lines[h].next, lines[stmt].line_start};
    r.body_end = lines[last].end;
    r.type = type;
    if (r.left_out.end - r.left_out.begin >= min_bytes) out->push_back(r);
  }
  return true;
}


namespace {

// A physical line of Ruby source: its indentation and the text after it.
struct RubyLine {
  uint32_t start = 0;  // first byte
  uint32_t next = 0;   // after its newline
  std::string_view indent;
  std::string_view code;  // without the indentation and the newline
  bool skip = false;      // in a heredoc or an =begin comment: not code to look at
};

// `code` begins with the keyword `word`: not a longer name (`ending`, `end?`, `end!`) nor
// a symbol or hash key (`end:`).
bool StartsWithWord(std::string_view code, std::string_view word) {
  if (!code.starts_with(word)) return false;
  if (code.size() == word.size()) return true;
  char c = code[word.size()];
  return !IsIdentChar(c) && c != '?' && c != '!' && c != ':';
}

// The heredoc labels a line opens (<<~EOS, <<-'EOS', <<"EOS"), in order.
void HeredocLabels(std::string_view code, std::vector<std::string_view>* labels) {
  for (size_t i = code.find("<<"); i != std::string_view::npos; i = code.find("<<", i + 2)) {
    size_t p = i + 2;
    if (p < code.size() && (code[p] == '~' || code[p] == '-')) ++p;
    char quote = p < code.size() && (code[p] == '\'' || code[p] == '"' || code[p] == '`') ? code[p] : 0;
    if (quote) ++p;
    size_t b = p;
    while (p < code.size() && IsIdentChar(code[p])) ++p;
    if (p == b || ascii::IsDigit(static_cast<unsigned char>(code[b]))) continue;
    if (quote && (p >= code.size() || code[p] != quote)) continue;
    // `x << y` has a space; `<<CONST` without one is a heredoc only if upper case.
    std::string_view label = code.substr(b, p - b);
    if (!quote && code[i + 2] != '~' && code[i + 2] != '-' && !ascii::IsUpper(static_cast<unsigned char>(label[0]))) {
      continue;
    }
    labels->push_back(label);
  }
}

}  // namespace

void RubyMethodBodies(std::string_view text, uint32_t min_bytes, std::vector<IndentInterior>* out) {
  if (text.size() >= UINT32_MAX) return;
  std::vector<RubyLine> lines;
  std::vector<std::string_view> heredocs;  // labels whose bodies come next
  bool in_comment = false;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    RubyLine line;
    line.start = static_cast<uint32_t>(pos);
    line.next = static_cast<uint32_t>(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view raw = text.substr(pos, end - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    size_t first = 0;
    while (first < raw.size() && IsBlank(raw[first])) ++first;
    line.indent = raw.substr(0, first);
    line.code = raw.substr(first);
    pos = line.next;
    if (in_comment) {
      line.skip = true;
      in_comment = !raw.starts_with("=end");
    } else if (!heredocs.empty()) {
      line.skip = true;
      if (line.code == heredocs.front()) heredocs.erase(heredocs.begin());
    } else if (raw.starts_with("=begin")) {
      line.skip = true;
      in_comment = true;
    } else if (raw == "__END__") {
      break;
    } else {
      HeredocLabels(line.code, &heredocs);
    }
    lines.push_back(line);
  }
  for (size_t h = 0; h < lines.size(); ++h) {
    const RubyLine& head = lines[h];
    if (head.skip || !StartsWithWord(head.code, "def")) continue;
    // The header: over lines while its parentheses are open.
    size_t body = h;
    int depth = 0;
    for (size_t k = h; k < lines.size(); ++k) {
      for (char c : lines[k].code) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      body = k + 1;
      if (depth <= 0) break;
    }
    // The `end` at the def's indentation; the lines before it deeper.
    size_t close = 0;
    for (size_t k = body; k < lines.size(); ++k) {
      const RubyLine& l = lines[k];
      if (l.skip || l.code.empty() || l.code[0] == '#') continue;
      if (l.indent.size() > head.indent.size() && l.indent.starts_with(head.indent)) continue;
      if (l.indent != head.indent) break;
      if (StartsWithWord(l.code, "end")) {
        close = k;
        break;
      }
      if (!StartsWithWord(l.code, "rescue") && !StartsWithWord(l.code, "ensure") && !StartsWithWord(l.code, "else")) {
        break;
      }
    }
    if (close == 0 || close <= body) continue;
    IndentInterior r;
    r.left_out = {lines[body].start, lines[close].start};
    r.body_end = lines[close].start;
    r.header = head.start + static_cast<uint32_t>(head.indent.size());
    if (r.left_out.end - r.left_out.begin >= min_bytes) out->push_back(r);
  }
}

}  // namespace trawl::chunk_internal
