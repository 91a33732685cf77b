// What the walk does with one directory entry (internal to src/discover): what the
// entry is, from its dirent type or its stat, and, from that and the ignore verdict,
// the one thing to do with it.
// Thread-safety: pure functions.
#pragma once

#include <sys/types.h>

#include <optional>

namespace trawl {

enum class EntryKind {
  kFile,            // a regular file
  kDir,
  kSpecial,         // a FIFO, socket or device: never opened
  kSymlink,         // a symbolic link the walk does not follow
  kDanglingSymlink  // a link to follow whose target cannot be stat'ed
};

// The kind a dirent's d_type says, or nullopt when it does not say (DT_UNKNOWN: the
// entry must be stat'ed).
std::optional<EntryKind> KindFromDirentType(unsigned char d_type);
// The kind an lstat (or, for a followed link, a stat) says.
EntryKind KindFromMode(mode_t mode);

// An entry as the walk sees it: followed links are what they point to (git itself
// treats links as files).
struct EntryFacts {
  EntryKind kind = EntryKind::kFile;
  bool via_link = false;  // a followed symbolic link to a file or directory
};

enum class EntryAction {
  kSkipIgnored,          // an ignore rule says so
  kSkipSymlink,          // links are not followed
  kSkipDanglingSymlink,  // reported unreadable
  kEnterDir,             // walked now, by the same round
  kEnterLinkedDir,       // walked in a later round, in path order
  kSkipSpecial,          // unsupported: not a regular file
  kClassifyFile,         // size, language, binary
};

// Ignore rules come first: an ignored link or FIFO is reported as ignored.
EntryAction ChooseAction(const EntryFacts& entry, bool ignored);

}  // namespace trawl
