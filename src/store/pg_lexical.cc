#include "store/pg_lexical.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <utility>

#include "base/hash.h"

namespace trawl::store_internal {
namespace {

// The weight label of each lexical column's positions (symbol, path, body).
constexpr char kColumnLabels[3] = {'A', 'B', 'D'};

template <class Emit>
void ForEachFtsToken(std::string_view text, Emit&& emit) {
  std::string token;
  auto flush = [&] {
    if (!token.empty()) emit(token);
    token.clear();
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) {
      token += ch;
    } else if (c >= 'A' && c <= 'Z') {
      token += static_cast<char>(c - 'A' + 'a');
    } else {
      flush();
    }
  }
  flush();
}

std::string QuoteLexeme(const std::string& lexeme) {
  std::string out = "'";
  for (char c : lexeme) {
    if (c == '\'' || c == '\\') out += c == '\'' ? '\'' : '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::vector<std::string> FtsTokens(std::string_view text) {
  std::vector<std::string> out;
  ForEachFtsToken(text, [&](const std::string& t) { out.push_back(t); });
  return out;
}

std::string PgLexeme(const std::string& token) {
  bool plain = token.size() <= 200 && std::all_of(token.begin(), token.end(), [](char c) {
                 return static_cast<unsigned char>(c) < 0x80;
               });
  if (plain) return token;
  char buf[24];
  std::snprintf(buf, sizeof(buf), "~%016" PRIx64, Hash64(token));
  return buf;
}

int CountPhrase(const std::vector<std::string>& tokens, const std::vector<std::string>& phrase) {
  if (phrase.empty() || phrase.size() > tokens.size()) return 0;
  int n = 0;
  for (size_t i = 0; i + phrase.size() <= tokens.size(); ++i) {
    size_t j = 0;
    while (j < phrase.size() && tokens[i + j] == phrase[j]) ++j;
    if (j == phrase.size()) ++n;
  }
  return n;
}

PgTerms MakePgTerms(std::string_view symbol_terms, std::string_view path_terms, std::string_view body_terms) {
  // Positions run on across the columns with a gap between them, so that a phrase never
  // matches across two columns (FTS5 phrases stay within one); each position's weight
  // label names its column (symbol A, path B, body unlabelled: D).
  std::map<std::string, std::vector<std::pair<int, char>>> positions;
  PgTerms out;
  int pos = 0;
  const std::string_view columns[3] = {symbol_terms, path_terms, body_terms};
  for (int col = 0; col < 3; ++col) {
    ForEachFtsToken(columns[col], [&](const std::string& token) {
      ++pos;
      ++out.tokens;
      auto& list = positions[PgLexeme(token)];
      int p = std::min(pos, kPgMaxPosition);
      if (list.size() < kPgMaxPositionsPerLexeme && (list.empty() || list.back().first != p)) {
        list.emplace_back(p, kColumnLabels[col]);
      }
    });
    ++pos;
  }
  for (const auto& [lexeme, list] : positions) {
    if (!out.tsvector.empty()) out.tsvector += ' ';
    out.tsvector += QuoteLexeme(lexeme);
    for (size_t i = 0; i < list.size(); ++i) {
      out.tsvector += (i ? "," : ":") + std::to_string(list[i].first);
      if (list[i].second != 'D') out.tsvector += list[i].second;
    }
  }
  return out;
}

std::string PgTsQuery(const std::vector<std::vector<std::string>>& phrase_groups) {
  std::string out;
  for (const auto& phrase : phrase_groups) {
    if (phrase.empty()) continue;
    out += out.empty() ? "(" : " | (";
    for (size_t i = 0; i < phrase.size(); ++i) out += (i ? " <-> " : "") + QuoteLexeme(PgLexeme(phrase[i]));
    out += ")";
  }
  return out;
}

PgQueryLexemes PgQueryLexemes::Of(const std::vector<std::vector<std::string>>& phrase_tokens) {
  PgQueryLexemes q;
  for (const auto& phrase : phrase_tokens) {
    std::vector<int> ids;
    for (const auto& token : phrase) {
      std::string lexeme = PgLexeme(token);
      auto [it, added] = q.index_.emplace(lexeme, static_cast<int>(q.lexemes.size()));
      if (added) q.lexemes.push_back(std::move(lexeme));
      ids.push_back(it->second);
    }
    q.phrases.push_back(std::move(ids));
  }
  return q;
}

int PgQueryLexemes::Find(std::string_view lexeme) const {
  auto it = index_.find(std::string(lexeme));
  return it == index_.end() ? -1 : it->second;
}

bool ParseQueryPositions(std::string_view text, const PgQueryLexemes& query, std::vector<std::vector<int>>* positions) {
  positions->resize(query.lexemes.size());
  for (auto& p : *positions) p.clear();
  size_t i = 0;
  std::string lexeme;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    if (text[i] != '\'') return false;
    lexeme.clear();
    for (++i;; ++i) {
      if (i >= text.size()) return false;
      char c = text[i];
      if (c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          lexeme += '\'';
          ++i;
          continue;
        }
        ++i;
        break;
      }
      if (c == '\\') {
        if (++i >= text.size()) return false;
        c = text[i];
      }
      lexeme += c;
    }
    int id = query.Find(lexeme);
    if (id < 0) return false;
    auto& list = (*positions)[static_cast<size_t>(id)];
    if (i < text.size() && text[i] == ':') {
      do {
        ++i;
        int p = 0;
        size_t digits = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 6) {
          p = p * 10 + (text[i] - '0');
          ++i;
          ++digits;
        }
        if (digits == 0) return false;
        if (i < text.size() && text[i] >= 'A' && text[i] <= 'D') ++i;
        list.push_back(p);
      } while (i < text.size() && text[i] == ',');
    }
    if (!std::is_sorted(list.begin(), list.end())) std::sort(list.begin(), list.end());
  }
  return true;
}

bool PositionsMayBeCut(int64_t row_tokens, const std::vector<std::vector<int>>& positions) {
  // The last position taken is the row's tokens plus the two gaps before the body.
  if (row_tokens + 2 >= kPgMaxPosition) return true;
  return std::any_of(positions.begin(), positions.end(),
                     [](const std::vector<int>& p) { return p.size() >= kPgMaxPositionsPerLexeme; });
}

void PhraseFrequencies(const PgQueryLexemes& query, const std::vector<std::vector<int>>& positions,
                       int64_t symbol_tokens, int64_t path_tokens, const double weights[3],
                       std::vector<double>* freq) {
  // Symbol tokens at 1..S, a gap, path tokens at S+2..S+1+P, a gap, then the body.
  auto column = [&](int64_t p) { return p <= symbol_tokens ? 0 : p <= symbol_tokens + 1 + path_tokens ? 1 : 2; };
  freq->assign(query.phrases.size(), 0.0);
  for (size_t ph = 0; ph < query.phrases.size(); ++ph) {
    const auto& ids = query.phrases[ph];
    if (ids.empty()) continue;
    double f = 0;
    for (int start : positions[static_cast<size_t>(ids[0])]) {
      bool whole = true;
      for (size_t j = 1; j < ids.size() && whole; ++j) {
        const auto& list = positions[static_cast<size_t>(ids[j])];
        whole = std::binary_search(list.begin(), list.end(), start + static_cast<int>(j));
      }
      if (whole) f += weights[column(start)];
    }
    (*freq)[ph] = f;
  }
}

}  // namespace trawl::store_internal
