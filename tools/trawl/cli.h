// Shared pieces of the trawl command line: global flags, option loading, exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <string_view>

#include "trawl/options.h"
#include "trawl/status.h"

namespace trawl::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitFilesFailed = 3;  // `trawl index` finished, but some files failed
constexpr int kExitInterrupted = 130;

// Flags every command that reads a tree or an index accepts.
struct CommonFlags {
  std::string config_file;
  std::string index_dir;
  std::string store_url;  // --store: a shared PostgreSQL store instead of the index folder
  std::string repo;       // --repo: the repository's name in it
};

void AddCommonFlags(CLI::App* cmd, CommonFlags* flags, bool with_index = true);

// Rejects an empty path ("" from an unset shell variable would otherwise mean ".").
extern const CLI::Validator kNonEmptyPath;

// Loads options for the tree at `root` (config file, environment, `overrides`). With a
// shared store and no repository named, the repository is the root's folder name.
Result<Options> Load(const std::string& root, const CommonFlags& flags,
                     std::map<std::string, std::string> overrides = {});

// For commands that read an existing index (search, status, export): --index DIR, or
// the index found by walking up from `start`; the root is the folder holding `.trawl`.
// With a shared store (--store, or store.url set), that store: the repository --repo
// names, or every repository.
Result<Options> LoadForIndex(const std::string& start, const CommonFlags& flags,
                             std::map<std::string, std::string> overrides = {});

// Prints "trawl: <message>" to stderr; returns the exit code for the status.
int Fail(const Status& status);

// `text` with control characters (but tab) shown as \xNN: names and file content from a
// repository must not drive the terminal (escape sequences) in human output.
std::string Printable(std::string_view text);

bool StdoutIsTerminal();
bool StderrIsTerminal();

// Subcommands: each registers itself and returns the function that runs it.
using Runner = std::function<int()>;
Runner RegisterFiles(CLI::App& app);
Runner RegisterChunk(CLI::App& app);
Runner RegisterIndex(CLI::App& app);
Runner RegisterSearch(CLI::App& app);
Runner RegisterStatus(CLI::App& app);
Runner RegisterExport(CLI::App& app);
Runner RegisterConfig(CLI::App& app);
Runner RegisterWatch(CLI::App& app);
Runner RegisterServe(CLI::App& app);
Runner RegisterHooks(CLI::App& app);
Runner RegisterTrust(CLI::App& app);
Runner RegisterCheck(CLI::App& app);
Runner RegisterMcp(CLI::App& app);

}  // namespace trawl::cli
