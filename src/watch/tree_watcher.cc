#include "watch/tree_watcher.h"

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace trawl {
namespace {

constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                              IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                              IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::string BaseName(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string Normal(const std::string& p) {
  std::string s = std::filesystem::path(p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Result<std::unique_ptr<TreeWatcher>> TreeWatcher::Open(Config config) {
  config.root = Normal(config.root);
  for (auto& d : config.exclude_dirs) d = Normal(d);
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::IoError(std::string("inotify_init1: ") + std::strerror(errno));
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    int e = errno;
    ::close(fd);
    return Status::IoError(std::string("eventfd: ") + std::strerror(e));
  }
  std::unique_ptr<TreeWatcher> w(new TreeWatcher(std::move(config), fd, wake));
  if (::inotify_add_watch(fd, w->config_.root.c_str(), kDirMask) < 0) {
    return Status::IoError("cannot watch " + w->config_.root + ": " + std::strerror(errno));
  }
  w->AddTree("");
  return w;
}

TreeWatcher::TreeWatcher(Config config, int inotify_fd, int wake_fd)
    : config_(std::move(config)), fd_(inotify_fd), wake_fd_(wake_fd) {}

TreeWatcher::~TreeWatcher() {
  ::close(fd_);
  ::close(wake_fd_);
}

std::string TreeWatcher::Abs(const std::string& rel) const {
  return rel.empty() ? config_.root : config_.root + "/" + rel;
}

bool TreeWatcher::Excluded(const std::string& rel) const {
  if (rel.empty()) return false;
  if (BaseName(rel) == ".git") return true;
  std::string abs = Abs(rel);
  for (const auto& d : config_.exclude_dirs) {
    if (abs == d || (abs.size() > d.size() && abs.compare(0, d.size(), d) == 0 && abs[d.size()] == '/')) {
      return true;
    }
  }
  return config_.skip_dir && config_.skip_dir(rel);
}

// Watches `rel` and every directory below it that is not excluded. Idempotent: a
// directory already watched keeps its watch (inotify returns the same descriptor).
void TreeWatcher::AddTree(const std::string& rel) {
  std::vector<std::string> stack{rel};
  while (!stack.empty()) {
    std::string dir = std::move(stack.back());
    stack.pop_back();
    std::string abs = Abs(dir);
    int wd = ::inotify_add_watch(fd_, abs.c_str(), kDirMask);
    if (wd < 0) {
      if (errno == ENOSPC && !warned_limit_) {
        warned_limit_ = true;
        std::fprintf(stderr,
                     "trawl: inotify watch limit reached at %s: changes below it are seen only at the next "
                     "full run (raise fs.inotify.max_user_watches)\n",
                     abs.c_str());
      }
      continue;  // ENOENT: gone already; the change that removed it is reported
    }
    auto old = by_wd_.find(wd);
    if (old != by_wd_.end() && old->second != dir) by_path_.erase(old->second);
    by_wd_[wd] = dir;
    by_path_[dir] = wd;
    DIR* d = ::opendir(abs.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      const char* n = e->d_name;
      if (std::strcmp(n, ".") == 0 || std::strcmp(n, "..") == 0) continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::lstat((abs + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      if (!is_dir) continue;  // symlinks to directories are not followed
      std::string child = Join(dir, n);
      if (!Excluded(child)) stack.push_back(std::move(child));
    }
    ::closedir(d);
  }
}

void TreeWatcher::RemoveTree(const std::string& rel) {
  auto it = by_path_.lower_bound(rel);
  while (it != by_path_.end() &&
         (it->first == rel || (it->first.size() > rel.size() && it->first.compare(0, rel.size(), rel) == 0 &&
                               it->first[rel.size()] == '/'))) {
    ::inotify_rm_watch(fd_, it->second);
    by_wd_.erase(it->second);
    it = by_path_.erase(it);
  }
}

void TreeWatcher::Resync() {
  std::vector<std::string> now_skipped;
  for (const auto& [rel, wd] : by_path_) {
    if (Excluded(rel)) now_skipped.push_back(rel);
  }
  for (const auto& rel : now_skipped) RemoveTree(rel);
  AddTree("");
}

void TreeWatcher::Wake() {
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // the counter cannot overflow in practice; a full counter still wakes
}

void TreeWatcher::HandleEvent(uint32_t mask, int wd, const char* name, std::vector<TreeChange>* out) {
  if (mask & IN_Q_OVERFLOW) {
    // Events were lost: re-sync the watches; the caller re-checks the whole tree.
    Resync();
    out->push_back({TreeChange::Kind::kRescan, ""});
    return;
  }
  auto it = by_wd_.find(wd);
  if (mask & IN_IGNORED) {  // the watch is gone (directory deleted or unwatched)
    if (it != by_wd_.end()) {
      auto p = by_path_.find(it->second);
      if (p != by_path_.end() && p->second == wd) by_path_.erase(p);
      by_wd_.erase(it);
    }
    return;
  }
  if (it == by_wd_.end()) return;  // a watch dropped since the event was queued
  const std::string dir = it->second;
  if (name == nullptr || name[0] == '\0') {
    // The watched directory itself.
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
      if (dir.empty()) {
        out->push_back({TreeChange::Kind::kRescan, ""});
      } else {
        out->push_back({TreeChange::Kind::kPath, dir});
      }
    }
    return;
  }
  std::string rel = Join(dir, name);
  if (Excluded(rel)) return;
  if (mask & IN_ISDIR) {
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
      // Files created before the watch was added are found by the run's own walk.
      AddTree(rel);
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
      RemoveTree(rel);
    } else {
      return;  // attributes of a directory: nothing to index
    }
  }
  out->push_back({TreeChange::Kind::kPath, std::move(rel)});
}

Status TreeWatcher::Next(std::vector<TreeChange>* out) {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n >= 0) break;
    if (errno != EINTR) return Status::IoError(std::string("poll: ") + std::strerror(errno));
  }
  if (fds[1].revents & POLLIN) {
    uint64_t v = 0;
    ssize_t n = ::read(wake_fd_, &v, sizeof v);
    (void)n;
  }
  if (!(fds[0].revents & POLLIN)) return Status::Ok();
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t len = ::read(fd_, buf, sizeof buf);
    if (len < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return Status::IoError(std::string("reading inotify events: ") + std::strerror(errno));
    }
    if (len == 0) break;
    for (char* p = buf; p < buf + len;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      HandleEvent(ev->mask, ev->wd, ev->len > 0 ? ev->name : nullptr, out);
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return Status::Ok();
}

}  // namespace trawl
