#include "chunk/brace_skeleton.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

#include "base/ascii.h"

namespace trawl::chunk_internal {
namespace {

using ascii::IsBlank;
using ascii::IsDigit;
using ascii::IsIdentChar;  // identifiers, keywords, numbers (and UTF-8 bytes)

// A raw string literal's prefix (C++): R, u8R, uR, UR, LR.
bool IsRawPrefix(std::string_view word) {
  return word == "R" || word == "u8R" || word == "uR" || word == "UR" || word == "LR";
}

class Scanner {
 public:
  Scanner(std::string_view text, BraceDialect dialect, uint32_t min_bytes,
          std::vector<ByteRange>* out)
      : s_(text),
        n_(text.size()),
        cpp_(dialect == BraceDialect::kCpp),
        java_(dialect == BraceDialect::kJava),
        go_(dialect == BraceDialect::kGo),
        rust_(dialect == BraceDialect::kRust),
        js_(dialect == BraceDialect::kJavaScript || dialect == BraceDialect::kTypeScript),
        ts_(dialect == BraceDialect::kTypeScript),
        php_(dialect == BraceDialect::kPhp),
        min_bytes_(min_bytes),
        out_(out) {}

  bool Run() {
    if (php_ && !PhpStart()) return false;
    bool line_start = true;  // only blanks since the last newline
    while (i_ < n_) {
      char c = s_[i_];
      if (c == '\n') {
        line_start = true;
        ++i_;
        continue;
      }
      if (IsBlank(c) || (c == '\\' && i_ + 1 < n_ && s_[i_ + 1] == '\n')) {
        i_ += c == '\\' ? 2 : 1;
        continue;
      }
      if (php_ && c == '#') {
        if (i_ + 1 < n_ && s_[i_ + 1] == '[') {  // an attribute: #[Route('/x')]
          ++i_;
          continue;
        }
        LineComment();
        continue;
      }
      if (c == '#' && line_start && !java_ && !go_ && !rust_ && !js_ && !php_) {
        if (!Directive()) return false;
        continue;  // at the newline that ends it
      }
      line_start = false;
      if (c == '/' && i_ + 1 < n_ && (s_[i_ + 1] == '*' || s_[i_ + 1] == '/')) {
        if (php_ && s_[i_ + 1] == '/') {
          LineComment();  // no backslash continuation in PHP
          continue;
        }
        if (!(rust_ ? NestedComment() : Comment())) return false;
        continue;
      }
      if (php_ && (c == '"' || c == '\'' || c == '`' || (c == '<' && s_.substr(i_, 3) == "<<<"))) {
        if (!(c == '<' ? Heredoc() : PhpString(c, 0))) return false;
        lead_ = Lead::kNone;
        continue;
      }
      if (rust_ && (c == '"' || c == '\'')) {
        if (!(c == '"' ? RustString(i_ + 1, 0) : RustQuote())) return false;
        if (c == '"') lead_ = lead_ == Lead::kExtern ? Lead::kExternString : Lead::kNone;
        continue;
      }
      if (js_ && (c == '`' || (c == '/' && !value_))) {
        if (!(c == '`' ? Template(0) : Regex())) return false;
        value_ = true;
        lead_ = Lead::kNone;
        continue;
      }
      if (java_ && c == '"' && s_.substr(i_, 3) == "\"\"\"") {
        if (!TextBlock()) return false;
        lead_ = Lead::kNone;
        continue;
      }
      if (go_ && c == '`') {
        size_t end = s_.find('`', i_ + 1);
        if (end == std::string_view::npos) return false;
        i_ = end + 1;
        lead_ = Lead::kNone;
        continue;
      }
      if (c == '"' || c == '\'') {
        if (!Literal(c)) return false;
        value_ = true;
        lead_ = lead_ == Lead::kExtern && c == '"' ? Lead::kExternString : Lead::kNone;
        continue;
      }
      if (IsIdentChar(c)) {
        if (!Word()) return false;
        continue;
      }
      if (c == '{') {
        if (open_.empty() && (lead_ == Lead::kNamespace || lead_ == Lead::kExternString ||
                              lead_ == Lead::kType)) {
          ++transparent_;  // its inside is top level
        } else {
          open_.push_back({i_, pp_depth_, false});
        }
      } else if (c == '}') {
        if (open_.empty()) {
          if (transparent_ == 0) return false;
          --transparent_;
        } else {
          Open o = open_.back();
          open_.pop_back();
          // A top-level pair across a conditional's branches: which brace closes which
          // is in doubt. A nested one is only kept in.
          if (o.crossed && open_.empty()) return false;
          auto begin = static_cast<uint32_t>(o.pos + 1);
          auto end = static_cast<uint32_t>(i_);
          if (!o.crossed && o.pp == pp_depth_ && end - begin >= min_bytes_) {
            out_->push_back({begin, end});
          }
        }
      }
      value_ = c == ')' || c == ']' || c == '}';
      // "::" continues a namespace's name; a type's (or Rust impl's) header runs to its
      // '{' (type parameters, extends, implements, a record's components, where
      // clauses); any other punctuation ends a lead.
      if (lead_ == Lead::kType ? (c == ';' || c == '=' || c == '{' || c == '}')
                               : !((c == ':' || (php_ && c == '\\')) && lead_ == Lead::kNamespace)) {
        lead_ = Lead::kNone;
      }
      ++i_;
    }
    // Closed innermost first: in order of opening.
    std::sort(out_->begin(), out_->end(),
              [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
    return open_.empty() && transparent_ == 0;
  }

 private:
  // At a comment's '/': past its end. A line comment stops at (not past) its newline;
  // a backslash before the newline continues it.
  bool Comment() {
    if (s_[i_ + 1] == '*') {
      size_t end = s_.find("*/", i_ + 2);
      if (end == std::string_view::npos) return false;
      i_ = end + 2;
      return true;
    }
    i_ += 2;
    while (i_ < n_ && s_[i_] != '\n') i_ += s_[i_] == '\\' && i_ + 1 < n_ ? 2 : 1;
    return true;
  }

  // At a string's or character's opening quote: past its closing one. A literal does
  // not span lines (except by a backslash-newline); a long character literal is not one.
  bool Literal(char quote) {
    size_t start = i_++;
    while (i_ < n_) {
      char c = s_[i_];
      if (c == quote) {
        ++i_;
        return true;
      }
      if (c == '\n') return false;
      if (quote == '\'' && !js_ && i_ - start > 16) return false;
      i_ += c == '\\' ? 2 : 1;
    }
    return false;
  }

  // JavaScript: at a template literal's '`': past its closing one, through its ${...}
  // substitutions (which may hold strings, templates and braces of their own).
  bool Template(int nesting) {
    if (nesting > 32) return false;
    for (++i_; i_ < n_;) {
      char c = s_[i_];
      if (c == '\\') {
        i_ += 2;
      } else if (c == '`') {
        ++i_;
        return true;
      } else if (c == '$' && i_ + 1 < n_ && s_[i_ + 1] == '{') {
        i_ += 2;
        if (!Substitution(nesting)) return false;
      } else {
        ++i_;
      }
    }
    return false;
  }

  // Inside a JavaScript template's ${ or a PHP string's {$: past the '}' that closes
  // it, over the strings (templates, comments) inside.
  bool Substitution(int nesting) {
    int depth = 0;
    while (i_ < n_) {
      char c = s_[i_];
      if (c == '`' || c == '\'' || c == '"') {
        bool ok = php_ ? PhpString(c, nesting + 1) : c == '`' ? Template(nesting + 1) : Literal(c);
        if (!ok) return false;
        continue;
      }
      if (!php_ && c == '/' && i_ + 1 < n_ && (s_[i_ + 1] == '*' || s_[i_ + 1] == '/')) {
        if (!Comment()) return false;
        continue;
      }
      if (c == '{') {
        ++depth;
      } else if (c == '}' && depth-- == 0) {
        ++i_;
        return true;
      }
      ++i_;
    }
    return false;
  }

  // JavaScript: at a '/' where a value is expected: past the regular expression and
  // its flags. A '/' inside a character class does not end it; nor does a newline.
  bool Regex() {
    bool in_class = false;
    for (++i_; i_ < n_; ++i_) {
      char c = s_[i_];
      if (c == '\n') return false;
      if (c == '\\') {
        ++i_;
      } else if (c == '[') {
        in_class = true;
      } else if (c == ']') {
        in_class = false;
      } else if (c == '/' && !in_class) {
        for (++i_; i_ < n_ && IsIdentChar(s_[i_]);) ++i_;
        return true;
      }
    }
    return false;
  }

  // PHP: the file must open with its tag (after a #! line): a template (HTML first, or
  // `?>` anywhere, which also ends a line comment) is parsed whole.
  bool PhpStart() {
    if (s_.starts_with("#!")) {
      i_ = s_.find('\n');
      if (i_ == std::string_view::npos) return false;
      ++i_;
    }
    if (s_.substr(i_, 5) != "<?php" || s_.find("?>") != std::string_view::npos) return false;
    i_ += 5;
    return true;
  }

  // At a line comment: to (not past) its newline.
  void LineComment() {
    while (i_ < n_ && s_[i_] != '\n') ++i_;
  }

  // PHP: at a string's opening quote (', ", `): past its closing one. Strings span
  // lines; in " and ` strings, {$...} interpolations may hold strings of their own.
  bool PhpString(char quote, int nesting) {
    if (nesting > 32) return false;
    for (++i_; i_ < n_;) {
      char c = s_[i_];
      if (c == '\\') {
        i_ += 2;
      } else if (c == quote) {
        ++i_;
        return true;
      } else if (quote != '\'' && c == '{' && i_ + 1 < n_ && s_[i_ + 1] == '$') {
        ++i_;
        if (!Substitution(nesting)) return false;
      } else {
        ++i_;
      }
    }
    return false;
  }

  // PHP: at a heredoc's or nowdoc's <<<: past the line that closes it (its label, alone
  // after blanks, followed by anything but a name's character).
  bool Heredoc() {
    i_ += 3;
    while (i_ < n_ && IsBlank(s_[i_])) ++i_;
    bool quoted = i_ < n_ && (s_[i_] == '"' || s_[i_] == '\'');
    if (quoted) ++i_;
    size_t b = i_;
    while (i_ < n_ && IsIdentChar(s_[i_])) ++i_;
    std::string_view label = s_.substr(b, i_ - b);
    if (label.empty()) return false;
    if (quoted) ++i_;
    size_t line = s_.find('\n', i_);
    while (line != std::string_view::npos) {
      size_t p = line + 1;
      while (p < n_ && IsBlank(s_[p])) ++p;
      if (s_.substr(p, label.size()) == label && (p + label.size() >= n_ || !IsIdentChar(s_[p + label.size()]))) {
        i_ = p + label.size();
        return true;
      }
      line = s_.find('\n', p);
    }
    return false;
  }

  // Rust: at a comment's '/'. Block comments nest.
  bool NestedComment() {
    if (s_[i_ + 1] == '/') return Comment();
    int open = 1;
    for (i_ += 2; i_ + 1 < n_; ++i_) {
      if (s_[i_] == '/' && s_[i_ + 1] == '*') {
        ++open;
        ++i_;
      } else if (s_[i_] == '*' && s_[i_ + 1] == '/') {
        ++i_;
        if (--open == 0) {
          ++i_;
          return true;
        }
      }
    }
    return false;
  }

  // Rust: a string's body from `from` (after its opening quote) to past its closing
  // quote and `hashes` '#'s; strings span lines. Raw strings (hashes > 0, or `raw`)
  // have no escapes.
  bool RustString(size_t from, size_t hashes, bool raw = false) {
    for (size_t i = from; i < n_; ++i) {
      if (s_[i] == '\\' && !raw && hashes == 0) {
        ++i;
      } else if (s_[i] == '"' && s_.substr(i + 1, hashes).find_first_not_of('#') ==
                                     std::string_view::npos &&
                 i + 1 + hashes <= n_) {
        i_ = i + 1 + hashes;
        return true;
      }
    }
    return false;
  }

  // Rust: at a quote: a character literal ('a', '\n', '\u{7b}', '{') or a lifetime or
  // label ('a, 'outer:), which is left to be read as a word.
  bool RustQuote() {
    if (i_ + 1 < n_ && s_[i_ + 1] == '\\') return Literal('\'');
    // One character (of up to 4 UTF-8 bytes), then the closing quote.
    size_t len = 1;
    if (i_ + 1 < n_) {
      auto lead = static_cast<unsigned char>(s_[i_ + 1]);
      len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    }
    if (i_ + 1 + len < n_ && s_[i_ + 1 + len] == '\'') {
      i_ += len + 2;
    } else {
      ++i_;  // a lifetime
    }
    return true;
  }

  // At a Java text block's opening """: past its closing one.
  bool TextBlock() {
    for (i_ += 3; i_ + 2 < n_; ++i_) {
      if (s_[i_] == '\\') {
        ++i_;
      } else if (s_[i_] == '"' && s_[i_ + 1] == '"' && s_[i_ + 2] == '"') {
        i_ += 3;
        return true;
      }
    }
    return false;
  }

  // At a word's or number's first character: past it. Follows the words that make the
  // next brace transparent (namespace N {, extern "C" {, a Java class); reads a C++ raw
  // string, and digit separators (1'000'000, 1_000) as part of their number.
  bool Word() {
    size_t start = i_;
    const bool after_dot = start > 0 && s_[start - 1] == '.';
    bool number = IsDigit(s_[i_]);
    while (i_ < n_) {
      if (IsIdentChar(s_[i_]) || (number && s_[i_] == '.')) {
        ++i_;
      } else if (number && s_[i_] == '\'' && i_ + 1 < n_ && IsIdentChar(s_[i_ + 1])) {
        i_ += 2;
      } else {
        break;
      }
    }
    std::string_view word = s_.substr(start, i_ - start);
    if (cpp_ && i_ < n_ && s_[i_] == '"' && IsRawPrefix(word)) {
      lead_ = Lead::kNone;
      return RawString();
    }
    if (rust_) return RustWord(word);
    if (js_) {
      // A class (not `x.class`), an interface, a TypeScript namespace: transparent.
      if ((word == "class" || word == "interface" ||
           (ts_ && (word == "namespace" || word == "module"))) && !after_dot) {
        lead_ = Lead::kType;
      }
      // After these a '/' starts a regular expression; after other words, a division.
      static constexpr std::string_view kBeforeValue[] = {
          "return", "typeof", "instanceof", "in", "of", "new", "delete", "void",
          "throw", "case", "do", "else", "yield", "await"};
      value_ = number || std::find(std::begin(kBeforeValue), std::end(kBeforeValue), word) ==
                             std::end(kBeforeValue);
      return true;
    }
    if (php_) {
      // A type declaration: not `Foo::class`, `$class`, `$x->class`, `new class`.
      const bool member = start > 0 && (s_[start - 1] == '$' || s_[start - 1] == '>' || s_[start - 1] == ':');
      if ((word == "class" || word == "interface" || word == "trait" || word == "enum") && !member &&
          last_word_ != "new") {
        lead_ = Lead::kType;
      } else if (word == "namespace" && !member) {
        lead_ = Lead::kNamespace;
      } else if (lead_ != Lead::kNamespace && lead_ != Lead::kType) {
        lead_ = Lead::kNone;
      }
      last_word_ = word;
      return true;
    }
    if (java_) {
      // A type declaration (not `Foo.class`): its body holds the top level's members.
      if ((word == "class" || word == "interface" || word == "enum" || word == "record") &&
          !after_dot) {
        lead_ = Lead::kType;
      }
      return true;
    }
    if (word == "namespace" && !go_) {
      lead_ = Lead::kNamespace;
    } else if (word == "extern" && !go_) {
      lead_ = Lead::kExtern;
    } else if (lead_ != Lead::kNamespace || number) {
      lead_ = Lead::kNone;  // a namespace's name keeps its lead
    }
    return true;
  }

  // Rust: after a word. Raw strings (r"..", r#".."#, br#".."#) and byte strings;
  // impl, trait and mod blocks are transparent, and so is extern "C" {.
  bool RustWord(std::string_view word) {
    if (i_ < n_ && (word == "r" || word == "br" || word == "b" || word == "c" ||
                    word == "cr") && (s_[i_] == '"' || (s_[i_] == '#' && word != "b"))) {
      size_t hashes = 0;
      while (i_ + hashes < n_ && s_[i_ + hashes] == '#') ++hashes;
      if (i_ + hashes >= n_ || s_[i_ + hashes] != '"') return true;  // r#ident
      lead_ = Lead::kNone;
      return RustString(i_ + hashes + 1, hashes, word != "b" && word != "c");
    }
    if (word == "impl" || word == "trait" || word == "mod") {
      lead_ = Lead::kType;
    } else if (word == "extern") {
      lead_ = Lead::kExtern;
    } else if (lead_ != Lead::kType) {
      lead_ = Lead::kNone;
    }
    return true;
  }

  // At a raw string's opening quote: R"delim( ... )delim".
  bool RawString() {
    size_t open = s_.find('(', i_ + 1);
    if (open == std::string_view::npos || open - i_ - 1 > 16) return false;
    std::string close = ")";
    close.append(s_.substr(i_ + 1, open - i_ - 1));
    close += '"';
    size_t end = s_.find(close, open + 1);
    if (end == std::string_view::npos) return false;
    i_ = end + close.size();
    return true;
  }

  // Marks the open pairs opened inside the current conditional.
  void Cross() {
    for (Open& o : open_) o.crossed |= o.pp >= pp_depth_;
  }

  // At a directive's '#': past it, to the newline that ends it (backslash-newlines
  // continue it; a block comment in it may span lines). Keeps the conditionals' depth.
  bool Directive() {
    ++i_;
    while (i_ < n_ && IsBlank(s_[i_])) ++i_;
    size_t word = i_;
    while (i_ < n_ && IsIdentChar(s_[i_])) ++i_;
    std::string_view name = s_.substr(word, i_ - word);
    if (name == "if" || name == "ifdef" || name == "ifndef") {
      ++pp_depth_;
    } else if (name == "endif") {
      Cross();  // a pair opened inside the conditional being closed crosses its end
      --pp_depth_;
    } else if (name == "else" || name == "elif" || name == "elifdef" || name == "elifndef") {
      Cross();  // a pair opened in the branch being left continues in the other one
    }
    while (i_ < n_ && s_[i_] != '\n') {
      char c = s_[i_];
      if (c == '\\' && i_ + 1 < n_) {
        i_ += 2;
      } else if (c == '/' && i_ + 1 < n_ && (s_[i_ + 1] == '*' || s_[i_ + 1] == '/')) {
        if (!Comment()) return false;
      } else if (c == '"') {
        // An #include's or #error's text: only a well-formed string is skipped as one.
        size_t save = i_;
        if (!Literal(c)) i_ = save + 1;
      } else {
        ++i_;
      }
    }
    return true;
  }

  // What the tokens before a '{' at the top level make of it: kNamespace (C++),
  // kExternString (extern "C") and kType (Java, JavaScript and TypeScript types, Rust
  // impl, trait and mod) make it transparent.
  enum class Lead { kNone, kNamespace, kExtern, kExternString, kType };

  std::string_view s_;
  size_t n_;
  bool cpp_;
  bool java_;
  bool go_;
  bool rust_;
  bool js_;
  bool ts_;
  bool php_;
  std::string_view last_word_;  // PHP: `new class` is an expression, not a declaration
  uint32_t min_bytes_;
  std::vector<ByteRange>* out_;
  size_t i_ = 0;
  struct Open {
    size_t pos;    // its '{'
    int pp;        // preprocessor conditionals open there
    bool crossed;  // an #else, #elif or #endif of one of those came before its '}'
  };
  std::vector<Open> open_;  // brace pairs open, outermost first
  int pp_depth_ = 0;        // preprocessor conditionals open
  int transparent_ = 0;  // transparent braces open around the top level
  Lead lead_ = Lead::kNone;
  bool value_ = false;  // JavaScript: the last token ends a value ('/' divides)
};

}  // namespace

bool BraceInteriors(std::string_view text, BraceDialect dialect, uint32_t min_bytes,
                    std::vector<ByteRange>* out) {
  return Scanner(text, dialect, min_bytes, out).Run();
}

}  // namespace trawl::chunk_internal
