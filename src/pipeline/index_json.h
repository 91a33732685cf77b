// The JSON of the public run and status types (include/trawl/index.h) as values, for the
// modules that put them inside larger documents (the HTTP API, MCP, the watch service):
// built once, never printed and parsed again. Each type's ToJson() prints the same value.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "trawl/index.h"

namespace trawl {

nlohmann::ordered_json ProgressJson(const IndexProgress& p);
nlohmann::ordered_json SummaryJson(const IndexSummary& s);
nlohmann::ordered_json StatusReportJson(const IndexStatusReport& r);

// One line, invalid UTF-8 replaced: how every ToJson() prints.
std::string DumpJson(const nlohmann::ordered_json& j);

}  // namespace trawl
