// The lexical index of the PostgreSQL store: a chunk's terms as a tsvector, a query as
// a tsquery, and BM25 phrase counts read back from the positions of a query's lexemes.
//
// A chunk's tsvector holds the tokens of its three columns (symbol, path, body), as
// FTS5's ascii tokenizer splits them, at running positions with one empty position
// between columns (so that no phrase crosses two), each position labelled with its
// column. A query scores a matching row from that row's positions of the query's own
// lexemes (what ts_filter(setweight(tsv, 'C', lexemes), '{c}') leaves), which is exact
// while PostgreSQL's limits did not cut the row's positions (at most 16383, at most 256
// per lexeme); a row they may have cut is scored from its text.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trawl::store_internal {

// PostgreSQL limits of a tsvector: positions 1..16383, at most 256 per lexeme.
inline constexpr int kPgMaxPosition = 16383;
inline constexpr size_t kPgMaxPositionsPerLexeme = 256;

// The tokens of `text` as FTS5's ascii tokenizer makes them: runs of ASCII
// alphanumerics and non-ASCII bytes, ASCII folded to lower case.
std::vector<std::string> FtsTokens(std::string_view text);

// A token as a tsvector lexeme: itself when it is plain ASCII of a modest length,
// otherwise a digest (tsvector text must be valid UTF-8, and lexemes are at most 2 KB).
std::string PgLexeme(const std::string& token);

// What the lexical index holds for a chunk: its terms as tsvector text with positions,
// and how many tokens there are.
struct PgTerms {
  std::string tsvector;
  int64_t tokens = 0;
};
PgTerms MakePgTerms(std::string_view symbol_terms, std::string_view path_terms, std::string_view body_terms);

// An expression as tsquery text ("" when it can match nothing): each group a phrase of
// tokens, the groups OR-ed.
std::string PgTsQuery(const std::vector<std::vector<std::string>>& phrase_groups);

// Occurrences of the token sequence `phrase` in `tokens` (overlapping ones too, as
// FTS5 counts phrase instances).
int CountPhrase(const std::vector<std::string>& tokens, const std::vector<std::string>& phrase);

// The lexemes of a query's phrases, each once, and each phrase as indices into them.
struct PgQueryLexemes {
  std::vector<std::string> lexemes;
  std::vector<std::vector<int>> phrases;
  static PgQueryLexemes Of(const std::vector<std::vector<std::string>>& phrase_tokens);
  int Find(std::string_view lexeme) const;  // -1 when not a query lexeme

 private:
  std::unordered_map<std::string, int> index_;
};

// A row's positions of the query's lexemes, parsed from tsvector text ('lex':3C,7C ...):
// positions[i] those of query lexeme i, ascending. False when the text is not of that
// form or names a lexeme the query has not.
bool ParseQueryPositions(std::string_view tsvector_text, const PgQueryLexemes& query,
                         std::vector<std::vector<int>>* positions);

// A row whose positions PostgreSQL may have cut: more tokens than positions go, or a
// query lexeme at the cap of positions per lexeme.
bool PositionsMayBeCut(int64_t row_tokens, const std::vector<std::vector<int>>& positions);

// Each phrase's instances in a row, weighted by the column each falls in (weights:
// symbol, path, body), from `positions` of a row whose symbol column holds
// `symbol_tokens` tokens and path column `path_tokens`.
void PhraseFrequencies(const PgQueryLexemes& query, const std::vector<std::vector<int>>& positions,
                       int64_t symbol_tokens, int64_t path_tokens, const double weights[3],
                       std::vector<double>* freq);

}  // namespace trawl::store_internal
