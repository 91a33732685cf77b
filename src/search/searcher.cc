#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "base/ascii.h"
#include "base/utf8.h"
#include "base/mutex.h"
#include "base/tokenize.h"
#include "discover/discover.h"
#include "search/fusion.h"
#include "search/pieces.h"
#include "search/query_analysis.h"
#include "search/rerank.h"
#include "embed/embedder.h"
#include "store/store.h"
#include "trawl/search.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

// Weight of the lexical list in score fusion (the dense list weighs 1): 1.5 was chosen on
// the Python benchmark alone; with Java and C beside it 1.0 is as good on Python and
// better on both (docs/design.md, Retrieval).
constexpr double kLexicalWeight = 1.0;

// What one query may cost: its text, the distinct identifiers used (the first ones; an
// issue's text has a few hundred), path globs and their wildcards (a glob of 2500 `**/`
// took 7 s of CPU per request).
constexpr size_t kMaxQueryBytes = 64 * 1024;
constexpr size_t kMaxQueryTerms = 256;
constexpr size_t kMaxGlobs = 64;
constexpr size_t kMaxGlobBytes = 1024;
constexpr int kMaxGlobStars = 16;
// What query analysis may add: module names resolved, names looked up as definitions.
constexpr size_t kMaxModules = 16;
constexpr size_t kMaxNames = 24;
// A file named by a dotted module name ("sympy.polys.rings") is a weaker hint than a
// traceback frame or a path (0.5 to 1): the module is often the API used, not the
// fault (0.5 measured no better than none on the issue benchmark, 0.25 as good).
constexpr double kModuleStrength = 0.25;
// Names looked up as definitions: those the query is at least this much about, and how
// many chunks the lookup brings into the rerank pool.
constexpr double kMinNameSalience = 0.3;
constexpr int kDefinitionDepth = 50;
constexpr int kMessageDepth = 20;


// The prefix of `query` that holds its first `max_terms` distinct identifiers.
std::string_view QueryPrefix(std::string_view query, size_t max_terms) {
  std::unordered_set<std::string> seen;
  size_t i = 0;
  while (i < query.size()) {
    if (!ascii::IsIdentChar(query[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < query.size() && ascii::IsIdentChar(query[i])) ++i;
    std::string word(query.substr(start, i - start));
    for (char& c : word) c = ascii::ToLower(c);
    if (seen.insert(std::move(word)).second && seen.size() > max_terms) return query.substr(0, start);
  }
  return query;
}

Status CheckGlobs(const std::vector<std::string>& globs) {
  if (globs.size() > kMaxGlobs) return Status::InvalidArgument("at most " + std::to_string(kMaxGlobs) + " path globs");
  for (const auto& g : globs) {
    if (g.size() > kMaxGlobBytes) {
      return Status::InvalidArgument("a path glob may have at most " + std::to_string(kMaxGlobBytes) + " bytes");
    }
    if (std::count(g.begin(), g.end(), '*') > kMaxGlobStars) {
      return Status::InvalidArgument("a path glob may have at most " + std::to_string(kMaxGlobStars) + " '*'");
    }
  }
  return Status::Ok();
}

// The retrievers a search runs (SearchRequest::mode, text only at the API's edge).
enum class Mode { kHybrid, kSemantic, kLexical };

Result<Mode> ParseMode(const std::string& mode) {
  if (mode == "hybrid") return Mode::kHybrid;
  if (mode == "semantic") return Mode::kSemantic;
  if (mode == "lexical") return Mode::kLexical;
  return Status::InvalidArgument("mode must be hybrid, semantic or lexical, got '" + mode + "'");
}

class HybridSearcher final : public Searcher {
 public:
  HybridSearcher(Options options, std::unique_ptr<Store> store, std::unique_ptr<Embedder> embedder)
      : options_(std::move(options)), store_(std::move(store)), embedder_(std::move(embedder)) {}

  Result<SearchResponse> Search(const SearchRequest& request) override {
    auto t0 = Clock::now();
    if (request.query.size() > kMaxQueryBytes) {
      return Status::InvalidArgument("the query has " + std::to_string(request.query.size()) + " bytes; at most " +
                                     std::to_string(kMaxQueryBytes));
    }
    TRAWL_RETURN_IF_ERROR(CheckGlobs(request.path_globs));
    SearchRequest req = request;
    req.query = std::string(QueryPrefix(request.query, kMaxQueryTerms));
    if (req.k < 1) return Status::InvalidArgument("k must be at least 1");
    if (req.files) {
      // Files: enough chunks that k files each have their evidence.
      SearchRequest chunks = req;
      chunks.files = false;
      chunks.k = std::min(1000, std::max(50, req.k * 8));
      TRAWL_ASSIGN_OR_RETURN(SearchResponse resp, Search(chunks));
      resp.files = RankFiles(resp.results, req.k);
      resp.results.clear();
      resp.took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      return resp;
    }
    TRAWL_ASSIGN_OR_RETURN(Mode mode, ParseMode(req.mode.empty() ? options_.search.mode : req.mode));
    TRAWL_ASSIGN_OR_RETURN(Plan plan, MakePlan(req, request.query, mode));
    TRAWL_ASSIGN_OR_RETURN(Candidates cands, Retrieve(plan));
    Explanations why;
    if (plan.explain) {
      for (size_t i = 0; i < cands.lexical.size(); ++i) why[cands.lexical[i].chunk_id].lexical_rank = static_cast<int>(i + 1);
      for (size_t i = 0; i < cands.dense.size(); ++i) why[cands.dense[i].chunk_id].dense_rank = static_cast<int>(i + 1);
    }
    std::vector<ChunkHit> fused = Fuse(plan, std::move(cands));
    if (plan.explain) {
      for (const ChunkHit& h : fused) why[h.chunk_id].first = h.score;
    }
    // Chunk rows fetched so far, by id.
    std::unordered_map<int64_t, ChunkView> views;
    auto fetch = [&](size_t from, size_t to) -> Status {
      std::vector<int64_t> ids;
      for (size_t i = from; i < to; ++i) {
        if (views.count(fused[i].chunk_id) == 0) ids.push_back(fused[i].chunk_id);
      }
      if (ids.empty()) return Status::Ok();
      TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkView> rows, store_->GetChunks(ids));
      for (auto& v : rows) {
        int64_t id = v.chunk_id;
        views.emplace(id, std::move(v));
      }
      return Status::Ok();
    };
    if (plan.rerank && !fused.empty()) {
      TRAWL_RETURN_IF_ERROR(Rerank(plan, &fused, &views, plan.explain ? &why : nullptr));
    }
    if (!plan.rerank && !fused.empty()) {
      // Equal scores (the same text in several files has the same vector) rank by where
      // the chunks are, not by their ids, which depend on indexing history and layout.
      size_t n = std::min(fused.size(), static_cast<size_t>(req.k) * 2);
      const size_t n_max = std::min(fused.size(), 2 * n);
      while (n < n_max && fused[n].score == fused[n - 1].score) ++n;
      TRAWL_RETURN_IF_ERROR(fetch(0, n));
      auto where = [&](const ChunkHit& h) {
        auto it = views.find(h.chunk_id);
        static const std::string kNone;
        return it == views.end() ? std::make_tuple(std::cref(kNone), 0, 0)
                                 : std::make_tuple(std::cref(it->second.path), it->second.start_line, it->second.end_line);
      };
      std::stable_sort(fused.begin(), fused.begin() + static_cast<std::ptrdiff_t>(n),
                       [&](const ChunkHit& a, const ChunkHit& b) {
                         if (a.score != b.score) return a.score > b.score;
                         return where(a) < where(b);
                       });
    }
    SearchResponse resp;
    // Take in rank order; collapse chunks overlapping a better-ranked one of the same
    // file. The further pieces of a symbol split in several chunks come after every other
    // result: its first piece already answers for it.
    std::unordered_map<std::string, std::vector<std::pair<int, int>>> taken;
    std::unordered_set<std::string> symbols_taken;
    std::vector<size_t> further_pieces;
    auto take = [&](size_t i) {
      ChunkView& v = views.find(fused[i].chunk_id)->second;
      auto& spans = taken[v.repo.empty() ? v.path : v.repo + '\n' + v.path];
      for (const auto& [s, e] : spans) {
        if (v.start_line <= e && s <= v.end_line) return;
      }
      spans.emplace_back(v.start_line, v.end_line);
      SearchResult r{std::move(v.span())};
      r.repo = std::move(v.repo);
      r.path = std::move(v.path);
      if (!IsValidUtf8(r.path)) r.path_hex = HexBytes(r.path);
      r.language = std::move(v.language);
      r.score = fused[i].score;
      r.git_commit = std::move(v.git_commit);
      r.git_author = std::move(v.git_author);
      r.git_time = v.git_time;
      if (plan.explain) {
        auto w = why.find(fused[i].chunk_id);
        r.explain = w == why.end() ? ResultExplanation() : w->second;
      }
      resp.results.push_back(std::move(r));
    };
    size_t pos = 0;
    while (static_cast<int>(resp.results.size()) < req.k && pos < fused.size()) {
      size_t end = std::min(fused.size(), pos + static_cast<size_t>(req.k) * 2);
      TRAWL_RETURN_IF_ERROR(fetch(pos, end));
      for (size_t i = pos; i < end && static_cast<int>(resp.results.size()) < req.k; ++i) {
        auto it = views.find(fused[i].chunk_id);
        if (it == views.end()) continue;  // deleted since the candidate lists were made
        const ChunkView& v = it->second;
        if (!v.symbol.empty()) {
          bool seen = !symbols_taken.insert(v.repo + '\n' + v.path + '\n' + v.symbol).second;
          if (seen && IsFurtherPiece(v)) {
            further_pieces.push_back(i);
            continue;
          }
        }
        take(i);
      }
      pos = end;
    }
    for (size_t i : further_pieces) {
      if (static_cast<int>(resp.results.size()) >= req.k) break;
      take(i);
    }
    if (plan.explain) resp.reading = Reading(plan);
    TRAWL_ASSIGN_OR_RETURN(StoreStats stats, CachedStats());
    resp.files_indexed = stats.files + stats.files_failed + stats.files_skipped;
    resp.files_known = stats.files_known;
    resp.coverage = stats.files_known > 0
                        ? std::min(1.0, static_cast<double>(resp.files_indexed) / static_cast<double>(stats.files_known))
                        : 1.0;
    resp.took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return resp;
  }

 private:
  // A query as analysed before retrieval: what each stage needs.
  struct Plan {
    Mode mode = Mode::kHybrid;
    std::string query;  // bounded (kMaxQueryTerms)
    int depth = 0;      // candidates per list
    bool rerank = false;
    int rerank_depth = 0;  // candidates the rerank scores
    SearchFilter filter;
    LexicalQuery lexical;
    // idf of the query's terms (ForEachCodeTerm form), when the reranker or the dense
    // query weighs them.
    std::unordered_map<std::string, float> idf;
    QueryAnalysis analysis;
    RerankEvidence evidence;
    bool explain = false;
  };
  // Why each chunk ranked (SearchRequest::explain), by chunk id.
  using Explanations = std::unordered_map<int64_t, ResultExplanation>;
  struct Candidates {
    std::vector<ChunkHit> lexical, dense;
  };

  Result<Plan> MakePlan(const SearchRequest& req, const std::string& full_query, Mode mode) {
    Plan plan;
    plan.mode = mode;
    plan.explain = req.explain;
    plan.query = req.query;
    for (const std::string& entry : req.languages) {
      // "C,cpp" from the command line or lang=C,cpp from the API: a list, any case.
      for (size_t start = 0; start <= entry.size();) {
        size_t comma = std::min(entry.find(',', start), entry.size());
        std::string one = entry.substr(start, comma - start);
        std::transform(one.begin(), one.end(), one.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!one.empty()) {
          TRAWL_RETURN_IF_ERROR(CheckLanguage(one));
          plan.filter.languages.push_back(std::move(one));
        }
        start = comma + 1;
      }
    }
    plan.filter.path_globs = req.path_globs;
    plan.filter.repos = req.repos;
    // Candidates per list: enough that fusion and collapsing still leave k.
    plan.depth = std::max(100, req.k * 10);
    plan.rerank = options_.search.rerank_depth > 0 && mode != Mode::kSemantic;
    if (plan.rerank) {
      // What the query says beyond its words: the files it names (traceback frames,
      // paths, dotted module names), favoured the later named (a Python traceback ends
      // at the innermost frame), and the names it uses as code.
      plan.analysis = AnalyzeQuery(plan.query);
      plan.analysis.paths = MentionedPaths(full_query);
      // A pasted text (several lines, code, a trace) is a bug report: its names and
      // dotted module names count, documentation and tests answer it less well, and its
      // many words leave the right code deeper in the first-stage lists.
      const bool pasted = plan.analysis.structured || plan.analysis.has_code;
      // Names used only through another library ("np.array") are not looked for here.
      auto& names = plan.analysis.names;
      auto imported = [&](const CodeName& n) {
        return std::any_of(n.roots.begin(), n.roots.end(),
                           [&](const std::string& r) { return plan.analysis.imports.count(r) > 0; });
      };
      if (pasted && std::any_of(names.begin(), names.end(), imported)) {
        TRAWL_ASSIGN_OR_RETURN(auto paths, IndexedPaths());
        names.erase(std::remove_if(names.begin(), names.end(),
                                   [&](const CodeName& n) { return IsForeignName(n, plan.analysis, *paths); }),
                    names.end());
      }
      if (!plan.analysis.paths.empty() || !plan.analysis.modules.empty()) {
        TRAWL_ASSIGN_OR_RETURN(auto paths, IndexedPaths());
        auto& mentioned = plan.evidence.mentioned;
        const auto& named = plan.analysis.paths;
        for (size_t i = 0; i < named.size(); ++i) {
          double strength = 0.5 + 0.5 * static_cast<double>(i + 1) / static_cast<double>(named.size());
          for (std::string& p : paths->Resolve(named[i])) {
            double& s = mentioned[std::move(p)];
            s = std::max(s, strength);
          }
        }
        // (Dotted names are read as modules in pasted texts only, as names are below.)
        for (size_t i = 0; pasted && i < plan.analysis.modules.size() && i < kMaxModules; ++i) {
          for (std::string& p : paths->ResolveModule(plan.analysis.modules[i])) {
            double& s = mentioned[std::move(p)];
            s = std::max(s, kModuleStrength);
          }
        }
      }
      // Names count as definitions to find in a pasted text (several lines, code, a
      // trace): one line of words names other functions as often as the one it
      // describes (on the docstring benchmark, MRR@10 fell 0.469 -> 0.459 with them).
      if (pasted) {
        for (const CodeName& n : plan.analysis.names) plan.evidence.names.emplace(n.name, n.salience);
      }
      plan.evidence.pasted = pasted;
      plan.rerank_depth = pasted ? options_.search.pasted_rerank_depth : options_.search.rerank_depth;
      if (plan.rerank_depth <= 0) plan.rerank = false;
      for (const std::string& m : plan.analysis.messages) {
        for (std::string& f : MessageFragments(m)) plan.evidence.fragments.push_back(std::move(f));
      }
    }
    // The query's terms, analysed once: the lexical query, the idf weights of the dense
    // query and the reranker's all come from them.
    std::vector<IndexedTerm> query_terms = IndexedQueryTerms(plan.query);
    {
      std::unordered_set<std::string> seen;
      for (const IndexedTerm& t : query_terms) {
        if (seen.insert(t.indexed).second) plan.lexical.terms.push_back(t.indexed);
      }
    }
    if (plan.rerank || (mode != Mode::kLexical && embedder_->WeighsQueryTerms())) {
      // Query-time idf (the index keeps no corpus statistics in its documents, so this
      // is where they come in), keyed by the term, counted as the lexical index matches
      // it (a whole identifier as the phrase of its parts).
      std::vector<std::string> terms, indexed;
      for (IndexedTerm& t : query_terms) {
        if (!plan.idf.emplace(t.term, 1.0f).second) continue;
        terms.push_back(std::move(t.term));
        indexed.push_back(std::move(t.indexed));
      }
      TRAWL_ASSIGN_OR_RETURN(TermStats ts, store_->DocFrequencies(indexed));
      for (size_t i = 0; i < terms.size() && i < ts.doc_freq.size(); ++i) {
        double n = static_cast<double>(ts.chunks), df = static_cast<double>(ts.doc_freq[i]);
        plan.idf[terms[i]] = static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
      }
    }
    return plan;
  }

  // The first-stage lists. The two retrievers are independent: in hybrid mode the dense
  // one runs on a second thread while this one runs the lexical query.
  Result<Candidates> Retrieve(const Plan& plan) {
    Candidates out;
    std::future<Result<std::vector<ChunkHit>>> dense_future;
    if (plan.mode != Mode::kLexical) {
      const auto* weights = embedder_->WeighsQueryTerms() ? &plan.idf : nullptr;
      auto run_dense = [this, &plan, weights] { return DenseCandidates(plan.query, weights, plan.depth, plan.filter); };
      dense_future = std::async(plan.mode == Mode::kHybrid ? std::launch::async : std::launch::deferred, run_dense);
    }
    Status lexical_status = Status::Ok();
    if (plan.mode != Mode::kSemantic) {
      Result<std::vector<ChunkHit>> got = store_->SearchLexical(plan.lexical, plan.depth, plan.filter);
      if (got.ok()) {
        out.lexical = std::move(got).value();
      } else {
        lexical_status = got.status();
      }
    }
    if (dense_future.valid()) {
      TRAWL_ASSIGN_OR_RETURN(out.dense, dense_future.get());
    }
    TRAWL_RETURN_IF_ERROR(lexical_status);
    return out;
  }

  // One list of the two (fusion.h), best first.
  std::vector<ChunkHit> Fuse(const Plan& plan, Candidates cands) const {
    if (plan.mode == Mode::kLexical) return std::move(cands.lexical);
    if (plan.mode == Mode::kSemantic) return std::move(cands.dense);
    return FuseLists(cands.lexical, cands.dense,
                     options_.search.fusion == "rrf" ? FusionMethod::kRrf : FusionMethod::kScore, kLexicalWeight,
                     options_.search.rrf_k);
  }

  // Chunks that join the rerank pool whatever their first-stage rank: the named files'
  // best chunks for the query, and the chunks defining the names the query uses.
  Result<std::vector<std::pair<int64_t, std::string>>> Joiners(const Plan& plan) {
    std::vector<std::pair<int64_t, std::string>> out;
    if (!plan.evidence.mentioned.empty() && plan.filter.path_globs.empty()) {
      SearchFilter named = plan.filter;
      for (const auto& [path, strength] : plan.evidence.mentioned) {
        if (path.find_first_of("*?[\\") == std::string::npos) named.path_globs.push_back(path);
      }
      if (!named.path_globs.empty()) {
        TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkHit> extra,
                               store_->SearchLexical(plan.lexical, static_cast<int>(3 * named.path_globs.size()), named));
        for (const auto& h : extra) out.emplace_back(h.chunk_id, "named file");
      }
    }
    if (!plan.evidence.names.empty()) {
      LexicalQuery names;
      for (const CodeName& n : plan.analysis.names) {
        if (n.salience < kMinNameSalience || names.terms.size() >= kMaxNames) continue;
        for (IndexedTerm& t : IndexedQueryTerms(n.name)) {
          if (std::find(names.terms.begin(), names.terms.end(), t.indexed) == names.terms.end()) {
            names.terms.push_back(std::move(t.indexed));
          }
          break;  // the whole identifier (its first term)
        }
      }
      if (!names.terms.empty()) {
        TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkHit> extra,
                               store_->SearchLexical(names, kDefinitionDepth, plan.filter));
        for (const auto& h : extra) out.emplace_back(h.chunk_id, "definition");
      }
    }
    if (!plan.evidence.fragments.empty()) {
      // A message's literal parts as phrases: the code that raises it.
      LexicalQuery phrases;
      for (const std::string& f : plan.evidence.fragments) {
        // As the lexical index holds text: identifiers as their parts, in order.
        std::string phrase = PartTermsText(f);
        if (!phrase.empty()) phrases.terms.push_back(std::move(phrase));
      }
      TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkHit> extra, store_->SearchLexical(phrases, kMessageDepth, plan.filter));
      for (const auto& h : extra) out.emplace_back(h.chunk_id, "message");
    }
    return out;
  }

  // The head of `fused` scored again (rerank.h), the rest scaled under it.
  Status Rerank(const Plan& plan, std::vector<ChunkHit>* fused_out, std::unordered_map<int64_t, ChunkView>* views,
                Explanations* why) {
    std::vector<ChunkHit>& fused = *fused_out;
    // The pool does not cut a group of equal scores (their order is the chunk ids',
    // which follow indexing history, not content): up to a bounded number more.
    size_t n = std::min(fused.size(), static_cast<size_t>(plan.rerank_depth));
    const size_t n_max = std::min(fused.size(), 2 * n);
    while (n > 0 && n < n_max && fused[n].score == fused[n - 1].score) ++n;
    std::vector<int64_t> ids;
    std::vector<double> first;
    for (size_t i = 0; i < n; ++i) {
      ids.push_back(fused[i].chunk_id);
      first.push_back(fused[i].score);
    }
    std::unordered_set<int64_t> in_pool(ids.begin(), ids.end());
    TRAWL_ASSIGN_OR_RETURN(auto joiners, Joiners(plan));
    for (const auto& [id, reason] : joiners) {
      if (in_pool.insert(id).second) {
        ids.push_back(id);
        first.push_back(0.0);
        if (why != nullptr) (*why)[id].joined = reason;
      }
    }
    std::vector<int64_t> want;
    for (int64_t id : ids) {
      if (views->count(id) == 0) want.push_back(id);
    }
    if (!want.empty()) {
      TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkView> rows, store_->GetChunks(want));
      for (auto& v : rows) {
        int64_t id = v.chunk_id;
        views->emplace(id, std::move(v));
      }
    }
    std::vector<ChunkView> cands;
    std::vector<double> kept_first;
    std::vector<int64_t> kept_ids;
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = views->find(ids[i]);
      if (it == views->end()) continue;  // deleted since the candidate lists were made
      cands.push_back(it->second);
      kept_first.push_back(first[i]);
      kept_ids.push_back(ids[i]);
    }
    std::vector<QueryTerm> qterms = RerankQueryTerms(plan.query);
    for (auto& t : qterms) {
      auto it = plan.idf.find(t.term);
      if (it != plan.idf.end()) t.weight = it->second;
      if (auto w = plan.analysis.term_weight.find(t.term); w != plan.analysis.term_weight.end() &&
                                                            plan.analysis.structured) {
        t.weight *= w->second;
      }
    }
    std::vector<RerankScore> rescored = RerankScores(qterms, cands, kept_first, RerankWeights(), plan.evidence);
    std::vector<size_t> order(kept_ids.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Equal scores rank by where the chunks are, so that the ranking depends on the
    // index's content only.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (rescored[a].total != rescored[b].total) return rescored[a].total > rescored[b].total;
      return std::tie(cands[a].path, cands[a].start_line, cands[a].end_line) <
             std::tie(cands[b].path, cands[b].start_line, cands[b].end_line);
    });
    if (why != nullptr) {
      const RerankWeights w;
      for (size_t i = 0; i < kept_ids.size(); ++i) {
        const RerankScore& r = rescored[i];
        ResultExplanation& e = (*why)[kept_ids[i]];
        e.reranked = true;
        for (auto [name, value] : {std::pair<const char*, double>{"first", r.first},
                                   {"name", w.name * r.name},
                                   {"signature", w.signature * r.signature},
                                   {"path", w.path * r.path},
                                   {"header", w.header * r.header},
                                   {"file", w.file * r.file},
                                   {"mention", w.mention * r.mention},
                                   {"defines", w.defines * r.defines},
                                   {"file_defines", w.file_defines * r.file_defines},
                                   {"handles", w.handles * r.handles},
                                   {"prose", -w.prose * r.prose},
                                   {"test", -w.test * r.test},
                                   {"message", w.message * r.message}}) {
          if (value != 0) e.parts.emplace_back(name, value);
        }
        e.defines = r.defined;
      }
    }
    std::vector<ChunkHit> top;
    top.reserve(order.size());
    for (size_t i : order) top.push_back({kept_ids[i], rescored[i].total});
    // The reranked head, then the rest in first-stage order (without the chunks that
    // joined the head).
    std::vector<ChunkHit> rest;
    for (size_t i = n; i < fused.size(); ++i) {
      if (in_pool.count(fused[i].chunk_id) == 0) rest.push_back(fused[i]);
    }
    // First-stage scores are on another scale than the reranker's: the rest is scaled
    // under the head's last score, so that scores fall with rank (files are ranked by
    // their chunks' scores).
    if (!top.empty() && !rest.empty() && rest.front().score > top.back().score && rest.front().score > 0) {
      const double factor = top.back().score / rest.front().score;
      for (auto& h : rest) h.score *= factor;
    }
    fused = std::move(top);
    fused.insert(fused.end(), rest.begin(), rest.end());
    return Status::Ok();
  }

  static QueryReading Reading(const Plan& plan) {
    QueryReading r;
    r.files.assign(plan.evidence.mentioned.begin(), plan.evidence.mentioned.end());
    std::sort(r.files.begin(), r.files.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    r.modules = plan.analysis.modules;
    for (const CodeName& n : plan.analysis.names) r.names.emplace_back(n.name, n.salience);
    r.messages = plan.analysis.messages;
    r.has_code = plan.analysis.has_code;
    return r;
  }

  // The dense list: the query embedded (its terms weighted by `weights`, the idf, when
  // the embedder uses them), nearest chunks by inner product.
  Result<std::vector<ChunkHit>> DenseCandidates(const std::string& query,
                                                const std::unordered_map<std::string, float>* weights, int depth,
                                                const SearchFilter& filter) {
    TRAWL_ASSIGN_OR_RETURN(Vector qv, embedder_->EmbedQuery(query, weights));
    TRAWL_ASSIGN_OR_RETURN(std::vector<ChunkHit> dense, store_->SearchDense(qv, depth, filter));
    // Orthogonal or opposite vectors share no terms with the query: not a match.
    dense.erase(std::remove_if(dense.begin(), dense.end(), [](const ChunkHit& h) { return h.score <= 1e-6; }),
                dense.end());
    return dense;
  }

  // The indexed files' paths by file name: read once per Searcher, when a query first
  // names a file (a Searcher is reopened after each run).
  Result<std::shared_ptr<const PathIndex>> IndexedPaths() EXCLUDES(paths_mu_) {
    MutexLock lock(&paths_mu_);
    if (!paths_) {
      TRAWL_ASSIGN_OR_RETURN(std::vector<FileRecord> files, store_->ListFiles());
      std::vector<std::string> paths;
      paths.reserve(files.size());
      for (auto& f : files) {
        if (f.status == FileStatus::kIndexed) paths.push_back(std::move(f.path));
      }
      paths_ = std::make_shared<const PathIndex>(std::move(paths));
    }
    return paths_;
  }

  // Coverage only changes while an index run writes: counted at most once a second,
  // not per query (the counts scan the tables).
  Result<StoreStats> CachedStats() EXCLUDES(stats_mu_) {
    MutexLock lock(&stats_mu_);
    auto now = Clock::now();
    if (!stats_ || now - stats_at_ > std::chrono::seconds(1)) {
      TRAWL_ASSIGN_OR_RETURN(StoreStats fresh, store_->Stats());
      stats_ = std::move(fresh);
      stats_at_ = now;
    }
    return *stats_;
  }

  const Options options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Embedder> embedder_;
  Mutex paths_mu_;
  std::shared_ptr<const PathIndex> paths_ GUARDED_BY(paths_mu_);
  Mutex stats_mu_;
  std::optional<StoreStats> stats_ GUARDED_BY(stats_mu_);
  Clock::time_point stats_at_ GUARDED_BY(stats_mu_);
};

}  // namespace

Result<std::unique_ptr<Searcher>> Searcher::Open(const Options& options) {
  // A shared store is searched across every repository it holds; a request narrows it
  // (SearchRequest::repos).
  Options every = options;
  every.store.repo.clear();
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenIndexForReading(every));
  TRAWL_ASSIGN_OR_RETURN(StoreStats stats, store->Stats());
  EmbeddingOptions eopts = options.embeddings;
  if (eopts.dimensions == 0) eopts.dimensions = stats.dimensions;
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> embedder, MakeEmbedder(eopts));
  if (!stats.embedder.empty() && (embedder->Name() != stats.embedder ||
                                  (embedder->Dimensions() != 0 && embedder->Dimensions() != stats.dimensions))) {
    return Status::FailedPrecondition("index was built with embedder " + stats.embedder + " (dimension " +
                                      std::to_string(stats.dimensions) + ") but the configuration names " +
                                      embedder->Name() + " (dimension " + std::to_string(embedder->Dimensions()) +
                                      "): run `trawl index --rebuild` or fix the config");
  }
  return std::unique_ptr<Searcher>(std::make_unique<HybridSearcher>(options, std::move(store), std::move(embedder)));
}

Result<std::string> FindIndexDir(const std::string& start) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(start.empty() ? "." : start, ec).lexically_normal();
  if (ec) return Status::InvalidArgument("bad path: " + start);
  for (;;) {
    fs::path candidate = dir / ".trawl";
    if (fs::is_directory(candidate, ec)) return candidate.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return Status::NotFound("no trawl index found in " + start +
                          " or any parent directory (run `trawl index` first, or pass --index DIR)");
}

}  // namespace trawl
