#include "search/rerank.h"

#include <algorithm>
#include <cmath>
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

bool IsTestPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view dir = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  for (std::string_view folder : {"test/", "tests/", "testing/", "__tests__/", "spec/"}) {
    size_t at = dir.find(folder);
    while (at != std::string_view::npos) {
      if (at == 0 || dir[at - 1] == '/') return true;
      at = dir.find(folder, at + 1);
    }
  }
  size_t dot = name.find('.');
  std::string_view stem = name.substr(0, dot);
  auto ends = [&](std::string_view suffix) {
    return stem.size() > suffix.size() && stem.substr(stem.size() - suffix.size()) == suffix;
  };
  return stem.substr(0, 5) == "test_" || ends("_test") || ends("Test") || ends("Tests") ||
         name.find(".test.") != std::string_view::npos || name.find(".spec.") != std::string_view::npos;
}

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

std::vector<RerankScore> RerankScores(const std::vector<QueryTerm>& query, const std::vector<ChunkView>& chunks,
                                      const std::vector<double>& scores, const RerankWeights& weights,
                                      const RerankEvidence& evidence) {
  std::vector<RerankScore> out(chunks.size());
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
  // The names each chunk defines that the query uses, each with its salience times 1
  // (its own) or 1/2 (its enclosing class's); and how many files define each.
  std::vector<std::vector<std::pair<std::string_view, double>>> defined(chunks.size());
  std::unordered_map<std::string_view, std::unordered_set<std::string_view>> definers;
  std::vector<std::vector<Declaration>> declarations(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    declarations[i] = Declarations(chunks[i].content);
    if (evidence.names.empty()) continue;
    auto add = [&](std::string_view name, double strength) {
      auto it = evidence.names.find(std::string(name));
      if (it == evidence.names.end()) return;
      defined[i].emplace_back(it->first, it->second * strength);
      definers[it->first].insert(chunks[i].path);
    };
    std::string_view symbol = chunks[i].symbol;
    size_t cut = symbol.find_last_of(".:");
    std::string_view own = cut == std::string_view::npos ? symbol : symbol.substr(cut + 1);
    std::string_view outer_name;
    if (cut != std::string_view::npos) {
      std::string_view outer = symbol.substr(0, cut);
      while (!outer.empty() && outer.back() == ':') outer.remove_suffix(1);
      size_t cut2 = outer.find_last_of(".:");
      outer_name = cut2 == std::string_view::npos ? outer : outer.substr(cut2 + 1);
      add(outer_name, 0.5);
    }
    add(own, 1.0);
    for (const Declaration& d : declarations[i]) add(d.name, 1.0);
    // A handler named after a name the query uses (`_print_Poly`, `visit_Call`,
    // `_eval_is_zero`): the code that does the named thing's work in one concern.
    auto handles = [&](std::string_view name) {
      // A test named after a name (test_powers_Rational) tests it; it handles nothing.
      if (name.substr(0, 4) == "test" || name.substr(0, 4) == "Test") return;
      for (size_t u = name.find('_', 1); u != std::string_view::npos && u + 3 < name.size() + 1;
           u = name.find('_', u + 1)) {
        std::string_view suffix = name.substr(u + 1);
        if (suffix.size() < 3) break;
        auto it = evidence.names.find(std::string(suffix));
        if (it != evidence.names.end()) out[i].handles = std::max(out[i].handles, it->second);
      }
    };
    if (!evidence.names.empty()) {
      handles(own);
      for (const Declaration& d : declarations[i]) handles(d.name);
    }
  }
  std::unordered_map<std::string_view, double> path_cover;
  std::string stem;
  // A file's best definition of a name the query uses: its other chunks share in it
  // (the file the query is about, even where another of its chunks is the answer).
  std::unordered_map<std::string_view, double> file_defines;
  for (size_t i = 0; i < chunks.size(); ++i) {
    for (const auto& [name, value] : defined[i]) {
      double v = value / std::sqrt(static_cast<double>(std::max<size_t>(1, definers[name].size())));
      if (v > out[i].defines) {
        out[i].defines = v;
        out[i].defined = std::string(name);
      }
    }
    double& fd = file_defines[chunks[i].path];
    fd = std::max(fd, out[i].defines);
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkView& c = chunks[i];
    RerankScore& r = out[i];
    std::string names;
    for (const Declaration& d : declarations[i]) {
      names.append(d.name).push_back(' ');
      // The best single signature: a name with its parameters' names and types
      // ("void setTime(Date date)") says what one function is about; merged small
      // functions do not add up.
      r.signature = std::max(r.signature, CoverageOf(d.signature, query, total, &stem));
    }
    // The symbol's last part is the chunk's own definition ("Class.method" -> method).
    size_t dot = c.symbol.find_last_of(".:");
    names.append(dot == std::string::npos ? std::string_view(c.symbol) : std::string_view(c.symbol).substr(dot + 1));
    auto [pit, fresh] = path_cover.try_emplace(c.path, 0.0);
    if (fresh) pit->second = CoverageOf(c.path, query, total, &stem);
    // Context is "path > header > header": the headers of the enclosing definitions.
    size_t sep = c.context.find(" > ");
    if (sep != std::string::npos) r.header = CoverageOf(std::string_view(c.context).substr(sep + 3), query, total, &stem);
    r.first = scores[i] / top;
    r.name = CoverageOf(names, query, total, &stem);
    r.path = pit->second;
    r.file = file_best[c.path];
    if (auto m = evidence.mentioned.find(c.path); m != evidence.mentioned.end()) r.mention = m->second;
    r.file_defines = file_defines[c.path];
    for (const std::string& f : evidence.fragments) {
      if (c.content.find(f) != std::string::npos) r.message = 1;
    }
    if (evidence.pasted) {
      r.prose = c.language == "markdown" || c.language == "rst" || c.language == "text" ? 1 : 0;
      r.test = IsTestPath(c.path) ? 1 : 0;
    }
    r.total = -weights.prose * r.prose - weights.test * r.test + r.first + weights.name * r.name + weights.path * r.path + weights.header * r.header +
              weights.file * r.file + weights.signature * r.signature + weights.mention * r.mention +
              weights.defines * r.defines + weights.file_defines * r.file_defines + weights.message * r.message +
              weights.handles * r.handles;
  }
  return out;
}

}  // namespace trawl
