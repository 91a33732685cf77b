#include "trawl/inspect.h"

#include <filesystem>

#include "base/file_util.h"
#include "base/utf8.h"
#include "chunk/chunker.h"
#include "pipeline/chunk_options.h"
#include "discover/discover.h"

namespace trawl {

Result<std::vector<FileListing>> ListFiles(const Options& options, bool include_skipped) {
  DiscoverOptions d;
  d.root = options.root;
  d.use_default_ignores = options.ignore.use_defaults;
  d.extra_patterns = options.ignore.patterns;
  d.require_git = options.ignore.require_git;
  d.max_file_size_bytes = static_cast<uint64_t>(options.indexing.max_file_size_kb) * 1024;
  d.follow_symlinks = options.indexing.follow_symlinks;
  d.threads = options.EffectiveWorkers();
  d.report_skipped = include_skipped;
  d.check_content = true;
  d.exclude_dirs = {options.index_dir};
  TRAWL_ASSIGN_OR_RETURN(std::vector<FileEntry> found, Discover(d));
  std::vector<FileListing> out;
  out.reserve(found.size());
  for (auto& f : found) {
    FileListing l;
    l.path = std::move(f.path);
    if (!IsValidUtf8(l.path)) l.path_hex = HexBytes(l.path);
    l.status = f.skipped() ? "skip" : "index";
    l.reason = std::move(f.reason);
    l.language = std::move(f.language);
    l.size = f.size;
    out.push_back(std::move(l));
  }
  return out;
}

Result<ChunkFileResult> ChunkFile(const Options& options, const std::string& path,
                                  const std::string& language) {
  uint64_t max_bytes = static_cast<uint64_t>(options.indexing.max_file_size_kb) * 1024;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::InvalidArgument(path + " is a directory");
  TRAWL_ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes + 1));
  if (text.size() > max_bytes) {
    return Status::InvalidArgument(path + " is larger than indexing.max_file_size_kb (" +
                                   std::to_string(options.indexing.max_file_size_kb) + " KiB)");
  }
  if (LooksBinary(std::string_view(text).substr(0, 8192))) {
    return Status::InvalidArgument(path + " is a binary file");
  }
  if (!language.empty()) TRAWL_RETURN_IF_ERROR(CheckLanguage(language));
  ChunkFileResult result;
  result.language = language.empty() ? DetectLanguage(path, std::string_view(text).substr(0, 8192)) : language;
  if (result.language.empty()) result.language = "text";
  ChunkOptions copts = ChunkOptionsFor(options);
  Chunker chunker(copts);
  TRAWL_ASSIGN_OR_RETURN(ChunkedFile chunked, chunker.ChunkFile(path, text, result.language));
  result.notes = std::move(chunked.notes);
  for (auto& c : chunked.chunks) {
    result.chunks.push_back(ChunkListing{std::move(c.span()), std::move(c.language)});
  }
  return result;
}

}  // namespace trawl
