#pragma once
#include <cstdlib>
#include "store/store.h"
namespace trawl {
inline EmbeddedStoreOptions ExpStoreOptions() {
  EmbeddedStoreOptions o;
  if (const char* e = std::getenv("X_PORTER")) o.fts_porter = std::atoi(e) != 0;
  if (const char* e = std::getenv("X_WS")) o.bm25_symbol_weight = std::atof(e);
  if (const char* e = std::getenv("X_WP")) o.bm25_path_weight = std::atof(e);
  if (const char* e = std::getenv("X_WC")) o.bm25_content_weight = std::atof(e);
  if (const char* e = std::getenv("X_POST")) o.lexical_max_postings = std::atoll(e);
  return o;
}
}
