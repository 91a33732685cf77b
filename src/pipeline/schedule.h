// The order in which a run hands files to the CPU workers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace trawl {

// A permutation of `sizes` (indexes into it) that starts with the largest file and
// keeps every prefix's bytes per file close to the whole set's: the largest files are
// taken first, each followed by as many of the smallest as keep that ratio, so the
// last files are those of middling size.
//
// Why: a large file is mostly parsing (the workers' share of the work), a small one
// mostly rows to write (the single writer's share: a chunk or two per file, each with
// its lexical and vector rows). Largest-first alone leaves the writer idle early and
// the workers waiting on it at the end (linux-source: 12% of the cores idle over the
// last 25 s); mixing the two keeps both busy, and no large file is parsed alone at the
// end. Deterministic for equal sizes (stable), and the index does not depend on it.
inline std::vector<size_t> BalancedOrder(const std::vector<uint64_t>& sizes) {
  const size_t n = sizes.size();
  std::vector<size_t> by_size(n);
  for (size_t i = 0; i < n; ++i) by_size[i] = i;
  std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  // Counted with at least one byte per file, so empty files still move the ratio.
  auto weight = [&](size_t i) { return static_cast<long double>(sizes[i]) + 1.0L; };
  long double total = 0;
  for (size_t i = 0; i < n; ++i) total += weight(i);
  std::vector<size_t> order;
  order.reserve(n);
  size_t front = 0, back = n;
  long double taken = 0;
  while (front < back) {
    // Bytes taken so far behind the files taken so far (as shares of the totals):
    // the next is a large one, otherwise a small one.
    const long double files_share = static_cast<long double>(order.size()) / static_cast<long double>(n);
    size_t pick = (taken / total <= files_share) ? by_size[front++] : by_size[--back];
    taken += weight(pick);
    order.push_back(pick);
  }
  return order;
}

}  // namespace trawl
