#include "enrich/git_history.h"

#include <git2.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace trawl {
namespace {

namespace fs = std::filesystem;

template <auto Free>
struct GitFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using RepoPtr = std::unique_ptr<git_repository, GitFree<git_repository_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree_free>>;
using TreeEntryPtr = std::unique_ptr<git_tree_entry, GitFree<git_tree_entry_free>>;

// libgit2 wants one init per process before any use; shutdown runs at exit.
void EnsureLibgit2() {
  struct Library {
    Library() { git_libgit2_init(); }
    ~Library() { git_libgit2_shutdown(); }
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
  };
  static Library library;
}

Status GitError(std::string_view what) {
  const git_error* e = git_error_last();
  std::string message = "git: " + std::string(what) + ": ";
  message += (e != nullptr && e->message != nullptr) ? e->message : "unknown libgit2 error";
  return Status::IoError(std::move(message));
}

std::string OidHex(const git_oid* id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, id);
  return buf;
}

bool IsTree(const git_tree_entry* e) { return e != nullptr && git_tree_entry_type(e) == GIT_OBJECT_TREE; }

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t h;
    std::memcpy(&h, id.id, sizeof h);  // ids are uniformly distributed already
    return h;
  }
};
struct OidEq {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b) != 0; }
};

}  // namespace

// One walk over the history: owns the scratch state and fills the file map of a
// GitHistory. Not thread-safe; lives for one Load().
//
// The walk is our own rather than git_revwalk's: libgit2 1.5 cannot walk a shallow
// clone (the boundary's parents are missing), which is what CI checkouts are. A commit
// whose parent object is missing is treated as having no such parent.
class HistoryWalk {
 public:
  HistoryWalk(git_repository* repo, std::string prefix, GitHistory::FileMap* files)
      : repo_(repo), prefix_(std::move(prefix)), files_(files) {}

  // Loads the commit graph reachable from `head`: ids, trees, times and parents only.
  Status Collect(const git_oid& head, const std::atomic<bool>* cancel) {
    NodeFor(head);
    for (uint32_t i = 0; i < nodes_.size(); ++i) {  // nodes_ grows as parents are found
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return Status::Cancelled("git history walk cancelled");
      }
      git_commit* raw = nullptr;
      int rc = git_commit_lookup(&raw, repo_, &nodes_[i].id);
      if (rc == GIT_ENOTFOUND) {
        if (i == 0) return GitError("reading HEAD");
        nodes_[i].missing = true;  // beyond a shallow clone's boundary
        continue;
      }
      if (rc < 0) return GitError("reading commit " + OidHex(&nodes_[i].id));
      CommitPtr commit(raw);
      git_oid_cpy(&nodes_[i].tree, git_commit_tree_id(commit.get()));
      nodes_[i].time = static_cast<int64_t>(git_commit_time(commit.get()));
      unsigned n = git_commit_parentcount(commit.get());
      nodes_[i].first_parent = static_cast<uint32_t>(parents_.size());
      nodes_[i].num_parents = n;
      for (unsigned p = 0; p < n; ++p) {
        uint32_t parent = NodeFor(*git_commit_parent_id(commit.get(), p));
        parents_.push_back(parent);
        ++nodes_[parent].children;
      }
    }
    return Status::Ok();
  }

  // Registers every file under root in HEAD, with no history yet. False when HEAD has
  // nothing at root (an untracked directory).
  Result<bool> ListHead() {
    TRAWL_ASSIGN_OR_RETURN(const git_oid* id, SubtreeId(0));
    if (id == nullptr) return false;
    TRAWL_ASSIGN_OR_RETURN(TreePtr tree, LookupTree(id));
    std::string path;
    TRAWL_RETURN_IF_ERROR(ListTree(tree.get(), path));
    return true;
  }

  // Visits the collected commits children first, newest first among those ready (git's
  // --date-order), crediting each file to the commits that changed it.
  Status Run(const std::atomic<bool>* cancel, int max_commits) {
    // Max-heap on (time, -index): ties go to the commit found first.
    auto older = [this](uint32_t a, uint32_t b) {
      return nodes_[a].time != nodes_[b].time ? nodes_[a].time < nodes_[b].time : a > b;
    };
    std::vector<uint32_t> ready{0};
    int visited = 0;
    while (!ready.empty()) {
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return Status::Cancelled("git history walk cancelled");
      }
      if (max_commits > 0 && visited >= max_commits) break;
      std::pop_heap(ready.begin(), ready.end(), older);
      uint32_t i = ready.back();
      ready.pop_back();
      ++visited;
      TRAWL_RETURN_IF_ERROR(VisitCommit(i));
      const CommitNode& node = nodes_[i];
      for (uint32_t k = 0; k < node.num_parents; ++k) {
        uint32_t parent = parents_[node.first_parent + k];
        if (--nodes_[parent].children == 0 && !nodes_[parent].missing) {
          ready.push_back(parent);
          std::push_heap(ready.begin(), ready.end(), older);
        }
      }
    }
    return Status::Ok();
  }

 private:
  struct CommitNode {
    git_oid id;
    git_oid tree;              // the commit's top tree
    git_oid subtree;           // the tree at the root prefix, when subtree_state == kPresent
    int64_t time = 0;          // committer time
    uint32_t first_parent = 0; // index into parents_
    uint32_t num_parents = 0;
    uint32_t children = 0;     // not yet visited children, for the topological order
    bool missing = false;      // object absent (shallow clone): not a commit to visit
    enum : uint8_t { kUnknown, kPresent, kAbsent } subtree_state = kUnknown;
  };

  uint32_t NodeFor(const git_oid& id) {
    auto [it, inserted] = index_.try_emplace(id, static_cast<uint32_t>(nodes_.size()));
    if (inserted) {
      nodes_.emplace_back();
      git_oid_cpy(&nodes_.back().id, &id);
    }
    return it->second;
  }

  Result<TreePtr> LookupTree(const git_oid* id) {
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, repo_, id) < 0) return GitError("reading tree " + OidHex(id));
    return TreePtr(raw);
  }

  // Id of the tree at the root prefix in commit `i`, or null when it has none there.
  // Memoized: each commit is asked once for itself and once per child.
  Result<const git_oid*> SubtreeId(uint32_t i) {
    CommitNode& node = nodes_[i];
    if (node.subtree_state == CommitNode::kUnknown) {
      if (prefix_.empty()) {
        git_oid_cpy(&node.subtree, &node.tree);
        node.subtree_state = CommitNode::kPresent;
      } else {
        TRAWL_ASSIGN_OR_RETURN(TreePtr top, LookupTree(&node.tree));
        git_tree_entry* raw_entry = nullptr;
        int rc = git_tree_entry_bypath(&raw_entry, top.get(), prefix_.c_str());
        if (rc < 0 && rc != GIT_ENOTFOUND) return GitError("looking up " + prefix_);
        TreeEntryPtr entry(raw_entry);
        if (rc == GIT_ENOTFOUND || !IsTree(entry.get())) {
          node.subtree_state = CommitNode::kAbsent;
        } else {
          git_oid_cpy(&node.subtree, git_tree_entry_id(entry.get()));
          node.subtree_state = CommitNode::kPresent;
        }
      }
    }
    if (node.subtree_state == CommitNode::kAbsent) return static_cast<const git_oid*>(nullptr);
    return static_cast<const git_oid*>(&node.subtree);
  }

  Status ListTree(const git_tree* tree, std::string& path) {
    size_t n = git_tree_entrycount(tree);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree, i);
      size_t len = path.size();
      path += git_tree_entry_name(e);
      if (IsTree(e)) {
        dirs_.insert(path);
        TRAWL_ASSIGN_OR_RETURN(TreePtr sub, LookupTree(git_tree_entry_id(e)));
        path += '/';
        TRAWL_RETURN_IF_ERROR(ListTree(sub.get(), path));
      } else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
        files_->try_emplace(path);
      }  // gitlinks (submodules) are another repository's files
      path.resize(len);
    }
    return Status::Ok();
  }

  // Appends to `out` the HEAD files that differ between the root trees `a` and `b`
  // (null: no tree there).
  Status DiffRoots(const git_oid* a, const git_oid* b, std::vector<GitFileInfo*>* out) {
    if (a == b || (a != nullptr && b != nullptr && git_oid_equal(a, b))) return Status::Ok();
    TreePtr ta;
    TreePtr tb;
    if (a != nullptr) {
      TRAWL_ASSIGN_OR_RETURN(ta, LookupTree(a));
    }
    if (b != nullptr) {
      TRAWL_ASSIGN_OR_RETURN(tb, LookupTree(b));
    }
    std::string path;
    return DiffTrees(ta.get(), tb.get(), path, out);
  }

  // Files commit `i` changed relative to its parent, or for a merge relative to every
  // parent; then credits them to the commit.
  Status VisitCommit(uint32_t i) {
    TRAWL_ASSIGN_OR_RETURN(const git_oid* tree, SubtreeId(i));
    changed_.clear();
    uint32_t first = nodes_[i].first_parent;
    bool first_diff = true;
    for (uint32_t k = 0; k < nodes_[i].num_parents; ++k) {
      uint32_t parent = parents_[first + k];
      if (nodes_[parent].missing) continue;
      TRAWL_ASSIGN_OR_RETURN(const git_oid* parent_tree, SubtreeId(parent));
      if (first_diff) {
        first_diff = false;
        TRAWL_RETURN_IF_ERROR(DiffRoots(parent_tree, tree, &changed_));
        continue;
      }
      if (changed_.empty()) break;
      // A merge authored only what differs from every parent; the rest came from a
      // branch whose own commits are credited when the walk reaches them.
      other_.clear();
      TRAWL_RETURN_IF_ERROR(DiffRoots(parent_tree, tree, &other_));
      std::sort(changed_.begin(), changed_.end());
      std::sort(other_.begin(), other_.end());
      auto end = std::set_intersection(changed_.begin(), changed_.end(), other_.begin(),
                                       other_.end(), changed_.begin());
      changed_.erase(end, changed_.end());
    }
    if (first_diff) {  // a root commit (or the boundary of a shallow clone) adds everything
      TRAWL_RETURN_IF_ERROR(DiffRoots(nullptr, tree, &changed_));
    }
    if (changed_.empty()) return Status::Ok();

    std::string hex;
    std::string author;
    for (GitFileInfo* f : changed_) {
      if (f->commits++ > 0) continue;  // a newer commit already set the last-change fields
      if (hex.empty()) {
        const CommitNode& node = nodes_[i];
        hex = OidHex(&node.id);
        git_commit* raw = nullptr;
        if (git_commit_lookup(&raw, repo_, &node.id) < 0) return GitError("reading commit " + hex);
        CommitPtr commit(raw);
        const git_signature* sig = git_commit_author(commit.get());
        if (sig != nullptr && sig->name != nullptr) author = sig->name;
        if (sig != nullptr && sig->email != nullptr && sig->email[0] != '\0') {
          author += author.empty() ? "<" : " <";
          author += sig->email;
          author += '>';
        }
      }
      f->commit = hex;
      f->author = author;
      f->time = nodes_[i].time;
    }
    return Status::Ok();
  }

  // Appends to `out` the HEAD files whose entry differs between trees `a` and `b` (either
  // may be null: empty). Descends only into subtrees whose ids differ and that exist in
  // HEAD, so a commit costs in proportion to what it changed. `path` is the prefix of
  // both trees relative to root ("" or ending in '/').
  Status DiffTrees(const git_tree* a, const git_tree* b, std::string& path,
                   std::vector<GitFileInfo*>* out) {
    if (a != nullptr && b != nullptr && git_oid_equal(git_tree_id(a), git_tree_id(b))) {
      return Status::Ok();
    }
    size_t na = a != nullptr ? git_tree_entrycount(a) : 0;
    size_t nb = b != nullptr ? git_tree_entrycount(b) : 0;
    size_t i = 0;
    size_t j = 0;
    while (i < na || j < nb) {
      const git_tree_entry* ea = i < na ? git_tree_entry_byindex(a, i) : nullptr;
      const git_tree_entry* eb = j < nb ? git_tree_entry_byindex(b, j) : nullptr;
      // Trees are sorted in git's order (a directory sorts as if its name ended in '/'),
      // so equal means same name and both directories or both not.
      int c = ea == nullptr ? 1 : eb == nullptr ? -1 : git_tree_entry_cmp(ea, eb);
      if (c == 0) {
        ++i;
        ++j;
        if (git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
            git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb)) {
          continue;
        }
      } else if (c < 0) {
        ++i;
        eb = nullptr;
      } else {
        ++j;
        ea = nullptr;
      }
      TRAWL_RETURN_IF_ERROR(DiffEntries(ea, eb, path, out));
    }
    return Status::Ok();
  }

  // One name that differs: added (ea null), deleted (eb null) or changed.
  Status DiffEntries(const git_tree_entry* ea, const git_tree_entry* eb, std::string& path,
                     std::vector<GitFileInfo*>* out) {
    size_t len = path.size();
    path += git_tree_entry_name(ea != nullptr ? ea : eb);
    Status status;
    if (IsTree(ea) || IsTree(eb)) {
      if (dirs_.count(path) != 0) {
        TreePtr ta;
        TreePtr tb;
        if (ea != nullptr) {
          Result<TreePtr> t = LookupTree(git_tree_entry_id(ea));
          if (!t.ok()) return t.status();
          ta = std::move(t).value();
        }
        if (eb != nullptr) {
          Result<TreePtr> t = LookupTree(git_tree_entry_id(eb));
          if (!t.ok()) return t.status();
          tb = std::move(t).value();
        }
        path += '/';
        status = DiffTrees(ta.get(), tb.get(), path, out);
      }
    } else {
      auto it = files_->find(std::string_view(path));
      if (it != files_->end()) out->push_back(&it->second);
    }
    path.resize(len);
    return status;
  }

  git_repository* repo_;
  std::string prefix_;                      // root within the work tree, "" or "a/b"
  GitHistory::FileMap* files_;              // HEAD's files; pointers into it stay valid
  std::vector<CommitNode> nodes_;           // [0] is HEAD
  std::vector<uint32_t> parents_;           // parent indices of all nodes, by node
  std::unordered_map<git_oid, uint32_t, OidHash, OidEq> index_;
  std::unordered_set<std::string> dirs_;    // HEAD's directories: nothing to find elsewhere
  std::vector<GitFileInfo*> changed_;       // scratch, per commit
  std::vector<GitFileInfo*> other_;
};

Result<GitHistory> GitHistory::Load(const std::string& root, const std::atomic<bool>* cancel,
                                    int max_commits) {
  EnsureLibgit2();
  GitHistory history;
  std::error_code ec;
  fs::path abs_root = fs::canonical(root, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return Status::NotFound("git history: no such directory: " + root);
    }
    return Status::IoError("git history: " + root + ": " + ec.message());
  }

  git_repository* raw_repo = nullptr;
  int rc = git_repository_open_ext(&raw_repo, abs_root.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND) return history;
  if (rc == GIT_EOWNER) {
    return Status::FailedPrecondition(
        "git history: repository at " + root +
        " is owned by another user (add it to git's safe.directory to read its history)");
  }
  if (rc < 0) return GitError("opening the repository at " + root);
  RepoPtr repo(raw_repo);
  const char* workdir = git_repository_workdir(repo.get());
  if (git_repository_is_bare(repo.get()) || workdir == nullptr) return history;

  fs::path abs_workdir = fs::canonical(workdir, ec);
  if (ec) return Status::IoError("git history: work tree " + std::string(workdir) + ": " + ec.message());
  fs::path rel = abs_root.lexically_relative(abs_workdir);
  if (rel.empty() || *rel.begin() == "..") return history;  // e.g. root inside .git
  std::string prefix = rel == "." ? std::string() : rel.generic_string();
  history.in_repo_ = true;

  git_oid head;
  rc = git_reference_name_to_id(&head, repo.get(), "HEAD");
  if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return history;  // no commit yet
  if (rc < 0) return GitError("resolving HEAD");
  history.head_ = OidHex(&head);

  HistoryWalk walk(repo.get(), prefix, &history.files_);
  TRAWL_RETURN_IF_ERROR(walk.Collect(head, cancel));
  TRAWL_ASSIGN_OR_RETURN(bool tracked, walk.ListHead());
  if (!tracked) return history;  // root is a directory HEAD does not have
  TRAWL_RETURN_IF_ERROR(walk.Run(cancel, max_commits));
  // Only with max_commits: files no walked commit touched have no data.
  std::erase_if(history.files_, [](const auto& kv) { return kv.second.commits == 0; });
  return history;
}

const GitFileInfo* GitHistory::Find(std::string_view rel_path) const {
  auto it = files_.find(rel_path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace trawl
