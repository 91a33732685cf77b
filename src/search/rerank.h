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
  double defines = 2.5;     // the candidate defines a name the query uses as code
  double file_defines = 1.0;  // ... its file does (the best of the file's candidates)
  double handles = 1.0;       // the candidate is a handler named after such a name (`_print_Poly`)
  // Subtracted when the query is a pasted text (a bug report): documentation, and tests,
  // which use the code the query is about more often than they are it.
  double prose = 0.5;
  double test = 1.0;
  double message = 1.0;  // the candidate holds a literal part of an error message the query quotes
};

// What the query says beyond its terms (query_analysis.h), as the reranker uses it.
struct RerankEvidence {
  // Files the query names, each with a strength in (0, 1].
  std::unordered_map<std::string, double> mentioned;
  // Names the query uses as code, each with its salience in (0, 1].
  std::unordered_map<std::string, double> names;
  // Literal parts of the error messages the query quotes (MessageFragments).
  std::vector<std::string> fragments;
  // The query is a pasted text (several lines, or code, a trace): a bug report, which
  // documentation and tests answer less well than the code they are about.
  bool pasted = false;
};

// One candidate's score and what it is made of (each feature before its weight).
struct RerankScore {
  double total = 0;
  double first = 0;  // the first-stage score over the best
  double name = 0, signature = 0, path = 0, header = 0, file = 0, mention = 0, defines = 0, file_defines = 0, handles = 0, prose = 0, test = 0, message = 0;
  std::string defined;  // the query's name that `defines` counts ("" when none)
};

// A test's path: in a test/, tests/, testing/, __tests__/ or spec/ folder, or named
// test_*, *_test, *Test(s), *.test.*, *.spec.*.
bool IsTestPath(std::string_view path);

// New scores for `chunks` (first-stage order, best first) whose first-stage scores
// are `scores` (higher is better, same length): each chunk's score divided by the
// best, plus the weighted features.
// A name the query uses counts for the chunks defining it (its symbol's last part, or a
// function it declares; 1/2 for the class around a method), divided by the square root
// of how many candidate files define it.
std::vector<RerankScore> RerankScores(const std::vector<QueryTerm>& query, const std::vector<ChunkView>& chunks,
                                      const std::vector<double>& scores, const RerankWeights& weights = {},
                                      const RerankEvidence& evidence = {});

}  // namespace trawl
