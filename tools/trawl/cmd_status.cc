#include <cstdio>

#include "cli.h"
#include "trawl/index.h"

namespace trawl::cli {

Runner RegisterStatus(CLI::App& app) {
  struct Args {
    std::string path = ".";
    bool json = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("status", "Report what the index holds, its failures and its last run");
  cmd->add_option("path", args->path, "where to look for the index (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--json", args->json, "JSON output");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    Result<Options> opts = LoadForIndex(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<IndexStatusReport> r = GetIndexStatus(*opts);
    if (!r.ok()) return Fail(r.status());
    std::string s = args->json ? r->ToJson() + "\n" : r->ToText();
    std::fputs(s.c_str(), stdout);
    return kExitOk;
  };
}

Runner RegisterExport(CLI::App& app) {
  struct Args {
    std::string path = ".";
    bool json = true;
    bool no_vectors = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Print the index's files, chunks and vectors as JSON lines in a stable order");
  cmd->add_option("path", args->path, "where to look for the index (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--json", args->json, "JSON lines (the only format)");
  cmd->add_flag("--no-vectors", args->no_vectors, "leave the vectors out (text only)");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    Result<Options> opts = LoadForIndex(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<std::string> out = ExportIndex(*opts, !args->no_vectors);
    if (!out.ok()) return Fail(out.status());
    std::fwrite(out->data(), 1, out->size(), stdout);
    return kExitOk;
  };
}

Runner RegisterCheck(CLI::App& app) {
  struct Args {
    std::string path = ".";
    bool json = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Check the whole index for damage (its databases, vector files, every chunk against its hash)");
  cmd->add_option("path", args->path, "where to look for the index (default: .)")->check(kNonEmptyPath);
  cmd->add_flag("--json", args->json, "JSON output");
  AddCommonFlags(cmd, &args->common);
  return [args] {
    Result<Options> opts = LoadForIndex(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<IndexCheckReport> r = CheckIndex(*opts);
    if (!r.ok()) return Fail(r.status());
    if (args->json) {
      std::printf("%s\n", r->ToJson().c_str());
    } else if (r->ok()) {
      std::printf("ok: %lld files, %lld chunks checked\n", static_cast<long long>(r->files),
                  static_cast<long long>(r->chunks));
    } else {
      for (const auto& p : r->problems) std::printf("damaged: %s\n", p.c_str());
      if (r->problems_total > static_cast<int64_t>(r->problems.size())) {
        std::printf("... and %lld more\n", static_cast<long long>(r->problems_total - static_cast<int64_t>(r->problems.size())));
      }
    }
    if (r->ok()) return kExitOk;
    std::fprintf(stderr, "trawl: the index at %s is damaged (%lld problems): `trawl index --rebuild` makes it again\n",
                 r->index_dir.c_str(), static_cast<long long>(r->problems_total));
    return kExitFailure;
  };
}

Runner RegisterConfig(CLI::App& app) {
  struct Args {
    std::string path = ".";
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("config", "Print the effective configuration (file, environment, flags)");
  cmd->add_option("path", args->path, "tree (default: .)")->check(kNonEmptyPath);
  AddCommonFlags(cmd, &args->common);
  return [args] {
    Result<Options> opts = Load(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    std::printf("# root: %s\n# index: %s\n# config file: %s\n", opts->root.c_str(), opts->index_dir.c_str(),
                opts->config_file.empty() ? "(none)" : opts->config_file.c_str());
    for (const auto& [k, v] : DescribeOptions(*opts)) std::printf("%s: %s\n", k.c_str(), v.c_str());
    return kExitOk;
  };
}

}  // namespace trawl::cli
