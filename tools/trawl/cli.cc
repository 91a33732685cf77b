#include "cli.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "trawl/search.h"

namespace trawl::cli {

const CLI::Validator kNonEmptyPath(
    [](std::string& value) { return value.empty() ? std::string("an empty path (an unset variable?)") : std::string(); },
    "PATH", "non-empty path");

void AddCommonFlags(CLI::App* cmd, CommonFlags* flags, bool with_index) {
  cmd->add_option("--config", flags->config_file, "YAML config file (default: <root>/.trawl.yaml)")
      ->check(kNonEmptyPath);
  if (with_index) {
    cmd->add_option("--index", flags->index_dir, "index folder (default: <root>/.trawl)")->check(kNonEmptyPath);
    cmd->add_option("--store", flags->store_url,
                    "a shared PostgreSQL store, postgres://USER@HOST/DB (password from PGPASSWORD or ~/.pgpass)");
    cmd->add_option("--repo", flags->repo, "the repository's name in the shared store (default: the root's folder name)");
  }
}

namespace {

Result<Options> LoadWith(const std::string& root, const CommonFlags& flags,
                         std::map<std::string, std::string> overrides, bool default_repo, bool quiet = false) {
  LoadOptionsRequest req;
  req.root = root;
  req.config_file = flags.config_file;
  req.index_dir = flags.index_dir;
  if (!flags.store_url.empty()) overrides["store.url"] = flags.store_url;
  if (!flags.repo.empty()) overrides["store.repo"] = flags.repo;
  req.overrides = std::move(overrides);
  Result<Options> opts = LoadOptions(req);
  if (opts.ok() && default_repo && !opts->store.url.empty() && opts->store.repo.empty()) {
    opts->store.repo = std::filesystem::path(opts->root).filename().string();
  }
  if (opts.ok() && !quiet && !opts->ignored_settings.empty()) {
    std::string list;
    for (const auto& s : opts->ignored_settings) list += (list.empty() ? "" : ", ") + s;
    std::fprintf(stderr,
                 "trawl: ignoring %s: a repository's own config may not send data off this machine, read "
                 "secrets or reach outside the tree until you trust it (`trawl trust %s` after reading it, "
                 "or put these settings in your own config: --config FILE or %s/config.yaml)\n",
                 list.c_str(), opts->root.c_str(), UserConfigDir().c_str());
  }
  return opts;
}

}  // namespace

Result<Options> Load(const std::string& root, const CommonFlags& flags,
                     std::map<std::string, std::string> overrides) {
  return LoadWith(root, flags, std::move(overrides), /*default_repo=*/true);
}

Result<Options> LoadForIndex(const std::string& start, const CommonFlags& flags,
                             std::map<std::string, std::string> overrides) {
  namespace fs = std::filesystem;
  if (flags.index_dir.empty()) {
    // A shared store named by the flag, the environment or the user's config.
    Result<Options> shared = LoadWith(start.empty() ? "." : start, flags, overrides, /*default_repo=*/false, /*quiet=*/true);
    if (shared.ok() && !shared->store.url.empty()) {
      return LoadWith(start.empty() ? "." : start, flags, overrides, /*default_repo=*/false);
    }
  }
  std::string index_dir = flags.index_dir;
  if (index_dir.empty()) {
    TRAWL_ASSIGN_OR_RETURN(index_dir, FindIndexDir(start));
  }
  std::error_code ec;
  fs::path abs = fs::absolute(index_dir, ec).lexically_normal();
  std::string root = abs.filename() == ".trawl" ? abs.parent_path().string() : (start.empty() ? "." : start);
  CommonFlags f = flags;
  f.index_dir = abs.string();
  return LoadWith(root, f, std::move(overrides), /*default_repo=*/false);
}

int Fail(const Status& status) {
  std::string message = status.message();
  if (status.code() == StatusCode::kCorruption && message.find("--rebuild") == std::string::npos) {
    message += ": the index is damaged; `trawl check` tells what, `trawl index --rebuild` makes it again";
  }
  std::fprintf(stderr, "trawl: %s\n", message.c_str());
  if (status.code() == StatusCode::kInvalidArgument) return kExitUsage;
  if (status.code() == StatusCode::kCancelled) return kExitInterrupted;
  return kExitFailure;
}

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool StdoutIsTerminal() { return ::isatty(STDOUT_FILENO) == 1; }
bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace trawl::cli
