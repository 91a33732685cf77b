// Second-stage ranking: the first candidates of a search (fused lexical + dense, or
// lexical alone) are scored again at query time with features that the first stage
// cannot see: how much of the query the names a chunk defines, its path and the
// headers enclosing it cover, and how strong its file is overall. Everything is
// computed from the query, the candidates' text and query-time term statistics, so
// it needs nothing at index time and stays correct as the index changes.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace trawl {

// A distinct query term (ForEachCodeTerm, stop words and 1-letter terms left out)
// and its weight (idf).
struct QueryTerm {
  std::string term;
  std::string stem;  // StemTerm(term)
  double weight = 1;
};

// The distinct terms of a query, weight 1; the caller sets the weights.
std::vector<QueryTerm> RerankQueryTerms(std::string_view query);

struct RerankWeights {
  double name = 0.75;       // query covered by the declared names and the symbol
  double signature = 1.25;  // ... by the best declaration's signature (name, parameters)
  double path = 0.75;       // ... by the file path
  double header = 0.5;      // ... by the enclosing definitions' headers (context)
  double file = 1.5;        // the best first-stage score in the candidate's file
  double mention = 2.5;     // the query names the candidate's file (query_analysis.h)
};

// New scores for `chunks` (first-stage order, best first) whose first-stage scores
// are `scores` (higher is better, same length): each chunk's score divided by the
// best, plus the weighted features.
// `mentioned`: files the query names, each with a strength in (0, 1].
std::vector<double> RerankScores(const std::vector<QueryTerm>& query, const std::vector<ChunkView>& chunks,
                                 const std::vector<double>& scores, const RerankWeights& weights = {},
                                 const std::unordered_map<std::string, double>& mentioned = {});

}  // namespace trawl
