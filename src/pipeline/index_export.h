// `trawl export`: an index's content as JSON lines in a stable order, built from a
// Store's scan, so that two indexes of the same content (any backend, any shard count,
// any worker count, any history) export byte-identically and compare with `cmp`.
// Thread-safety: a free function; the store's scan holds one snapshot.
#pragma once

#include <string>

#include "store/store.h"

namespace trawl {

// The export's format version (its first line says it).
constexpr int kExportFormat = 3;

// A header line (embedder, dimensions, format), then per file in path order a file line
// and one line per chunk with its vector. Nothing that differs between two indexes of
// the same content (ids, times, inodes, the index's own path).
Status WriteExport(Store* store, std::string* out, bool with_vectors = true);

}  // namespace trawl
