#include "search/rerank.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/tokenize.h"

namespace trawl {
namespace {

// Query coverage of a text's terms: the weight of the query terms found, over the total
// weight. A term also counts (0.7) when it is inside a longer name written as one word
// ("year" in "formatyear"), which code does often. `stem` is scratch space.
double CoverageOf(std::string_view text, const std::vector<QueryTerm>& query, double total, std::string* stem) {
  if (total <= 0 || query.empty()) return 0;
  // 2: the stem matches; 1: inside a longer word only (counts 0.7).
  std::vector<char> found(query.size(), 0);
  ForEachCodeTerm(text, [&](std::string_view t, bool) {
    StemTermInto(t, stem);
    for (size_t i = 0; i < query.size(); ++i) {
      if (found[i] == 2) continue;
      if (query[i].stem == *stem) {
        found[i] = 2;
      } else if (t.size() > 4 && query[i].stem.size() >= 4 && t.find(query[i].stem) != std::string_view::npos) {
        found[i] = 1;
      }
    }
  });
  double s = 0;
  for (size_t i = 0; i < query.size(); ++i) s += found[i] == 2 ? query[i].weight : found[i] == 1 ? 0.7 * query[i].weight : 0;
  return s / total;
}

}  // namespace

std::vector<QueryTerm> RerankQueryTerms(std::string_view query) {
  std::vector<QueryTerm> out;
  std::unordered_set<std::string> seen;
  ForEachCodeTerm(query, [&](std::string_view t, bool) {
    if (t.size() < 2 || IsStopTerm(t)) return;
    if (!seen.emplace(t).second) return;
    out.push_back({std::string(t), StemTerm(t), 1.0});
  });
  return out;
}

std::vector<double> RerankScores(const std::vector<QueryTerm>& query, const std::vector<ChunkView>& chunks,
                                 const std::vector<double>& scores, const RerankWeights& weights,
                                 const std::unordered_map<std::string, double>& mentioned) {
  std::vector<double> out(chunks.size(), 0.0);
  if (chunks.empty()) return out;
  double top = 0;
  for (double s : scores) top = std::max(top, s);
  if (top <= 0) top = 1;
  double total = 0;
  for (const auto& q : query) total += q.weight;
  // The file's strength: its best candidate. The right file is usually found even
  // when another of its chunks outranks the right one.
  std::unordered_map<std::string_view, double> file_best;
  for (size_t i = 0; i < chunks.size(); ++i) {
    double& b = file_best[chunks[i].path];
    b = std::max(b, scores[i] / top);
  }
  std::unordered_map<std::string_view, double> path_cover;
  std::string stem;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkView& c = chunks[i];
    std::string names;
    double signature_cover = 0;
    for (const Declaration& d : Declarations(c.content)) {
      names.append(d.name).push_back(' ');
      // The best single signature: a name with its parameters' names and types
      // ("void setTime(Date date)") says what one function is about; merged small
      // functions do not add up.
      signature_cover = std::max(signature_cover, CoverageOf(d.signature, query, total, &stem));
    }
    // The symbol's last part is the chunk's own definition ("Class.method" -> method).
    size_t dot = c.symbol.find_last_of(".:");
    names.append(dot == std::string::npos ? std::string_view(c.symbol) : std::string_view(c.symbol).substr(dot + 1));
    auto [pit, fresh] = path_cover.try_emplace(c.path, 0.0);
    if (fresh) pit->second = CoverageOf(c.path, query, total, &stem);
    // Context is "path > header > header": the headers of the enclosing definitions.
    double header_cover = 0;
    size_t sep = c.context.find(" > ");
    if (sep != std::string::npos) {
      header_cover = CoverageOf(std::string_view(c.context).substr(sep + 3), query, total, &stem);
    }
    out[i] = scores[i] / top + weights.name * CoverageOf(names, query, total, &stem) + weights.path * pit->second +
             weights.header * header_cover + weights.file * file_best[c.path] +
             weights.signature * signature_cover;
    if (!mentioned.empty()) {
      auto m = mentioned.find(c.path);
      if (m != mentioned.end()) out[i] += weights.mention * m->second;
    }
  }
  return out;
}

}  // namespace trawl
