// The JSON form of search answers and of how a query was read, shared by `trawl search
// --json`, the HTTP API and MCP so that all print the same fields. Internal to trawl
// (the public API in include/trawl/ carries no JSON library).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "trawl/search.h"

namespace trawl {

nlohmann::ordered_json SearchResultJson(const SearchResult& r, bool with_content);
nlohmann::ordered_json FileAnswerJson(const FileAnswer& f, bool with_content);
// The answers of a response: its files when it has them, else its chunks.
nlohmann::ordered_json AnswersJson(const SearchResponse& resp, bool with_content);
nlohmann::ordered_json QueryReadingJson(const QueryReading& r);

}  // namespace trawl
