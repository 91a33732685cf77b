#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli.h"
#include "trawl/inspect.h"

namespace trawl::cli {

Runner RegisterChunk(CLI::App& app) {
  struct Args {
    std::string file, language;
    bool json = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("chunk", "Show how trawl chunks one file");
  cmd->add_option("file", args->file, "the file")->required();
  cmd->add_option("--language", args->language, "override language detection");
  cmd->add_flag("--json", args->json, "JSON array of chunks: start_line, end_line, kind, symbol, language, content");
  AddCommonFlags(cmd, &args->common, false);
  return [args] {
    std::error_code ec;
    if (!std::filesystem::exists(args->file, ec)) {
      return Fail(Status::InvalidArgument("no such file: " + args->file));
    }
    Result<Options> opts = Load(".", args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<ChunkFileResult> r = ChunkFile(*opts, args->file, args->language);
    if (!r.ok()) return Fail(r.status());
    for (const auto& note : r->notes) std::fprintf(stderr, "trawl: %s: %s\n", args->file.c_str(), note.c_str());
    if (args->json) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& c : r->chunks) {
        arr.push_back({{"start_line", c.start_line}, {"end_line", c.end_line},
                       {"start_byte", c.start_byte}, {"end_byte", c.end_byte},
                       {"kind", c.kind}, {"symbol", c.symbol}, {"language", c.language},
                       {"context", c.context}, {"content", c.content}});
      }
      std::string s = arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      std::fprintf(stdout, "%s\n", s.c_str());
      return kExitOk;
    }
    for (const auto& c : r->chunks) {
      std::string head = fmt::format("── {}:{}-{}  {} {}  ({})", args->file, c.start_line, c.end_line, c.kind,
                                     c.symbol.empty() ? "-" : c.symbol, c.language);
      std::fprintf(stdout, "%s\n%s%s", head.c_str(), c.content.c_str(),
                   (!c.content.empty() && c.content.back() == '\n') ? "" : "\n");
    }
    std::fprintf(stdout, "%zu chunks\n", r->chunks.size());
    return kExitOk;
  };
}

}  // namespace trawl::cli
