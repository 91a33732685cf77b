#include "search/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace trawl {

std::vector<ChunkHit> FuseLists(const std::vector<ChunkHit>& lexical, const std::vector<ChunkHit>& dense,
                                FusionMethod method, double lexical_weight, double rrf_k) {
  std::unordered_map<int64_t, double> score;
  if (method == FusionMethod::kRrf) {
    for (size_t i = 0; i < lexical.size(); ++i) {
      score[lexical[i].chunk_id] += lexical_weight / (rrf_k + static_cast<double>(i) + 1);
    }
    for (size_t i = 0; i < dense.size(); ++i) score[dense[i].chunk_id] += 1.0 / (rrf_k + static_cast<double>(i) + 1);
  } else {
    const double lex_top = lexical.empty() ? 1.0 : std::max(1e-9, lexical[0].score);
    const double dense_top = dense.empty() ? 1.0 : std::max(1e-9, dense[0].score);
    for (const auto& h : lexical) score[h.chunk_id] += lexical_weight * h.score / lex_top;
    for (const auto& h : dense) score[h.chunk_id] += h.score / dense_top;
  }
  std::vector<ChunkHit> fused;
  fused.reserve(score.size());
  for (const auto& [id, s] : score) fused.push_back({id, s});
  std::sort(fused.begin(), fused.end(), [](const ChunkHit& a, const ChunkHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  });
  return fused;
}

}  // namespace trawl
