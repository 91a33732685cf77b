// trawl trust [PATH]: the user vouches for a repository's own .trawl.yaml as it is now,
// so that its sensitive settings (embedder url and key, symlinks out of the tree, server
// settings) apply. A later change to the file needs trusting again.
#include <cstdio>
#include <filesystem>

#include "cli.h"

namespace trawl::cli {

Runner RegisterTrust(CLI::App& app) {
  struct Args {
    std::string path = ".";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "trust", "Trust the tree's .trawl.yaml as it is now: its embedder, symlink and server settings then apply");
  cmd->add_option("path", args->path, "the tree (default: .) or its config file")->check(kNonEmptyPath);
  return [args] {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::string file = fs::is_directory(args->path, ec) ? args->path + "/.trawl.yaml" : args->path;
    if (!fs::exists(file, ec)) return Fail(Status::InvalidArgument("no config file at " + file));
    Status st = TrustConfig(file);
    if (!st.ok()) return Fail(st);
    std::printf("trusted %s as it is now (recorded in %s/trusted)\n",
                fs::absolute(file, ec).lexically_normal().c_str(), UserConfigDir().c_str());
    return kExitOk;
  };
}

}  // namespace trawl::cli
