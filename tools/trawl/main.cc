// trawl: index source-code repositories for search and retrieval, fast, locally.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli.h"

#ifdef TRAWL_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#ifndef TRAWL_VERSION
#define TRAWL_VERSION "0.0.0"
#endif

namespace {

// The allocator that serves malloc in this process, as --version reports it: linking
// mimalloc is not enough if the dynamic linker bound malloc to another library first,
// so this asks mimalloc whether a malloc'd block is its own.
std::string Allocator() {
#ifdef TRAWL_WITH_MIMALLOC
  void* probe = std::calloc(1, 64);  // initialised: the probe is only looked at, never read
  bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours) {
    int v = mi_version();
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
  }
#endif
  return "system malloc";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace trawl::cli;
  CLI::App app{"trawl: a fast, local, incremental code-search index (syntax-aware chunks, "
               "hybrid lexical + vector search)"};
  // Built only when asked for: the allocator probe is no work for other commands.
  app.set_version_flag("--version", [] { return std::string("trawl ") + TRAWL_VERSION + " (allocator: " + Allocator() + ")"; });
  app.require_subcommand(1);
  app.fallthrough(false);
  std::vector<Runner> runners = {RegisterFiles(app),  RegisterChunk(app),  RegisterIndex(app),
                                 RegisterSearch(app), RegisterStatus(app), RegisterExport(app),
                                 RegisterConfig(app), RegisterWatch(app),  RegisterServe(app),
                                 RegisterHooks(app),  RegisterTrust(app),  RegisterCheck(app),
                                 RegisterMcp(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "trawl: %s\n", e.what());
    std::fprintf(stderr, "Run 'trawl --help' for usage.\n");
    return kExitUsage;
  }
  // Subcommands were registered in the order of `runners`.
  auto all = app.get_subcommands({});
  for (size_t i = 0; i < all.size() && i < runners.size(); ++i) {
    if (all[i]->parsed()) return runners[i]();
  }
  return kExitUsage;
}
