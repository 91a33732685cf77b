#include "store/lexical_query.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <unordered_set>

#include "base/mutex.h"
#include "base/tokenize.h"
#include "store/embedded_store.h"

namespace trawl {
namespace store_internal {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

fts5_api* Fts5Api(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return api;
}

// trawl_bm25(fts, avgdl, idf_blob, w_symbol, w_path, w_body): FTS5's BM25 (k1 1.2, b
// 0.75, each phrase instance weighted by its column) with the index-wide average row
// length and per-phrase idf given, instead of this table's own. Lower is better, as
// bm25() (the negated score).
void Bm25Function(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
                  sqlite3_value** argv) {
  if (argc != 5) return sqlite3_result_error(ctx, "trawl_bm25 takes 5 arguments after the table", -1);
  double avgdl = sqlite3_value_double(argv[0]);
  if (!(avgdl > 0)) avgdl = 1;
  const auto* idf = static_cast<const unsigned char*>(sqlite3_value_blob(argv[1]));
  size_t n_idf = static_cast<size_t>(sqlite3_value_bytes(argv[1])) / sizeof(double);
  double weights[3] = {sqlite3_value_double(argv[2]), sqlite3_value_double(argv[3]),
                       sqlite3_value_double(argv[4])};
  int phrases = api->xPhraseCount(fts);
  thread_local std::vector<double> freq;
  freq.assign(static_cast<size_t>(std::max(phrases, 0)), 0.0);
  int inst = 0;
  if (api->xInstCount(fts, &inst) != SQLITE_OK) return sqlite3_result_error(ctx, "trawl_bm25: xInstCount", -1);
  for (int i = 0; i < inst; ++i) {
    int phrase = 0, col = 0, off = 0;
    if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK) continue;
    if (phrase >= 0 && phrase < phrases) freq[static_cast<size_t>(phrase)] += (col >= 0 && col < 3) ? weights[col] : 1.0;
  }
  int tokens = 0;
  api->xColumnSize(fts, -1, &tokens);
  thread_local std::vector<double> idfs;
  idfs.resize(n_idf);
  if (n_idf > 0) std::memcpy(idfs.data(), idf, n_idf * sizeof(double));
  sqlite3_result_double(ctx, -Bm25Score(freq, idfs, tokens, avgdl));
}

// trawl_fts_totals(fts): "rows tokens" of the whole table (any row of a scan).
void TotalsFunction(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_int64 rows = 0, tokens = 0;
  api->xRowCount(fts, &rows);
  api->xColumnTotalSize(fts, -1, &tokens);
  std::string out = std::to_string(rows) + " " + std::to_string(tokens);
  sqlite3_result_text(ctx, out.c_str(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// Sums each expression's match count over the shards.
Result<std::vector<int64_t>> SumCounts(const std::vector<LexicalShard*>& shards,
                                       const std::vector<LexicalExpr>& exprs) {
  std::vector<std::vector<int64_t>> per(shards.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(per[i], shards[i]->MatchCounts(exprs));
    return Status::Ok();
  }));
  std::vector<int64_t> sum(exprs.size(), 0);
  for (const auto& p : per) {
    for (size_t j = 0; j < sum.size() && j < p.size(); ++j) sum[j] += p[j];
  }
  return sum;
}

}  // namespace

LexicalExpr LexicalExpr::OfTerm(std::string_view term) {
  LexicalExpr e;
  e.phrases.emplace_back(term);
  if (term.find(' ') != std::string_view::npos) {
    std::string joined;
    for (char c : term) {
      if (c != ' ') joined += c;
    }
    e.phrases.push_back(std::move(joined));
  }
  return e;
}

std::string FtsPhrase(std::string_view phrase) {
  std::string out = "\"";
  for (char c : phrase) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string FtsExpr(const LexicalExpr& expr) {
  if (expr.phrases.size() == 1) return FtsPhrase(expr.phrases[0]);
  std::string out = "(";
  for (size_t i = 0; i < expr.phrases.size(); ++i) {
    if (i) out += " OR ";
    out += FtsPhrase(expr.phrases[i]);
  }
  return out + ")";
}

double Bm25Score(const std::vector<double>& freq, const std::vector<double>& idf, int64_t tokens, double avgdl) {
  if (!(avgdl > 0)) avgdl = 1;
  double norm = kK1 * (1 - kB + kB * static_cast<double>(tokens) / avgdl);
  double score = 0;
  for (size_t i = 0; i < freq.size(); ++i) {
    double w = i < idf.size() ? idf[i] : 1e-6;
    score += w * (freq[i] * (kK1 + 1.0)) / (freq[i] + norm);
  }
  return score;
}

int RegisterRankFunction(sqlite3* db) {
  fts5_api* api = Fts5Api(db);
  if (api == nullptr) return SQLITE_ERROR;
  int rc = api->xCreateFunction(api, "trawl_bm25", nullptr, Bm25Function, nullptr);
  if (rc != SQLITE_OK) return rc;
  return api->xCreateFunction(api, "trawl_fts_totals", nullptr, TotalsFunction, nullptr);
}

Status ForEachShard(size_t n, const std::function<Status(size_t)>& fn) {
  if (n == 1) return fn(0);
  std::vector<Status> results(n);
  tbb::parallel_for(size_t{0}, n, [&](size_t i) { results[i] = fn(i); });
  for (auto& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace store_internal

LexicalQuery LexicalQuery::FromText(std::string_view text) {
  // Whole identifiers are matched as the phrase of their parts (the index holds parts).
  LexicalQuery q;
  std::unordered_set<std::string> seen;
  for (IndexedTerm& t : IndexedQueryTerms(text)) {
    if (seen.insert(t.indexed).second) q.terms.push_back(std::move(t.indexed));
  }
  return q;
}

namespace store_internal {

Result<std::vector<ChunkHit>> SearchLexicalShards(const std::vector<LexicalShard*>& shards,
                                                  const LexicalQuery& query, int k,
                                                  const SearchFilter& filter,
                                                  const EmbeddedStoreOptions& options, int64_t id_stride) {
  std::vector<ChunkHit> out;
  if (k <= 0 || shards.empty()) return out;
  std::vector<std::string> terms = query.terms;
  if (terms.empty()) return out;

  std::vector<LexicalTotals> totals(shards.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(totals[i], shards[i]->LexicalCounts());
    return Status::Ok();
  }));
  LexicalTotals all;
  for (const auto& t : totals) {
    all.rows += t.rows;
    all.tokens += t.tokens;
    all.chunks += t.chunks;
  }
  bool rank = true;
  if (options.lexical_max_postings > 0 && all.chunks > options.lexical_max_postings && !shards[0]->Stems()) {
    // Rarest first, within the postings budget: FTS5 scores every matching row (~1 us
    // each), so the common terms of a long query would dominate the cost.
    std::vector<LexicalExpr> exprs;
    exprs.reserve(terms.size());
    for (const auto& t : terms) exprs.push_back(LexicalExpr::OfTerm(t));
    TRAWL_ASSIGN_OR_RETURN(std::vector<int64_t> dfs, SumCounts(shards, exprs));
    std::vector<std::pair<int64_t, std::string>> by_df;
    for (size_t i = 0; i < terms.size(); ++i) by_df.emplace_back(dfs[i], std::move(terms[i]));
    std::stable_sort(by_df.begin(), by_df.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    terms.clear();
    int64_t used = 0;
    for (auto& [df, t] : by_df) {
      // df 0: absent (free), or split by the FTS tokenizer into several tokens (kept).
      // A term in half the chunks or more has bm25 idf <= 0: it adds nothing.
      if (df > 0 && used > 0 && (2 * df >= all.chunks || used + df > options.lexical_max_postings)) continue;
      used += df;
      terms.push_back(std::move(t));
    }
    // Only terms in half the chunks or more: every score is ~0, so ranking all of
    // them buys nothing; take the first matches.
    rank = !(by_df.back().first > 0 && 2 * by_df.front().first >= all.chunks &&
             used > options.lexical_max_postings);
  }

  // The phrases of the expression, in FTS5's numbering, and their index-wide idf.
  LexicalPlan plan;
  std::vector<LexicalExpr> phrases;
  for (const auto& t : terms) {
    plan.terms.push_back(LexicalExpr::OfTerm(t));
    for (const auto& p : plan.terms.back().phrases) phrases.push_back(LexicalExpr{{p}});
  }
  if (rank) {
    TRAWL_ASSIGN_OR_RETURN(std::vector<int64_t> hits, SumCounts(shards, phrases));
    const double rows = static_cast<double>(all.rows);
    for (int64_t hit : hits) {
      double n = static_cast<double>(hit);
      double idf = std::log((rows - n + 0.5) / (n + 0.5));
      plan.idf.push_back(idf <= 0.0 ? 1e-6 : idf);
    }
  }
  plan.avgdl = all.rows > 0 ? static_cast<double>(all.tokens) / static_cast<double>(all.rows) : 1.0;
  plan.rank = rank;
  // Rows of equal score come in chunk-id order, which follows indexing history: k more
  // are read so that the list ends after the whole group of the k-th score (as far as
  // they reach), not inside it; the ranking above breaks such ties by content.
  plan.limit = rank ? 2 * static_cast<int64_t>(k) : k;

  std::vector<std::vector<ChunkHit>> per(shards.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(per[i], shards[i]->RankLexical(plan, filter));
    for (auto& h : per[i]) h.chunk_id = h.chunk_id * id_stride + static_cast<int64_t>(i);
    return Status::Ok();
  }));
  std::vector<ChunkHit> merged;
  for (auto& p : per) merged.insert(merged.end(), p.begin(), p.end());
  if (rank && shards.size() > 1) {
    std::stable_sort(merged.begin(), merged.end(), [](const ChunkHit& a, const ChunkHit& b) { return a.score > b.score; });
  }
  const size_t want = static_cast<size_t>(k);
  for (const auto& h : merged) {
    if (out.size() >= want && (!rank || h.score != out.back().score || out.size() >= 2 * want)) break;
    out.push_back(h);
  }
  return out;
}

Result<TermStats> ShardDocFrequencies(const std::vector<LexicalShard*>& shards,
                                      const std::vector<std::string>& terms) {
  TermStats out;
  std::vector<LexicalTotals> totals(shards.size());
  TRAWL_RETURN_IF_ERROR(ForEachShard(shards.size(), [&](size_t i) -> Status {
    TRAWL_ASSIGN_OR_RETURN(totals[i], shards[i]->LexicalCounts());
    return Status::Ok();
  }));
  for (const auto& t : totals) out.chunks += t.chunks;
  std::vector<LexicalExpr> exprs;
  exprs.reserve(terms.size());
  for (const auto& t : terms) exprs.push_back(LexicalExpr::OfTerm(t));
  TRAWL_ASSIGN_OR_RETURN(out.doc_freq, SumCounts(shards, exprs));
  return out;
}

}  // namespace store_internal
}  // namespace trawl
