// The PostgreSQL store: many repositories (and the machines indexing them) in one
// database, behind the same Store interface as the embedded store. Only src/store
// includes this header; OpenStore chooses it for a postgres:// url.
//
// Layout (schema version kPgSchemaVersion, created and migrated by trawl under an
// advisory lock): trawl_repos (a name per indexed root, its embedder), trawl_files and
// trawl_chunks keyed by (repo, path), trawl_vectors (content-addressed, shared by
// every repository), trawl_counters (each writer's running totals, summed when read),
// trawl_runs, trawl_leases (units of work claimed by machines).
//
// Lexical search matches the same terms as the embedded store (Prepare's code-aware
// terms, tokenised as FTS5's ascii tokenizer does) through a tsvector with a GIN index
// (positions, so that a whole identifier matches as the phrase of its parts), and scores
// the matching rows here, from their positions of the query's lexemes (pg_lexical.h),
// with the embedded store's BM25 (lexical_query.h), so both stores rank a query's
// chunks alike. Semantic search uses pgvector's HNSW index when
// the server has pgvector; without it, semantic and hybrid search fail saying how to
// install it, and lexical search works.
// Thread-safety: as Store; connections come from a pool (StoreConfig::pool_size).
#pragma once

#include <memory>

#include "store/store.h"

namespace trawl::store_internal {

inline constexpr int kPgSchemaVersion = 1;

Result<std::unique_ptr<Store>> OpenPgStore(const StoreConfig& config, OpenMode mode);

}  // namespace trawl::store_internal
