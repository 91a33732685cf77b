#include "search/search_json.h"

namespace trawl {

nlohmann::ordered_json SearchResultJson(const SearchResult& r, bool with_content) {
  nlohmann::ordered_json j;
  if (!r.repo.empty()) j["repo"] = r.repo;
  j["path"] = r.path;
  if (!r.path_hex.empty()) j["path_hex"] = r.path_hex;
  j["start_line"] = r.start_line;
  j["end_line"] = r.end_line;
  j["language"] = r.language;
  j["kind"] = r.kind;
  j["symbol"] = r.symbol;
  j["score"] = r.score;
  if (!r.git_commit.empty()) {
    j["git"] = {{"commit", r.git_commit}, {"author", r.git_author}, {"time", r.git_time}};
  }
  if (with_content) j["content"] = r.content;
  if (r.explain) {
    const ResultExplanation& e = *r.explain;
    nlohmann::ordered_json x;
    x["lexical_rank"] = e.lexical_rank;
    x["dense_rank"] = e.dense_rank;
    x["first"] = e.first;
    if (!e.joined.empty()) x["joined"] = e.joined;
    x["reranked"] = e.reranked;
    nlohmann::ordered_json parts = nlohmann::ordered_json::object();
    for (const auto& [name, value] : e.parts) parts[name] = value;
    x["parts"] = std::move(parts);
    if (!e.defines.empty()) x["defines"] = e.defines;
    j["explain"] = std::move(x);
  }
  return j;
}

nlohmann::ordered_json QueryReadingJson(const QueryReading& r) {
  nlohmann::ordered_json j;
  auto weighted = [](const std::vector<std::pair<std::string, double>>& list) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& [name, w] : list) arr.push_back({{"name", name}, {"weight", w}});
    return arr;
  };
  j["files"] = weighted(r.files);
  j["modules"] = r.modules;
  j["names"] = weighted(r.names);
  j["messages"] = r.messages;
  j["has_code"] = r.has_code;
  return j;
}

nlohmann::ordered_json FileAnswerJson(const FileAnswer& f, bool with_content) {
  nlohmann::ordered_json j;
  if (!f.repo.empty()) j["repo"] = f.repo;
  j["path"] = f.path;
  if (!f.path_hex.empty()) j["path_hex"] = f.path_hex;
  j["language"] = f.language;
  j["score"] = f.score;
  nlohmann::ordered_json chunks = nlohmann::ordered_json::array();
  for (const auto& c : f.chunks) chunks.push_back(SearchResultJson(c, with_content));
  j["chunks"] = std::move(chunks);
  return j;
}

nlohmann::ordered_json AnswersJson(const SearchResponse& resp, bool with_content) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& f : resp.files) arr.push_back(FileAnswerJson(f, with_content));
  for (const auto& r : resp.results) arr.push_back(SearchResultJson(r, with_content));
  return arr;
}

}  // namespace trawl
