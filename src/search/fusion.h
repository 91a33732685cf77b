// First-stage fusion: the lexical and the dense candidate lists of a hybrid search as
// one list, best first.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "store/store.h"

namespace trawl {

enum class FusionMethod {
  // CombSUM of each list's scores divided by its best: a chunk far ahead in one list
  // keeps its lead, which ranks alone throw away.
  kScore,
  // Reciprocal Rank Fusion, 1 / (k + rank): rank-based, so the scales never mix.
  kRrf,
};

// The lists (each best first) fused; the lexical list weighs `lexical_weight`, the dense
// one 1. Equal scores order by chunk id.
std::vector<ChunkHit> FuseLists(const std::vector<ChunkHit>& lexical, const std::vector<ChunkHit>& dense,
                                FusionMethod method, double lexical_weight = 1.0, double rrf_k = 60);

}  // namespace trawl
