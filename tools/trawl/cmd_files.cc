#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli.h"
#include "trawl/inspect.h"

namespace trawl::cli {

Runner RegisterFiles(CLI::App& app) {
  struct Args {
    std::string path = ".";
    bool why = false, json = false, no_default_ignores = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("files", "List the files trawl would index (--why: and those it skips)");
  cmd->add_option("path", args->path, "tree to walk (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--why", args->why, "also list skipped files and why");
  cmd->add_flag("--json", args->json, "one JSON object per line: path, status, reason, language");
  cmd->add_flag("--no-default-ignores", args->no_default_ignores,
                "do not apply trawl's default ignores (VCS, dependency and build folders, lock files...)");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    std::map<std::string, std::string> ov;
    if (args->no_default_ignores) ov["ignore.use_defaults"] = "false";
    Result<Options> opts = Load(args->path, args->common, ov);
    if (!opts.ok()) return Fail(opts.status());
    Result<std::vector<FileListing>> files = ListFiles(*opts, args->why);
    if (!files.ok()) return Fail(files.status());
    std::string out;
    for (const auto& f : *files) {
      if (args->json) {
        nlohmann::ordered_json j;
        j["path"] = f.path;
        if (!f.path_hex.empty()) j["path_hex"] = f.path_hex;
        j["status"] = f.status;
        j["reason"] = f.reason;
        j["language"] = f.language;
        out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else if (args->why) {
        out += f.status == "index" ? "index  " + Printable(f.path) + "  (" + f.language + ")"
                                   : "skip   " + Printable(f.path) + "  " + f.reason;
      } else {
        out += Printable(f.path);  // as git quotes unusual names: one name per line, always
      }
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
}

}  // namespace trawl::cli
