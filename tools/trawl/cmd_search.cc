#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "cli.h"
#include "trawl/search.h"
#include "search/search_json.h"

namespace trawl::cli {
namespace {

std::vector<std::string> QueryWords(const std::string& q) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : q + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (cur.size() >= 2) words.push_back(cur);
      cur.clear();
    }
  }
  return words;
}

// Marks the query's words in `line` (ANSI bold yellow on a terminal, nothing otherwise).
std::string Highlight(const std::string& line, const std::vector<std::string>& words, bool colour, int* hits) {
  std::string lower = line;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<bool> mark(line.size(), false);
  for (const auto& w : words) {
    for (size_t p = lower.find(w); p != std::string::npos; p = lower.find(w, p + 1)) {
      for (size_t i = p; i < p + w.size(); ++i) mark[i] = true;
      ++*hits;
    }
  }
  if (!colour) return line;
  std::string out;
  bool on = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (mark[i] != on) {
      out += mark[i] ? "\x1b[1;33m" : "\x1b[0m";
      on = mark[i];
    }
    out += line[i];
  }
  if (on) out += "\x1b[0m";
  return out;
}

// --explain: why a result ranked where it did.
void PrintWhy(const ResultExplanation& e, const char* indent) {
  std::string line = fmt::format("{}why: lexical {}, dense {}, first-stage {:.4f}", indent,
                                 e.lexical_rank > 0 ? "#" + std::to_string(e.lexical_rank) : std::string("-"),
                                 e.dense_rank > 0 ? "#" + std::to_string(e.dense_rank) : std::string("-"), e.first);
  if (!e.joined.empty()) line += "; joined as " + e.joined;
  if (e.reranked) {
    line += "; reranked:";
    for (const auto& [name, v] : e.parts) {
      line += fmt::format(" {} {:+.2f}", name, v);
      if (name == "defines" && !e.defines.empty()) line += " (" + Printable(e.defines) + ")";
    }
  }
  std::printf("%s\n", line.c_str());
}

void PrintFiles(const SearchResponse& resp) {
  bool colour = StdoutIsTerminal();
  if (resp.files.empty()) std::printf("no results\n");
  for (const auto& f : resp.files) {
    std::string head = (f.repo.empty() ? "" : Printable(f.repo) + ":") + Printable(f.path);
    if (colour) head = "\x1b[1;36m" + head + "\x1b[0m";
    std::printf("%s  (%.4f)\n", head.c_str(), f.score);
    for (const auto& c : f.chunks) {
      std::printf("  %d-%d  %s %s  (%.4f)\n", c.start_line, c.end_line, c.kind.c_str(),
                  c.symbol.empty() ? "-" : Printable(c.symbol).c_str(), c.score);
      if (c.explain) PrintWhy(*c.explain, "    ");
    }
  }
}

// --explain: how the query was read.
void PrintReading(const QueryReading& r) {
  auto list = [](const std::vector<std::pair<std::string, double>>& items) {
    std::string out;
    for (const auto& [name, w] : items) out += fmt::format("{}{} ({:.2f})", out.empty() ? "" : ", ", Printable(name), w);
    return out.empty() ? std::string("-") : out;
  };
  std::printf("query read as:\n");
  std::printf("  names used as code: %s\n", list(r.names).c_str());
  std::printf("  files named:        %s\n", list(r.files).c_str());
  std::string modules;
  for (const auto& m : r.modules) modules += (modules.empty() ? "" : ", ") + Printable(m);
  std::printf("  dotted names:       %s\n", modules.empty() ? "-" : modules.c_str());
  for (const auto& m : r.messages) std::printf("  error message:      %s\n", Printable(m.substr(0, 120)).c_str());
  std::printf("  holds code:         %s%s\n\n", r.has_code ? "yes" : "no",
              r.has_code ? " (documentation and tests weigh less)" : "");
}

void PrintHuman(const SearchResponse& resp, const std::string& query) {
  bool colour = StdoutIsTerminal();
  auto words = QueryWords(query);
  if (resp.reading) PrintReading(*resp.reading);
  if (!resp.files.empty()) return PrintFiles(resp);
  if (resp.results.empty()) std::printf("no results\n");
  for (const auto& r : resp.results) {
    std::string head = fmt::format("{}{}:{}-{}", r.repo.empty() ? "" : Printable(r.repo) + ":", Printable(r.path),
                                   r.start_line, r.end_line);
    if (colour) head = "\x1b[1;36m" + head + "\x1b[0m";
    std::printf("%s  %s %s  (%.4f)\n", head.c_str(), r.kind.c_str(), r.symbol.empty() ? "-" : Printable(r.symbol).c_str(),
                r.score);
    if (r.explain) PrintWhy(*r.explain, "  ");
    // Up to four lines: those with the most query words, in file order.
    std::vector<std::string> lines;
    size_t s = 0;
    while (s < r.content.size()) {
      size_t e = r.content.find('\n', s);
      if (e == std::string::npos) e = r.content.size();
      lines.push_back(r.content.substr(s, e - s));
      s = e + 1;
    }
    std::vector<std::pair<int, size_t>> scored;
    for (size_t i = 0; i < lines.size(); ++i) {
      int hits = 0;
      Highlight(lines[i], words, false, &hits);
      if (hits > 0) scored.emplace_back(-hits, i);
    }
    std::sort(scored.begin(), scored.end());
    std::set<size_t> show;
    for (size_t i = 0; i < scored.size() && show.size() < 4; ++i) show.insert(scored[i].second);
    for (size_t i = 0; show.empty() && i < lines.size() && i < 3; ++i) show.insert(i);
    for (size_t i : show) {
      int hits = 0;
      std::string l = Printable(lines[i].size() > 160 ? lines[i].substr(0, 160) + "..." : lines[i]);
      std::printf("  %5d  %s\n", r.start_line + static_cast<int>(i), Highlight(l, words, colour, &hits).c_str());
    }
    std::printf("\n");
  }
  if (resp.coverage < 1.0) {
    std::printf("(index %.0f%% complete: %lld of %lld files)\n", resp.coverage * 100,
                static_cast<long long>(resp.files_indexed), static_cast<long long>(resp.files_known));
  }
}

}  // namespace

Runner RegisterSearch(CLI::App& app) {
  struct Args {
    std::string query, queries_file, mode, path = ".";
    int k = 0;
    bool json = false, content = false, files = false, explain = false;
    std::vector<std::string> langs, globs;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("search", "Search the index (hybrid lexical + semantic by default)");
  cmd->add_option("query", args->query, "what to look for");
  cmd->add_option("-k", args->k, "number of results (default 10)")->check(CLI::Range(1, 10000));
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->add_flag("--content", args->content, "include chunk content in JSON output");
  cmd->add_flag("--explain", args->explain,
                "say how the query was read (names, files, messages) and why each result ranked where it did");
  cmd->add_flag("--files", args->files, "answer with files, ranked by the evidence of their chunks, each with its best chunks");
  // One value per flag (repeat the flag), so a following QUERY is not swallowed.
  cmd->add_option("--lang", args->langs, "only this language (repeatable)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--path", args->globs, "only paths matching this glob (repeatable)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--mode", args->mode, "hybrid, semantic or lexical")->check(CLI::IsMember({"hybrid", "semantic", "lexical"}));
  cmd->add_option("--queries", args->queries_file,
                  "batch mode: JSON lines {\"id\", \"query\"} in, one {\"id\", \"results\"} line out per query")->check(kNonEmptyPath);
  cmd->add_option("--from", args->path, "where to look for the index (default: .)")->check(kNonEmptyPath);
  AddCommonFlags(cmd, &args->common);
  return [args] {
    if (args->query.empty() == args->queries_file.empty()) {
      return Fail(Status::InvalidArgument("give a QUERY or --queries FILE (exactly one)"));
    }
    Result<Options> opts = LoadForIndex(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<std::unique_ptr<Searcher>> searcher = Searcher::Open(*opts);
    if (!searcher.ok()) return Fail(searcher.status());
    SearchRequest base;
    base.k = args->k > 0 ? args->k : opts->search.k;
    base.mode = args->mode.empty() ? opts->search.mode : args->mode;
    base.languages = args->langs;  // comma lists, any case: the searcher reads them
    base.path_globs = args->globs;
    if (!args->common.repo.empty()) base.repos = {args->common.repo};
    base.files = args->files;
    base.explain = args->explain;
    if (!args->queries_file.empty()) {
      std::error_code ec;
      if (std::filesystem::is_directory(args->queries_file, ec)) {
        return Fail(Status::InvalidArgument("cannot read " + args->queries_file + ": it is a directory"));
      }
      std::ifstream in(args->queries_file);
      if (!in) return Fail(Status::InvalidArgument("cannot read " + args->queries_file));
      std::string line;
      int lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        nlohmann::json q = nlohmann::json::parse(line, nullptr, false);
        if (q.is_discarded() || !q.is_object() || !q.contains("query") || !q["query"].is_string()) {
          return Fail(Status::InvalidArgument(args->queries_file + ":" + std::to_string(lineno) +
                                              ": expected {\"id\": ..., \"query\": \"...\"}"));
        }
        SearchRequest req = base;
        req.query = q["query"].get<std::string>();
        Result<SearchResponse> resp = (*searcher)->Search(req);
        if (!resp.ok()) return Fail(resp.status());
        nlohmann::ordered_json out;
        out["id"] = q.contains("id") ? q["id"] : nlohmann::json(nullptr);
        out[args->files ? "files" : "results"] = AnswersJson(*resp, args->content);
        out["coverage"] = resp->coverage;
        out["took_ms"] = resp->took_ms;
        if (resp->reading) out["reading"] = QueryReadingJson(*resp->reading);
        std::string s = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        std::fprintf(stdout, "%s\n", s.c_str());
      }
      if (in.bad()) return Fail(Status::IoError("reading " + args->queries_file + " failed"));
      return kExitOk;
    }
    SearchRequest req = base;
    req.query = args->query;
    Result<SearchResponse> resp = (*searcher)->Search(req);
    if (!resp.ok()) return Fail(resp.status());
    if (args->json) {
      nlohmann::ordered_json arr = AnswersJson(*resp, args->content);
      if (resp->coverage < 1.0) {
        for (auto& a : arr) a["coverage"] = resp->coverage;
      }
      if (resp->reading) {
        // --explain: the answers and how the query was read, in one object.
        nlohmann::ordered_json out;
        out["reading"] = QueryReadingJson(*resp->reading);
        out[args->files ? "files" : "results"] = std::move(arr);
        arr = std::move(out);
      }
      std::string s = arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      std::fprintf(stdout, "%s\n", s.c_str());
    } else {
      PrintHuman(*resp, args->query);
    }
    return kExitOk;
  };
}

}  // namespace trawl::cli
