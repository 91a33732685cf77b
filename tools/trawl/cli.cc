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
  }
}

Result<Options> Load(const std::string& root, const CommonFlags& flags,
                     std::map<std::string, std::string> overrides) {
  LoadOptionsRequest req;
  req.root = root;
  req.config_file = flags.config_file;
  req.index_dir = flags.index_dir;
  req.overrides = std::move(overrides);
  Result<Options> opts = LoadOptions(req);
  if (opts.ok() && !opts->ignored_settings.empty()) {
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

Result<Options> LoadForIndex(const std::string& start, const CommonFlags& flags,
                             std::map<std::string, std::string> overrides) {
  namespace fs = std::filesystem;
  std::string index_dir = flags.index_dir;
  if (index_dir.empty()) {
    TRAWL_ASSIGN_OR_RETURN(index_dir, FindIndexDir(start));
  }
  std::error_code ec;
  fs::path abs = fs::absolute(index_dir, ec).lexically_normal();
  std::string root = abs.filename() == ".trawl" ? abs.parent_path().string() : (start.empty() ? "." : start);
  CommonFlags f = flags;
  f.index_dir = abs.string();
  return Load(root, f, std::move(overrides));
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
