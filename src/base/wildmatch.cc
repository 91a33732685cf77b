#include "base/wildmatch.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace trawl {
namespace {

// Results of one attempt, as in git's wildmatch.c. The two abort codes prune the
// search: kAbortAll when the text ran out (no later '*' split can help),
// kAbortToStarStar when a single '*' would have to cross a '/' (only an enclosing
// "**" can still help).
enum class Wm : uint8_t { kMatch, kNoMatch, kAbortAll, kAbortToStarStar };

// ASCII-only classification, like git's sane_ctype (bytes >= 0x80 are in no class).
bool IsUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(unsigned char c) { return IsUpper(c) || IsLower(c); }
bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';  // git's isspace: no \v, \f
}
bool IsPrint(unsigned char c) { return c >= 0x20 && c <= 0x7e; }
bool IsCntrl(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool IsPunct(unsigned char c) { return IsPrint(c) && !IsAlpha(c) && !IsDigit(c) && c != ' '; }
bool IsXDigit(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
unsigned char ToLower(unsigned char c) { return IsUpper(c) ? static_cast<unsigned char>(c + 32) : c; }
unsigned char ToUpper(unsigned char c) { return IsLower(c) ? static_cast<unsigned char>(c - 32) : c; }
bool IsGlobSpecial(unsigned char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

// One match of `pattern` against `text` with WM_PATHNAME semantics. The recursion
// mirrors git's dowild(); its result depends only on the two offsets, so after a
// budget of plain calls the matcher memoizes them, which bounds patterns with many
// "**" (exponential in git) to polynomial time without changing any answer.
class Matcher {
 public:
  Matcher(std::string_view pattern, std::string_view text, bool case_fold)
      : p_(pattern), t_(text), fold_(case_fold) {}

  bool Run() { return Dowild(0, 0) == Wm::kMatch; }

 private:
  unsigned char P(size_t i) const { return i < p_.size() ? static_cast<unsigned char>(p_[i]) : 0; }
  unsigned char T(size_t i) const { return i < t_.size() ? static_cast<unsigned char>(t_[i]) : 0; }
  bool PEnd(size_t i) const { return i >= p_.size(); }
  bool TEnd(size_t i) const { return i >= t_.size(); }

  Wm Dowild(size_t p, size_t t) {
    if (++calls_ > kPlainCallBudget) {
      if (memo_.empty()) memo_.assign((p_.size() + 1) * (t_.size() + 1), 0);
      uint8_t& slot = memo_[p * (t_.size() + 1) + t];
      if (slot != 0) return static_cast<Wm>(slot - 1);
      Wm r = DowildImpl(p, t);
      slot = static_cast<uint8_t>(static_cast<uint8_t>(r) + 1);
      return r;
    }
    return DowildImpl(p, t);
  }

  Wm DowildImpl(size_t p, size_t t) {
    for (; !PEnd(p); ++t, ++p) {
      unsigned char p_ch = P(p);
      unsigned char t_ch = T(t);
      if (TEnd(t) && p_ch != '*') return Wm::kAbortAll;
      if (fold_) {
        t_ch = ToLower(t_ch);
        p_ch = ToLower(p_ch);
      }
      switch (p_ch) {
        case '\\':
          // Literal match with the next character; a trailing '\' matches nothing.
          ++p;
          if (PEnd(p)) return Wm::kNoMatch;
          p_ch = P(p);  // not case-folded, as in git
          if (t_ch != p_ch) return Wm::kNoMatch;
          continue;
        case '?':
          if (t_ch == '/') return Wm::kNoMatch;
          continue;
        case '*': {
          bool match_slash;
          if (P(p + 1) == '*' && !PEnd(p + 1)) {
            size_t first = p;
            ++p;
            while (!PEnd(p + 1) && P(p + 1) == '*') ++p;
            ++p;  // first character after the run of '*'
            bool at_start = first == 0 || P(first - 1) == '/';
            bool before_slash = PEnd(p) || P(p) == '/' ||
                                (P(p) == '\\' && !PEnd(p + 1) && P(p + 1) == '/');
            if (at_start && before_slash) {
              // "**/" may match no directory at all: "a/**/b" matches "a/b".
              if (!PEnd(p) && P(p) == '/' && Dowild(p + 1, t) == Wm::kMatch) return Wm::kMatch;
              match_slash = true;
            } else {
              match_slash = false;
            }
          } else {
            ++p;
            match_slash = false;
          }
          if (PEnd(p)) {
            // Trailing "**" matches everything; trailing "*" only within one segment.
            if (!match_slash && t_.find('/', t) != std::string_view::npos) return Wm::kNoMatch;
            return Wm::kMatch;
          }
          if (!match_slash && P(p) == '/') {
            // One '*' followed by '/': it spans exactly the rest of this segment.
            size_t slash = t_.find('/', t);
            if (slash == std::string_view::npos) return Wm::kNoMatch;
            t = slash;
            break;  // the '/' is consumed by the loop
          }
          while (true) {
            if (TEnd(t)) break;
            // The text before the next literal of the pattern belongs to the '*'.
            if (!IsGlobSpecial(P(p))) {
              unsigned char want = fold_ ? ToLower(P(p)) : P(p);
              unsigned char c = 0;
              while (!TEnd(t)) {
                c = fold_ ? ToLower(T(t)) : T(t);
                if (!match_slash && c == '/') break;
                if (c == want) break;
                ++t;
              }
              if (TEnd(t) || c != want) return Wm::kNoMatch;
              t_ch = c;
            } else {
              t_ch = fold_ ? ToLower(T(t)) : T(t);
            }
            Wm matched = Dowild(p, t);
            if (matched != Wm::kNoMatch) {
              if (!match_slash || matched != Wm::kAbortToStarStar) return matched;
            } else if (!match_slash && t_ch == '/') {
              return Wm::kAbortToStarStar;
            }
            ++t;
            t_ch = T(t);
          }
          return Wm::kAbortAll;
        }
        case '[': {
          ++p;
          if (PEnd(p)) return Wm::kAbortAll;
          p_ch = P(p);
          bool negated = false;
          if (p_ch == '!' || p_ch == '^') {
            negated = true;
            ++p;
            if (PEnd(p)) return Wm::kAbortAll;
            p_ch = P(p);
          }
          unsigned char prev_ch = 0;
          bool matched = false;
          do {
            if (PEnd(p)) return Wm::kAbortAll;
            if (p_ch == '\\') {
              ++p;
              if (PEnd(p)) return Wm::kAbortAll;
              p_ch = P(p);
              if (t_ch == p_ch) matched = true;
            } else if (p_ch == '-' && prev_ch && !PEnd(p + 1) && P(p + 1) != ']') {
              ++p;
              p_ch = P(p);
              if (p_ch == '\\') {
                ++p;
                if (PEnd(p)) return Wm::kAbortAll;
                p_ch = P(p);
              }
              if (t_ch <= p_ch && t_ch >= prev_ch) {
                matched = true;
              } else if (fold_ && IsLower(t_ch)) {
                unsigned char up = ToUpper(t_ch);
                if (up <= p_ch && up >= prev_ch) matched = true;
              }
              p_ch = 0;  // so that prev_ch becomes 0: "a-c-e" is not two ranges
            } else if (p_ch == '[' && P(p + 1) == ':' && !PEnd(p + 1)) {
              size_t s = p + 2;
              size_t q = s;
              while (!PEnd(q) && P(q) != ']') ++q;
              if (PEnd(q)) return Wm::kAbortAll;
              if (q == s || P(q - 1) != ':') {
                // No ":]": the '[' is an ordinary member of the set.
                p_ch = '[';
                if (t_ch == p_ch) matched = true;
                continue;
              }
              p = q;
              std::string_view name = p_.substr(s, q - 1 - s);
              if (name == "alnum") {
                if (IsAlpha(t_ch) || IsDigit(t_ch)) matched = true;
              } else if (name == "alpha") {
                if (IsAlpha(t_ch)) matched = true;
              } else if (name == "blank") {
                if (t_ch == ' ' || t_ch == '\t') matched = true;
              } else if (name == "cntrl") {
                if (IsCntrl(t_ch)) matched = true;
              } else if (name == "digit") {
                if (IsDigit(t_ch)) matched = true;
              } else if (name == "graph") {
                if (IsPrint(t_ch) && !IsSpace(t_ch)) matched = true;
              } else if (name == "lower") {
                if (IsLower(t_ch)) matched = true;
              } else if (name == "print") {
                if (IsPrint(t_ch)) matched = true;
              } else if (name == "punct") {
                if (IsPunct(t_ch)) matched = true;
              } else if (name == "space") {
                if (IsSpace(t_ch)) matched = true;
              } else if (name == "upper") {
                if (IsUpper(t_ch) || (fold_ && IsLower(t_ch))) matched = true;
              } else if (name == "xdigit") {
                if (IsXDigit(t_ch)) matched = true;
              } else {
                return Wm::kAbortAll;  // malformed [:class:]
              }
              p_ch = 0;
            } else if (t_ch == p_ch) {
              matched = true;
            }
          } while (prev_ch = p_ch, ++p, !PEnd(p) ? (p_ch = P(p)) != ']' : (p_ch = 0, true));
          if (matched == negated || t_ch == '/') return Wm::kNoMatch;
          continue;
        }
        default:
          if (t_ch != p_ch) return Wm::kNoMatch;
          continue;
      }
    }
    return TEnd(t) ? Wm::kMatch : Wm::kNoMatch;
  }

  static constexpr uint64_t kPlainCallBudget = 4096;

  std::string_view p_;
  std::string_view t_;
  bool fold_;
  uint64_t calls_ = 0;
  std::vector<uint8_t> memo_;  // (result + 1) per (p, t); 0 = not computed
};

}  // namespace

bool WildMatch(std::string_view pattern, std::string_view text, bool case_fold) {
  return Matcher(pattern, text, case_fold).Run();
}

}  // namespace trawl
