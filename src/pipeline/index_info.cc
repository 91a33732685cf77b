#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/hash.h"
#include "pipeline/embed_text.h"
#include "pipeline/index_export.h"
#include "pipeline/index_json.h"
#include "store/store.h"
#include "trawl/index.h"

namespace trawl {
namespace {

// Where the index is, for people: its folder, or the shared store and repository.
std::string IndexLocation(const Options& options) {
  if (options.store.url.empty()) return options.index_dir;
  return RedactStoreUrl(options.store.url) +
         (options.store.repo.empty() ? " (every repository)" : " (repository " + options.store.repo + ")");
}

}  // namespace

Result<IndexStatusReport> GetIndexStatus(const Options& options) {
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenIndexForReading(options));
  TRAWL_ASSIGN_OR_RETURN(StoreStats stats, store->Stats());
  IndexStatusReport r;
  r.index_dir = IndexLocation(options);
  r.files = stats.files;
  r.files_failed = stats.files_failed;
  r.files_skipped = stats.files_skipped;
  r.files_known = stats.files_known;
  r.chunks = stats.chunks;
  r.vectors = stats.vectors;
  r.embedder = stats.embedder;
  r.dimensions = stats.dimensions;
  r.shares = stats.shares;
  for (const RepoStats& rs : stats.repos) {
    r.repos.push_back({rs.name, rs.files, rs.files_failed, rs.files_skipped, rs.files_known, rs.chunks,
                       rs.last_run_state, rs.last_run_finished});
  }
  r.languages.assign(stats.languages.begin(), stats.languages.end());
  std::sort(r.languages.begin(), r.languages.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  TRAWL_ASSIGN_OR_RETURN(std::vector<FileRecord> failed, store->FailedFiles());
  for (const auto& f : failed) r.failures.emplace_back(f.path, f.error);
  TRAWL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store->Runs(1));
  if (!runs.empty()) {
    r.last_run_state = runs[0].state;
    r.last_run_summary_json = runs[0].summary_json;
  }
  return r;
}

Result<std::vector<IndexedFile>> ListIndexedFiles(const Options& options) {
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenIndexForReading(options));
  TRAWL_ASSIGN_OR_RETURN(std::vector<FileRecord> records, store->ListFiles());
  std::vector<IndexedFile> out;
  out.reserve(records.size());
  for (auto& f : records) out.push_back(IndexedFile{std::move(f.path), std::move(f.language), std::string(FileStatusName(f.status)), f.size});
  std::sort(out.begin(), out.end(), [](const IndexedFile& a, const IndexedFile& b) { return a.path < b.path; });
  return out;
}

Result<IndexedFileText> ReadIndexedFile(const std::string& root,
                                        const std::unordered_map<std::string, IndexedFile>& files,
                                        const std::string& path, uint64_t max_bytes) {
  namespace fs = std::filesystem;
  TRAWL_ASSIGN_OR_RETURN(std::string rel, PathInRoot(root, path));
  if (rel == ".") return Status::InvalidArgument(path + " is the root directory, not a file");
  auto it = files.find(rel);
  if (it == files.end()) {
    return Status::NotFound(rel + " is not a file the index holds (ignored, a directory, or new since the last run)");
  }
  if (it->second.status == "skipped") {
    return Status::FailedPrecondition(rel + " is not readable as text (binary or too large: the index skipped it)");
  }
  // The indexed path may have become a symbolic link since the run: what it resolves to
  // must still be inside the root.
  std::error_code ec;
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return Status::IoError("cannot resolve the root " + root + ": " + ec.message());
  fs::path real = fs::canonical(fs::path(root) / rel, ec);
  if (ec) return Status::NotFound("cannot read " + rel + ": " + ec.message() + " (changed since the last run?)");
  std::string rr = real_root.string(), rp = real.string();
  if (rp.size() <= rr.size() || rp.compare(0, rr.size(), rr) != 0 || rp[rr.size()] != '/') {
    return Status::PermissionDenied(rel + " now resolves outside the root (a symbolic link): refused");
  }
  uint64_t limit = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;  // one more byte tells a cut
  Result<std::string> text = ReadFile(rp, limit);
  if (!text.ok()) return Status::IoError("cannot read " + rel + ": " + text.status().message());
  IndexedFileText out{it->second, std::move(text).value(), false};
  if (out.text.size() > max_bytes) {
    out.text.resize(max_bytes);
    out.truncated = true;
  }
  return out;
}

std::string IndexStatusReport::ToJson() const { return DumpJson(StatusReportJson(*this)); }

nlohmann::ordered_json StatusReportJson(const IndexStatusReport& r) {
  nlohmann::ordered_json j;
  j["index_dir"] = r.index_dir;
  j["files"] = r.files;
  j["files_failed"] = r.files_failed;
  j["files_skipped"] = r.files_skipped;
  j["files_known"] = r.files_known;
  j["coverage"] = r.files_known > 0 ? std::min(1.0, static_cast<double>(r.files + r.files_failed + r.files_skipped) / static_cast<double>(r.files_known)) : 1.0;
  j["chunks"] = r.chunks;
  j["vectors"] = r.vectors;
  nlohmann::ordered_json langs = nlohmann::ordered_json::object();
  for (const auto& [l, n] : r.languages) langs[l] = n;
  j["languages"] = langs;
  j["embedder"] = {{"name", r.embedder}, {"dimensions", r.dimensions}};
  nlohmann::ordered_json fails = nlohmann::ordered_json::array();
  for (const auto& [p, why] : r.failures) fails.push_back({{"path", p}, {"reason", why}});
  j["failures"] = fails;
  nlohmann::ordered_json last = nullptr;
  if (!r.last_run_summary_json.empty()) {
    last = nlohmann::ordered_json::parse(r.last_run_summary_json, nullptr, false);
    if (last.is_discarded()) last = {{"state", r.last_run_state}};
  } else if (!r.last_run_state.empty()) {
    last = {{"state", r.last_run_state}};
  }
  j["last_run"] = last;
  if (!r.shares.empty()) {
    nlohmann::ordered_json sh = nlohmann::ordered_json::object();
    for (const auto& [who, n] : r.shares) sh[who] = n;
    j["shares"] = sh;
  }
  if (!r.repos.empty()) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const IndexStatusReport::Repo& repo : r.repos) {
      nlohmann::ordered_json one;
      one["name"] = repo.name;
      one["files"] = repo.files;
      one["files_failed"] = repo.files_failed;
      one["files_skipped"] = repo.files_skipped;
      one["files_known"] = repo.files_known;
      one["chunks"] = repo.chunks;
      one["last_run"] = repo.last_run_state.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json{{"state", repo.last_run_state},
                                                                             {"finished_at", repo.last_run_finished}};
      arr.push_back(std::move(one));
    }
    j["repos"] = std::move(arr);
  }
  return j;
}

std::string IndexStatusReport::ToText() const {
  std::ostringstream o;
  o << "index:     " << index_dir << "\n";
  o << fmt::format("files:     {} indexed, {} failed, {} skipped ({} known)\n", files, files_failed, files_skipped,
                   files_known);
  o << fmt::format("chunks:    {} ({} vectors)\n", chunks, vectors);
  o << fmt::format("embedder:  {} (dimension {})\n", embedder, dimensions);
  o << "languages:";
  for (const auto& [l, n] : languages) o << " " << l << " " << n;
  o << "\n";
  if (!last_run_state.empty()) o << "last run:  " << last_run_state << "\n";
  if (!shares.empty()) {
    o << "indexed by:";
    for (const auto& [who, n] : shares) o << " " << who << " " << n << " files";
    o << "\n";
  }
  if (!repos.empty()) {
    // One line each: name, files, failed, skipped, chunks, last run.
    size_t width = 10;
    for (const Repo& repo : repos) width = std::max(width, std::min<size_t>(repo.name.size(), 40));
    o << fmt::format("repositories: {}\n", repos.size());
    o << fmt::format("  {:<{}} {:>9} {:>7} {:>8} {:>10}  {}\n", "name", width, "files", "failed", "skipped", "chunks",
                     "last run");
    for (const Repo& repo : repos) {
      o << fmt::format("  {:<{}} {:>9} {:>7} {:>8} {:>10}  {}\n", repo.name, width, repo.files, repo.files_failed,
                       repo.files_skipped, repo.chunks, repo.last_run_state.empty() ? "-" : repo.last_run_state);
    }
  }
  for (const auto& [p, why] : failures) o << "failed:    " << p << ": " << why << "\n";
  return o.str();
}

Result<IndexCheckReport> CheckIndex(const Options& options) {
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenIndexForReading(options));
  IndexCheckReport r;
  r.index_dir = IndexLocation(options);
  auto problem = [&](std::string what) {
    if (r.problems.size() < 50) r.problems.push_back(std::move(what));
    ++r.problems_total;
  };
  Status verified = store->Verify();
  if (!verified.ok()) problem(verified.message());
  int dims = 0;
  if (Result<StoreStats> stats = store->Stats(); stats.ok()) {
    dims = stats->dimensions;
  } else {
    problem(stats.status().message());
  }
  Result<std::unique_ptr<StoreScan>> scan = store->Scan();
  if (!scan.ok()) {
    problem(scan.status().message());
    return r;
  }
  ScannedFile sf;
  for (;;) {
    Result<bool> more = (*scan)->Next(&sf);
    if (!more.ok()) {
      problem(more.status().message());
      break;
    }
    if (!*more) break;
    ++r.files;
    const FileRecord& f = sf.file;
    if (f.status == FileStatus::kIndexed && f.chunk_count != static_cast<int>(sf.chunks.size())) {
      problem(f.path + ": holds " + std::to_string(sf.chunks.size()) + " chunks, its record says " +
              std::to_string(f.chunk_count));
    }
    for (const ChunkRecord& c : sf.chunks) {
      ++r.chunks;
      std::string where = f.path + ":" + std::to_string(c.start_line) + "-" + std::to_string(c.end_line);
      // A chunk's hash is that of the text embedded for it: damage to its text shows.
      if (HashHex(EmbedText(f.path, c.context, c.content)) != c.content_hash) {
        problem(where + ": the chunk's text does not match its hash");
      }
      if (dims > 0 && static_cast<int>(c.vector.size()) != dims) problem(where + ": the chunk has no readable vector");
    }
  }
  return r;
}

std::string IndexCheckReport::ToJson() const {
  nlohmann::ordered_json j;
  j["index_dir"] = index_dir;
  j["ok"] = ok();
  j["files"] = files;
  j["chunks"] = chunks;
  j["problems_total"] = problems_total;
  j["problems"] = problems;
  return DumpJson(j);
}

Result<std::string> ExportIndex(const Options& options, bool with_vectors) {
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenIndexForReading(options));
  std::string out;
  TRAWL_RETURN_IF_ERROR(WriteExport(store.get(), &out, with_vectors));
  return out;
}

}  // namespace trawl
