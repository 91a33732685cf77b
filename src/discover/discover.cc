#include "discover/discover.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for_each.h>
#include <oneapi/tbb/task_arena.h>

#include "base/mutex.h"
#include "discover/dir_entry.h"
#include "discover/ignore.h"
#include "discover/ignore_stack.h"
#include "discover/language.h"

namespace trawl {
namespace {

constexpr size_t kHeadBytes = 8192;
constexpr uint64_t kMaxIgnoreFileBytes = 100u << 20;  // git's PATTERN_MAX_FILE_SIZE

// Trawl's default ignores, lowest precedence: a .gitignore may re-include with '!'.
// Directory rules yield to tracked files (a committed build/ folder is source); file
// rules do not (lock files and minified bundles are usually committed, and noise).
constexpr std::string_view kDefaultIgnores =
    // Other VCS folders (".git" itself is never entered, with or without defaults).
    ".hg/\n.svn/\n.bzr/\n_darcs/\nCVS/\n.jj/\n"
    // trawl's own index folders (the current one is excluded whatever the settings).
    ".trawl/\n"
    // Dependencies, virtualenvs, caches.
    "node_modules/\nbower_components/\njspm_packages/\n__pycache__/\n.venv/\nvenv/\n.tox/\n"
    ".nox/\n.mypy_cache/\n.pytest_cache/\n.ruff_cache/\n.hypothesis/\n.eggs/\n*.egg-info/\n"
    ".ipynb_checkpoints/\n.gradle/\n.dart_tool/\n.stack-work/\n.terraform/\n.serverless/\n"
    ".cache/\n.parcel-cache/\n.turbo/\n.nyc_output/\nPods/\n"
    // Build output.
    "target/\nbuild/\ndist/\n_build/\n.next/\n.nuxt/\n.svelte-kit/\n.angular/\nDerivedData/\n"
    "zig-cache/\n.zig-cache/\nzig-out/\ncmake-build-*/\n"
    // Lock files.
    "package-lock.json\nnpm-shrinkwrap.json\nyarn.lock\npnpm-lock.yaml\nbun.lockb\nCargo.lock\n"
    "poetry.lock\nPipfile.lock\nuv.lock\npdm.lock\ncomposer.lock\nGemfile.lock\nmix.lock\n"
    "Podfile.lock\nflake.lock\ngo.sum\npackages.lock.json\n"
    // Minified bundles, source maps, generated code.
    "*.min.js\n*.min.mjs\n*.min.css\n*.map\n*-min.js\n*_pb2.py\n*_pb2_grpc.py\n*.pb.go\n"
    "*.pb.cc\n*.pb.h\n*.g.dart\n*.freezed.dart\n.DS_Store\n";

std::string Errno(int err) { return std::strerror(err); }

std::string HumanSize(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MB", static_cast<double>(bytes) / (1u << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  }
  std::string s(buf);
  if (size_t pos = s.find(".0 "); pos != std::string::npos) s.erase(pos, 2);  // "1.0 MB" -> "1 MB"
  return s;
}

// Reads at most `max_bytes` of an entry of directory `dir_fd` (only what one read()
// returns when `one_read`: enough for a file head); errno-style error.
int ReadAt(int dir_fd, const char* name, bool follow, size_t max_bytes, std::string* out,
           bool one_read = false) {
  // O_NONBLOCK and the check below: a FIFO named .gitignore must not hang the walk.
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return errno;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return EINVAL;
  }
  out->clear();
  char buf[16384];
  while (out->size() < max_bytes) {
    size_t want = std::min(sizeof(buf), max_bytes - out->size());
    ssize_t n = read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (one_read) break;
  }
  close(fd);
  return 0;
}

struct DirTask {
  std::string rel;  // relative to the root: "" or "a/b/"
  const IgnoreLevel* level = nullptr;  // lives in the walk's levels_ for the whole walk
  // Set when the directory itself is ignored but holds files git tracks: only those
  // are kept (git cannot re-include anything else below an excluded directory).
  const IgnoreRule* ignored_by = nullptr;
  bool via_symlink = false;
};

// One entry of a directory as readdir gives it.
struct DirEntry {
  std::string name;
  unsigned char type;  // d_type
};

// The entries of an open directory but ".", ".." and ".git" (git never looks inside
// .git), read whole before any is visited. Owns the directory: entries are stat'ed
// and opened relative to fd().
class DirListing {
 public:
  explicit DirListing(DIR* dir) : dir_(dir) {
    while (struct dirent* de = readdir(dir)) {
      std::string_view name(de->d_name);
      if (name == "." || name == ".." || name == ".git") continue;
      if (name == ".gitignore") has_gitignore_ = true;
      if (name == ".trawlignore") has_trawlignore_ = true;
      entries_.push_back({std::string(name), de->d_type});
    }
  }
  int fd() const { return dirfd(dir_.get()); }
  const std::vector<DirEntry>& entries() const { return entries_; }
  bool has_gitignore() const { return has_gitignore_; }
  bool has_trawlignore() const { return has_trawlignore_; }

 private:
  struct Closer {
    void operator()(DIR* dir) const { closedir(dir); }
  };
  std::unique_ptr<DIR, Closer> dir_;
  std::vector<DirEntry> entries_;
  bool has_gitignore_ = false;
  bool has_trawlignore_ = false;
};

// Appends the rules of the ignore file `name` of the directory `dir_fd` (at `rel`),
// when it is a regular file that can be read and has any.
void ReadIgnoreFile(int dir_fd, const char* name, const std::string& match_dir, const std::string& rel,
                    RuleOrigin origin, std::vector<IgnoreFile>* files) {
  std::string content;
  if (ReadAt(dir_fd, name, false, kMaxIgnoreFileBytes, &content) != 0) return;
  IgnoreFile f = IgnoreFile::Parse(content, match_dir, rel + name, origin);
  if (!f.empty()) files->push_back(std::move(f));
}

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator<(const DevIno& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

struct GitIndexDeleter {
  void operator()(git_index* index) const { git_index_free(index); }
};
struct GitRepoDeleter {
  void operator()(git_repository* repo) const { git_repository_free(repo); }
};

class Walk {
 public:
  Walk(const DiscoverOptions& options, const std::atomic<bool>* cancel)
      : options_(options), cancel_(cancel) {}
  ~Walk() {
    index_.reset();
    repo_.reset();
    if (git_initialized_) git_libgit2_shutdown();
  }
  Walk(const Walk&) = delete;
  Walk& operator=(const Walk&) = delete;

  Result<std::vector<FileEntry>> Run();

 private:
  Status Setup();
  void OpenRepository();
  const IgnoreLevel* AddLevel(const IgnoreLevel* parent, std::vector<IgnoreFile> files);

  using Feeder = oneapi::tbb::feeder<DirTask>;
  // A directory being visited: what its entries are judged by.
  struct DirVisit {
    const DirTask& task;
    int fd;                    // the open directory
    const IgnoreLevel* level;  // its rules and its ancestors'
    std::string match_dir;     // its path as git sees it: git_prefix_ + task.rel
  };

  // One directory: read it, read its ignore files, visit each entry, publish what
  // was found. The walk's per-directory task.
  void VisitDir(const DirTask& task, Feeder& feeder);
  // The directory's entries, or nullopt when it cannot be read (reported in `out`,
  // or for the root, the walk's error) or was walked already by another path.
  std::optional<DirListing> ReadDir(const DirTask& task, std::vector<FileEntry>* out);
  // Follows a link only for the root and for directories reached through a followed
  // link; -1 when the directory cannot be opened (reported as ReadDir says).
  int OpenDir(const DirTask& task, std::vector<FileEntry>* out);
  // With follow_symlinks, a directory reachable by two paths (a link to an ancestor,
  // two links to one folder) is walked once: false, and a symlink skip, for the second.
  bool FirstVisit(const DirTask& task, int fd, std::vector<FileEntry>* out);
  // The rules of the directory's entries: its .gitignore, then its .trawlignore
  // (which wins), then at the root the config patterns (which win over both), over
  // its parent's.
  const IgnoreLevel* LevelFor(const DirTask& task, const DirListing& dir, const std::string& match_dir);
  // One entry: what it is, whether the walk covers it, whether it is ignored, then
  // skip it, feed it (a directory) or classify it (a file).
  void VisitEntry(const DirVisit& dir, const DirEntry& entry, Feeder& feeder, std::vector<FileEntry>* out);
  // What `entry` of the open directory `dir_fd` is, and the stat made on the way if
  // any; errno-style error when it cannot be lstat'ed.
  int ResolveEntry(int dir_fd, const DirEntry& entry, EntryFacts* facts, std::optional<struct stat>* st) const;
  // Neither walked nor reported: outside the scope, or an excluded directory.
  bool OutsideWalk(const std::string& rel, bool is_dir) const;
  void FeedDir(DirTask child, Feeder& feeder);
  // Adds a directory's entries to the walk's results.
  void Publish(std::vector<FileEntry> out);

  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); }
  void Skip(std::vector<FileEntry>* out, std::string rel, SkipReason skip, std::string reason) const;
  // `rel` exists (or existed) but could not be stat'ed or opened: errno `err`.
  void SkipUnreadable(std::vector<FileEntry>* out, std::string rel, int err) const;
  // Adds the skipped entry to `out` (the two above decide whether to).
  void Report(std::vector<FileEntry>* out, std::string rel, SkipReason skip, std::string reason) const;
  void ClassifyFile(int dir_fd, const char* name, std::string rel, bool follow,
                    const struct stat* known_stat, std::vector<FileEntry>* out) const;

  const DiscoverOptions& options_;
  const std::atomic<bool>* cancel_;
  std::string root_abs_;     // absolute, lexically normal, no trailing '/' (unless "/")
  std::string root_prefix_;  // root_abs_ + '/' (abs paths are root_prefix_ + rel)
  std::string git_prefix_;   // the root relative to the work tree's top: "" or "sub/dir/"
  bool in_work_tree_ = false;  // the root is inside a git work tree
  std::vector<std::string> exclude_rel_;  // exclude_dirs under the root: "a/b/"
  std::optional<PathScope> scope_;        // DiscoverOptions::scope, when given
  IgnoreStack ignores_;  // .git/info/exclude, defaults, tracked files
  const IgnoreLevel* root_level_ = nullptr;  // .gitignore files above the root, if any

  bool git_initialized_ = false;
  std::unique_ptr<git_repository, GitRepoDeleter> repo_;
  std::unique_ptr<git_index, GitIndexDeleter> index_;

  Mutex mu_;
  std::vector<std::unique_ptr<IgnoreLevel>> levels_ GUARDED_BY(mu_);
  std::vector<FileEntry> results_ GUARDED_BY(mu_);
  std::vector<DirTask> pending_links_ GUARDED_BY(mu_);  // directory symlinks for the next round
  std::map<DevIno, std::string> visited_ GUARDED_BY(mu_);  // follow_symlinks only
  Status root_error_ GUARDED_BY(mu_);
};

const IgnoreLevel* Walk::AddLevel(const IgnoreLevel* parent, std::vector<IgnoreFile> files) {
  auto level = std::make_unique<IgnoreLevel>();
  level->parent = parent;
  level->files = std::move(files);
  const IgnoreLevel* ptr = level.get();
  MutexLock lock(&mu_);
  levels_.push_back(std::move(level));
  return ptr;
}

void Walk::OpenRepository() {
  git_libgit2_init();
  git_initialized_ = true;
  std::error_code ec;
  std::string root_real = std::filesystem::canonical(root_abs_, ec).string();
  if (ec) return;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, root_real.c_str(), 0, nullptr) != 0) return;
  repo_.reset(raw);
  const char* workdir = git_repository_workdir(raw);
  if (workdir == nullptr) return;  // bare
  std::string top = std::filesystem::canonical(workdir, ec).string();
  if (ec) return;
  if (root_real == top) {
    git_prefix_.clear();
  } else if (root_real.size() > top.size() && root_real.compare(0, top.size(), top) == 0 &&
             (top == "/" || root_real[top.size()] == '/')) {
    git_prefix_ = root_real.substr(top == "/" ? 1 : top.size() + 1) + "/";
    if (git_prefix_ == ".git/" || git_prefix_.starts_with(".git/")) return;  // inside the git dir
  } else {
    return;
  }
  in_work_tree_ = true;

  git_index* index = nullptr;
  if (git_repository_index(&index, raw) == 0) {
    index_.reset(index);
    size_t n = git_index_entrycount(index);
    std::vector<std::string_view> tracked;  // point into index_
    tracked.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const git_index_entry* e = git_index_get_byindex(index, i);
      if (e == nullptr || e->path == nullptr) continue;
      std::string_view path(e->path);
      if (path.starts_with(git_prefix_)) tracked.push_back(path);
    }
    ignores_.set_tracked(TrackedPaths(std::move(tracked)));
  }

  // .git/info/exclude: below every .gitignore in precedence.
  const char* common = git_repository_commondir(raw);
  if (common != nullptr) {
    std::string path = std::string(common) + "info/exclude";
    std::string content;
    if (ReadAt(AT_FDCWD, path.c_str(), true, kMaxIgnoreFileBytes, &content) == 0) {
      std::string source = std::filesystem::path(path).lexically_relative(root_real).string();
      if (source.empty()) source = path;
      ignores_.set_info_exclude(IgnoreFile::Parse(content, "", std::move(source)));
    }
  }

  // .gitignore files of the directories from the work tree's top down to the root's parent.
  if (!git_prefix_.empty()) {
    std::vector<std::string_view> parts;
    for (size_t start = 0; start < git_prefix_.size();) {
      size_t slash = git_prefix_.find('/', start);
      parts.push_back(std::string_view(git_prefix_).substr(0, slash + 1));
      start = slash + 1;
    }
    // parts: "sub/", "sub/dir/"; the ancestors are "", "sub/" (all but the last).
    const IgnoreLevel* level = nullptr;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string base = i == 0 ? "" : std::string(parts[i - 1]);
      std::string dir = top + "/" + base;
      std::string content;
      if (ReadAt(AT_FDCWD, (dir + ".gitignore").c_str(), false, kMaxIgnoreFileBytes, &content) != 0) {
        continue;
      }
      std::string source;
      for (size_t up = i; up < parts.size(); ++up) source += "../";
      source += ".gitignore";
      std::vector<IgnoreFile> files;
      files.push_back(IgnoreFile::Parse(content, base, std::move(source)));
      level = AddLevel(level, std::move(files));
    }
    root_level_ = level;
  }
}

Status Walk::Setup() {
  if (!options_.scope.empty()) scope_.emplace(options_.scope);
  if (options_.root.empty()) return Status::InvalidArgument("discover: empty root");
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(options_.root, ec);
  if (ec) return Status::InvalidArgument("discover: bad root " + options_.root + ": " + ec.message());
  root_abs_ = abs.lexically_normal().string();
  while (root_abs_.size() > 1 && root_abs_.back() == '/') root_abs_.pop_back();
  root_prefix_ = root_abs_ == "/" ? "/" : root_abs_ + "/";
  struct stat st;
  if (stat(root_abs_.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("discover: no such directory: " + root_abs_);
    if (err == EACCES) return Status::PermissionDenied("discover: " + root_abs_ + ": " + Errno(err));
    return Status::IoError("discover: " + root_abs_ + ": " + Errno(err));
  }
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("discover: not a directory: " + root_abs_);

  OpenRepository();

  std::string root_real = std::filesystem::canonical(root_abs_, ec).string();
  if (ec) root_real = root_abs_;
  for (const std::string& dir : options_.exclude_dirs) {
    std::filesystem::path p = std::filesystem::absolute(dir, ec);
    if (ec) continue;
    std::filesystem::path real = std::filesystem::weakly_canonical(p, ec);
    if (ec) real = p.lexically_normal();
    std::string rel = real.lexically_relative(root_real).string();
    if (rel.empty() || rel == "." || rel.starts_with("..")) continue;
    while (!rel.empty() && rel.back() == '/') rel.pop_back();
    exclude_rel_.push_back(rel + "/");
  }

  if (options_.use_default_ignores) {
    ignores_.set_defaults(IgnoreFile::Parse(kDefaultIgnores, "", "default", RuleOrigin::kDefault));
  }
  return Status::Ok();
}

void Walk::SkipUnreadable(std::vector<FileEntry>* out, std::string rel, int err) const {
  bool gone = err == ENOENT || err == ENOTDIR;  // removed while walked: nothing to keep
  if (options_.report_skipped || (options_.report_unreadable && !gone)) {
    Report(out, std::move(rel), SkipReason::kUnreadable, "unreadable: " + Errno(err));
  }
}

void Walk::Skip(std::vector<FileEntry>* out, std::string rel, SkipReason skip, std::string reason) const {
  if (options_.report_skipped) Report(out, std::move(rel), skip, std::move(reason));
}

void Walk::Report(std::vector<FileEntry>* out, std::string rel, SkipReason skip, std::string reason) const {
  FileEntry e;
  e.abs_path = root_prefix_ + rel;
  e.path = std::move(rel);
  e.skip = skip;
  e.reason = std::move(reason);
  out->push_back(std::move(e));
}

void Walk::ClassifyFile(int dir_fd, const char* name, std::string rel, bool follow,
                        const struct stat* known_stat, std::vector<FileEntry>* out) const {
  NameInfo info = LanguageFromName(rel);
  if (info.kind == NameKind::kUnsupported) {
    Skip(out, std::move(rel), SkipReason::kUnsupported, "unsupported: " + std::string(info.extension));
    return;
  }
  struct stat st;
  if (known_stat != nullptr) {
    st = *known_stat;
  } else if (fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
    SkipUnreadable(out, std::move(rel), errno);
    return;
  }
  FileEntry e;
  e.size = static_cast<uint64_t>(st.st_size);
  e.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  e.inode = static_cast<uint64_t>(st.st_ino);
  if (e.size > options_.max_file_size_bytes) {
    if (!options_.report_skipped) return;
    e.skip = SkipReason::kTooLarge;
    e.reason = "too_large: " + HumanSize(e.size) + " > " + HumanSize(options_.max_file_size_bytes);
  } else if (options_.check_content || info.kind == NameKind::kUnknown) {
    std::string head;
    if (int err = ReadAt(dir_fd, name, follow, kHeadBytes, &head, /*one_read=*/true); err != 0) {
      e.skip = SkipReason::kUnreadable;
      e.reason = "unreadable: " + Errno(err);
    } else if (LooksBinary(head)) {
      e.skip = SkipReason::kBinary;
      e.reason = "binary";
    } else if (info.kind == NameKind::kUnknown) {
      std::string_view lang = LanguageFromShebang(head);
      e.language = lang.empty() ? "text" : std::string(lang);
    } else if (info.language == "c" && IsCppHeader(rel, head)) {
      e.language = "cpp";
    } else {
      e.language = std::string(info.language);
    }
  } else {
    e.language = std::string(info.language);
  }
  if (e.skipped() && !options_.report_skipped) return;
  e.abs_path = root_prefix_ + rel;
  e.path = std::move(rel);
  out->push_back(std::move(e));
}

void Walk::VisitDir(const DirTask& task, Feeder& feeder) {
  if (Cancelled()) return;
  std::vector<FileEntry> out;
  if (std::optional<DirListing> listing = ReadDir(task, &out)) {
    DirVisit dir{task, listing->fd(), nullptr, git_prefix_ + task.rel};
    dir.level = LevelFor(task, *listing, dir.match_dir);
    for (const DirEntry& entry : listing->entries()) VisitEntry(dir, entry, feeder, &out);
  }
  Publish(std::move(out));
}

std::optional<DirListing> Walk::ReadDir(const DirTask& task, std::vector<FileEntry>* out) {
  int fd = OpenDir(task, out);
  if (fd < 0) return std::nullopt;
  if (!FirstVisit(task, fd, out)) {
    close(fd);
    return std::nullopt;
  }
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    SkipUnreadable(out, task.rel, err);
    return std::nullopt;
  }
  return DirListing(dir);
}

int Walk::OpenDir(const DirTask& task, std::vector<FileEntry>* out) {
  bool is_root = task.rel.empty();
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | ((is_root || task.via_symlink) ? 0 : O_NOFOLLOW);
  int fd = open((root_prefix_ + task.rel).c_str(), flags);
  if (fd >= 0) return fd;
  int err = errno;
  if (is_root) {
    MutexLock lock(&mu_);
    root_error_ = Status::IoError("discover: cannot open " + root_abs_ + ": " + Errno(err));
  } else {
    SkipUnreadable(out, task.rel, err);
  }
  return -1;
}

bool Walk::FirstVisit(const DirTask& task, int fd, std::vector<FileEntry>* out) {
  if (!options_.follow_symlinks) return true;
  struct stat st;
  if (fstat(fd, &st) != 0) return true;
  std::string first;
  {
    MutexLock lock(&mu_);
    auto [it, inserted] = visited_.emplace(DevIno{st.st_dev, st.st_ino}, task.rel);
    if (inserted) return true;
    first = it->second;
  }
  Skip(out, task.rel, SkipReason::kSymlink, "symlink: already walked as " + (first.empty() ? std::string("./") : first));
  return false;
}

const IgnoreLevel* Walk::LevelFor(const DirTask& task, const DirListing& dir, const std::string& match_dir) {
  std::vector<IgnoreFile> files;
  // Like git since 2.32, an in-tree ignore file that is a symlink is not read.
  // As git (and ripgrep) do, .gitignore files count only inside a git work tree: an
  // unpacked tarball's .gitignore describes a repository that is not there.
  if (dir.has_gitignore() && (in_work_tree_ || !options_.require_git)) {
    ReadIgnoreFile(dir.fd(), ".gitignore", match_dir, task.rel, RuleOrigin::kGit, &files);
  }
  if (dir.has_trawlignore()) {
    ReadIgnoreFile(dir.fd(), ".trawlignore", match_dir, task.rel, RuleOrigin::kTrawl, &files);
  }
  if (task.rel.empty() && !task.via_symlink && !options_.extra_patterns.empty()) {
    std::string joined;
    for (const std::string& p : options_.extra_patterns) {
      joined += p;
      joined += '\n';
    }
    IgnoreFile f = IgnoreFile::Parse(joined, match_dir, "config", RuleOrigin::kTrawl);
    if (!f.empty()) files.push_back(std::move(f));
  }
  return files.empty() ? task.level : AddLevel(task.level, std::move(files));
}

void Walk::VisitEntry(const DirVisit& dir, const DirEntry& entry, Feeder& feeder, std::vector<FileEntry>* out) {
  std::string rel = dir.task.rel + entry.name;
  EntryFacts facts;
  std::optional<struct stat> st;
  if (int err = ResolveEntry(dir.fd, entry, &facts, &st); err != 0) {
    SkipUnreadable(out, std::move(rel), err);
    return;
  }
  bool is_dir = facts.kind == EntryKind::kDir;
  if (OutsideWalk(rel, is_dir)) return;
  std::string match_path;  // as git sees it, when the root is below the work tree's top
  if (!git_prefix_.empty()) match_path = dir.match_dir + entry.name;
  std::string_view mpath = git_prefix_.empty() ? std::string_view(rel) : std::string_view(match_path);
  IgnoreVerdict verdict = ignores_.Judge(dir.level, dir.task.ignored_by, mpath, is_dir);
  switch (ChooseAction(facts, verdict.ignored())) {
    case EntryAction::kSkipIgnored:
      if (is_dir) rel += '/';
      Skip(out, std::move(rel), SkipReason::kIgnored, "ignored: " + verdict.rule->Describe());
      return;
    case EntryAction::kSkipSymlink:
      Skip(out, std::move(rel), SkipReason::kSymlink, "symlink");
      return;
    case EntryAction::kSkipDanglingSymlink:
      Skip(out, std::move(rel), SkipReason::kUnreadable, "unreadable: dangling symlink");
      return;
    case EntryAction::kEnterDir:
    case EntryAction::kEnterLinkedDir:
      // A non-null ignored_by: the directory is ignored, entered only for tracked files.
      FeedDir(DirTask{rel + "/", dir.level, verdict.rule, facts.via_link}, feeder);
      return;
    case EntryAction::kSkipSpecial:
      Skip(out, std::move(rel), SkipReason::kUnsupported, "unsupported: not a regular file");
      return;
    case EntryAction::kClassifyFile:
      ClassifyFile(dir.fd, entry.name.c_str(), std::move(rel), facts.via_link, st ? &*st : nullptr, out);
      return;
  }
}

int Walk::ResolveEntry(int dir_fd, const DirEntry& entry, EntryFacts* facts, std::optional<struct stat>* st) const {
  struct stat buf;
  std::optional<EntryKind> kind = KindFromDirentType(entry.type);
  if (!kind) {
    if (fstatat(dir_fd, entry.name.c_str(), &buf, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    *st = buf;
    kind = KindFromMode(buf.st_mode);
  }
  facts->kind = *kind;
  if (*kind == EntryKind::kSymlink && options_.follow_symlinks) {
    // Followed links are what they point to; git itself treats links as files.
    if (fstatat(dir_fd, entry.name.c_str(), &buf, 0) == 0) {
      *st = buf;
      facts->kind = KindFromMode(buf.st_mode);
      facts->via_link = true;
    } else {
      st->reset();
      facts->kind = EntryKind::kDanglingSymlink;
    }
  }
  return 0;
}

bool Walk::OutsideWalk(const std::string& rel, bool is_dir) const {
  if (scope_ && !scope_->Reaches(rel, is_dir)) return true;
  return is_dir && !exclude_rel_.empty() &&
         std::find(exclude_rel_.begin(), exclude_rel_.end(), rel + "/") != exclude_rel_.end();
}

void Walk::FeedDir(DirTask child, Feeder& feeder) {
  if (child.via_symlink) {
    // Walked in a later round, in path order, so that which path of a directory
    // reachable twice gets walked does not depend on thread timing.
    MutexLock lock(&mu_);
    pending_links_.push_back(std::move(child));
  } else {
    feeder.add(std::move(child));
  }
}

void Walk::Publish(std::vector<FileEntry> out) {
  if (out.empty()) return;
  MutexLock lock(&mu_);
  if (results_.empty()) {
    results_ = std::move(out);
  } else {
    for (FileEntry& e : out) results_.push_back(std::move(e));
  }
}

Result<std::vector<FileEntry>> Walk::Run() {
  TRAWL_RETURN_IF_ERROR(Setup());
  DirTask root;
  root.level = root_level_;
  std::vector<DirTask> round{std::move(root)};
  int threads = options_.threads > 0 ? options_.threads : oneapi::tbb::task_arena::automatic;
  // More threads than cores only pay while they wait on the disk; oneTBB's pool must
  // be allowed to have them.
  std::optional<oneapi::tbb::global_control> pool;
  if (threads > oneapi::tbb::this_task_arena::max_concurrency()) {
    pool.emplace(oneapi::tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  }
  oneapi::tbb::task_arena arena(threads);
  try {
    while (!round.empty() && !Cancelled()) {
      for (DirTask& start : round) {
        std::vector<DirTask> one{std::move(start)};
        arena.execute([&] {
          oneapi::tbb::parallel_for_each(one.begin(), one.end(),
                                         [this](const DirTask& t, oneapi::tbb::feeder<DirTask>& feeder) {
                                           VisitDir(t, feeder);
                                         });
        });
        if (Cancelled()) break;
      }
      MutexLock lock(&mu_);
      if (!root_error_.ok()) return root_error_;
      round = std::move(pending_links_);
      pending_links_.clear();
      std::sort(round.begin(), round.end(), [](const DirTask& a, const DirTask& b) { return a.rel < b.rel; });
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("discover: ") + e.what());
  }
  if (Cancelled()) return Status::Cancelled("discover: cancelled");
  std::vector<FileEntry> results;
  {
    MutexLock lock(&mu_);
    results = std::move(results_);
  }
  std::sort(results.begin(), results.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return results;
}

}  // namespace

Result<std::vector<FileEntry>> Discover(const DiscoverOptions& options, const std::atomic<bool>* cancel) {
  Walk walk(options, cancel);
  return walk.Run();
}

PathScope::PathScope(std::vector<std::string> paths) {
  for (std::string& p : paths) {
    while (!p.empty() && p.back() == '/') p.pop_back();
    while (p.rfind("./", 0) == 0) p.erase(0, 2);
    if (p.empty() || p == "." || p.front() == '/') continue;
    bool dots = false;
    for (size_t start = 0; start <= p.size();) {
      size_t slash = std::min(p.find('/', start), p.size());
      std::string_view part(p.data() + start, slash - start);
      dots |= part == ".." || part == "." || part.empty();
      start = slash + 1;
    }
    if (!dots) paths_.push_back(std::move(p));
  }
  std::sort(paths_.begin(), paths_.end());
  paths_.erase(std::unique(paths_.begin(), paths_.end()), paths_.end());
}

bool PathScope::Holds(std::string_view rel) const {
  while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
  // `rel` itself or a folder above it (each prefix ending at a '/').
  for (size_t end = rel.size(); end != std::string_view::npos && end > 0; end = rel.rfind('/', end - 1)) {
    if (std::binary_search(paths_.begin(), paths_.end(), rel.substr(0, end))) return true;
    if (end == 0) break;
  }
  return false;
}

bool PathScope::Reaches(std::string_view rel, bool is_dir) const {
  while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
  if (Holds(rel)) return true;
  if (!is_dir) return false;
  // A path below `rel/`: the first one not less than "rel/" starts with it.
  std::string prefix(rel);
  prefix += '/';
  auto it = std::lower_bound(paths_.begin(), paths_.end(), prefix);
  return it != paths_.end() && it->compare(0, prefix.size(), prefix) == 0;
}

}  // namespace trawl
