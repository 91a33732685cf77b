#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli.h"

namespace trawl::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBegin = "# >>> trawl: notify trawl serve of changed files >>>";
constexpr const char* kEnd = "# <<< trawl <<<";
constexpr std::array<const char*, 3> kHooks = {"post-commit", "post-merge", "post-checkout"};

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The git command that lists the files a hook's operation changed, as --name-status.
std::string DiffCommand(const std::string& hook) {
  const std::string git = "git -c core.quotePath=false";
  if (hook == "post-commit") return git + " diff-tree -r --no-commit-id --name-status -M --root HEAD";
  if (hook == "post-merge") return git + " diff-tree -r --name-status -M ORIG_HEAD HEAD";
  // post-checkout <old> <new> <1 = branch checkout>; a file checkout lists nothing and
  // the run re-checks the tree anyway.
  return "if [ \"$3\" = 1 ] && [ \"$1\" != \"$2\" ]; then " + git + " diff --name-status -M \"$1\" \"$2\"; fi";
}

// The hook's block: everything in a background subshell with its output discarded,
// curl with a short timeout, and `exit 0` semantics: git is never blocked nor failed.
std::string HookBlock(const std::string& hook, const std::string& url, const std::string& token_file) {
  std::string s;
  s += std::string(kBegin) + "\n";
  s += "# Installed by `trawl hooks install`; remove with `trawl hooks uninstall`.\n";
  s += "(\n";
  s += "  url=" + ShellQuote(url) + "\n";
  s += "  token_file=" + ShellQuote(token_file) + "\n";
  s += "  changes=$(" + DiffCommand(hook) + " 2>/dev/null)\n";
  s += "  # More than 2000 files (a big checkout), or a name git had to quote (\\\", \\\\, control\n";
  s += "  # characters): send none; the run re-checks the whole tree.\n";
  s += "  body=$(printf '%s\\n' \"$changes\" | awk -F '\\t' '\n";
  s += "    $1 == \"\" { next }\n";
  s += "    index($0, \"\\\"\") || index($0, \"\\\\\") { quoted = 1; next }\n";
  s += "    { a = substr($1, 1, 1); p = $2; o = \"\"\n";
  s += "      if (a == \"A\" || a == \"C\") { act = \"added\"; p = $NF }\n";
  s += "      else if (a == \"M\" || a == \"T\") act = \"modified\"\n";
  s += "      else if (a == \"D\") act = \"deleted\"\n";
  s += "      else if (a == \"R\") { act = \"renamed\"; o = $2; p = $3 }\n";
  s += "      else next\n";
  s += "      item = \"{\\\"path\\\":\\\"\" p \"\\\",\\\"action\\\":\\\"\" act \"\\\"\"\n";
  s += "      if (o != \"\") item = item \",\\\"old_path\\\":\\\"\" o \"\\\"\"\n";
  s += "      items[++n] = item \"}\" }\n";
  s += "    END { printf \"{\\\"changes\\\":[\"; if (!quoted && n <= 2000) for (i = 1; i <= n; i++) printf \"%s%s\", (i > 1 ? \",\" : \"\"), items[i]; printf \"]}\" }')\n";
  s += "  post() {\n";
  s += "    if [ -n \"$token_file\" ] && [ -r \"$token_file\" ]; then\n";
  s += "      curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST -H 'Content-Type: application/json' \\\n";
  s += "        -H \"Authorization: Bearer $(tr -d ' \\t\\r\\n' < \"$token_file\")\" --data-binary \"$1\" \"$url\"\n";
  s += "    else\n";
  s += "      curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST -H 'Content-Type: application/json' \\\n";
  s += "        --data-binary \"$1\" \"$url\"\n";
  s += "    fi\n";
  s += "  }\n";
  s += "  # Refused (a name that is not UTF-8): send none; the run re-checks the whole tree.\n";
  s += "  [ \"$(post \"$body\")\" = 400 ] && post '{\"changes\":[]}'\n";
  s += ") </dev/null >/dev/null 2>&1 &\n";
  s += std::string(kEnd) + "\n";
  return s;
}

// `text` without our block (and the line ending it), or unchanged when it has none.
std::string WithoutBlock(const std::string& text, bool* had) {
  size_t b = text.find(kBegin);
  size_t e = b == std::string::npos ? std::string::npos : text.find(kEnd, b);
  *had = e != std::string::npos;
  if (!*had) return text;
  size_t end = e + std::string(kEnd).size();
  if (end < text.size() && text[end] == '\n') ++end;
  return text.substr(0, b) + text.substr(end);
}

// Nothing left but a shebang and `exit 0` (the hook trawl wrote from scratch).
bool IsEmptyScript(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line.rfind("#!", 0) == 0) continue;
    size_t e = line.find_last_not_of(" \t\r");
    if (line.substr(b, e - b + 1) == "exit 0") continue;
    return false;
  }
  return true;
}

Result<std::string> Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteExecutable(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".trawl-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!(out << text)) return Status::IoError("cannot write " + tmp.string());
  }
  if (::chmod(tmp.c_str(), 0755) != 0) return Status::IoError("cannot chmod " + tmp.string());
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) return Status::IoError("cannot replace " + p.string() + ": " + ec.message());
  return Status::Ok();
}

// Where git runs hooks from (honours core.hooksPath and worktrees).
Result<fs::path> HooksDir(const std::string& root) {
  std::string cmd = "git -C " + ShellQuote(root) + " rev-parse --path-format=absolute --git-path hooks 2>/dev/null";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return Status::Unavailable("cannot run git");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int rc = ::pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (rc != 0 || out.empty()) return Status::FailedPrecondition(root + " is not in a git repository");
  fs::path p(out);
  if (p.is_relative()) p = fs::path(root) / p;
  return p;
}

}  // namespace

Runner RegisterHooks(CLI::App& app) {
  struct Args {
    std::string action;
    std::string path = ".";
    std::string url;
    bool force = false, append = false;
    CommonFlags common;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "hooks", "Install git hooks (post-commit, post-merge, post-checkout) that tell `trawl serve` what changed");
  cmd->add_option("action", args->action, "install or uninstall")
      ->required()
      ->check(CLI::IsMember({"install", "uninstall"}));
  cmd->add_option("path", args->path, "the repository (default: .)")->check(kNonEmptyPath);
  cmd->add_option("--url", args->url, "the server (default: http://<server.host>:<server.port>)");
  cmd->add_flag("--append", args->append, "add trawl's block to existing hooks that are not trawl's");
  cmd->add_flag("--force", args->force, "replace existing hooks that are not trawl's");
  AddCommonFlags(cmd, &args->common, /*with_index=*/false);
  return [args] {
    Result<Options> opts = Load(args->path, args->common);
    if (!opts.ok()) return Fail(opts.status());
    Result<fs::path> dir = HooksDir(opts->root);
    if (!dir.ok()) return Fail(dir.status());
    std::string base = args->url;
    if (base.empty()) {
      std::string host = opts->server.host == "0.0.0.0" || opts->server.host.empty() ? "127.0.0.1" : opts->server.host;
      base = fmt::format("http://{}:{}", host, opts->server.port);
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string token_file = opts->server.token_file;
    if (!token_file.empty() && fs::path(token_file).is_relative()) token_file = (fs::path(opts->root) / token_file).string();

    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (args->action == "uninstall") {
      for (const char* hook : kHooks) {
        fs::path p = *dir / hook;
        if (!fs::exists(p, ec)) continue;
        Result<std::string> text = Slurp(p);
        if (!text.ok()) return Fail(text.status());
        bool had = false;
        std::string rest = WithoutBlock(*text, &had);
        if (!had) continue;
        if (IsEmptyScript(rest)) {
          fs::remove(p, ec);
        } else {
          Status st = WriteExecutable(p, rest);
          if (!st.ok()) return Fail(st);
        }
        std::fprintf(stderr, "removed trawl's block from %s\n", p.c_str());
      }
      return kExitOk;
    }

    // Check every hook first: all three are installed, or none.
    std::vector<std::string> foreign;
    for (const char* hook : kHooks) {
      fs::path p = *dir / hook;
      if (!fs::exists(p, ec)) continue;
      Result<std::string> text = Slurp(p);
      if (!text.ok()) return Fail(text.status());
      bool had = false;
      WithoutBlock(*text, &had);
      if (!had) foreign.push_back(p.string());
    }
    if (!foreign.empty() && !args->force && !args->append) {
      std::string list;
      for (const auto& f : foreign) list += "\n  " + f;
      return Fail(Status::FailedPrecondition(
          "these hooks exist and are not trawl's:" + list +
          "\nnothing was changed; use --append to add trawl's block to them, or --force to replace them"));
    }
    for (const char* hook : kHooks) {
      fs::path p = *dir / hook;
      std::string block = HookBlock(hook, base + "/v1/changes", token_file);
      std::string text;
      if (fs::exists(p, ec) && !args->force) {
        Result<std::string> old = Slurp(p);
        if (!old.ok()) return Fail(old.status());
        bool had = false;
        text = WithoutBlock(*old, &had);
        if (!text.empty() && text.back() != '\n') text += '\n';
        // Before a final `exit`, or the block would never run.
        size_t last = text.find_last_not_of(" \t\r\n");
        size_t line = last == std::string::npos ? 0 : text.rfind('\n', last);
        line = line == std::string::npos ? 0 : line + 1;
        if (last != std::string::npos && text.compare(line, 4, "exit") == 0) {
          text.insert(line, block);
        } else {
          text += block;
        }
      } else {
        text = "#!/bin/sh\n" + block + "exit 0\n";
      }
      Status st = WriteExecutable(p, text);
      if (!st.ok()) return Fail(st);
      std::fprintf(stderr, "installed %s\n", p.c_str());
    }
    std::fprintf(stderr, "hooks send changed files to %s/v1/changes (in the background, 2 s timeout)\n", base.c_str());
    return kExitOk;
  };
}

}  // namespace trawl::cli
