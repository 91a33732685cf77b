#include "discover/dir_entry.h"

#include <dirent.h>
#include <sys/stat.h>

namespace trawl {

std::optional<EntryKind> KindFromDirentType(unsigned char d_type) {
  switch (d_type) {
    case DT_UNKNOWN:
      return std::nullopt;
    case DT_REG:
      return EntryKind::kFile;
    case DT_DIR:
      return EntryKind::kDir;
    case DT_LNK:
      return EntryKind::kSymlink;
    default:
      return EntryKind::kSpecial;
  }
}

EntryKind KindFromMode(mode_t mode) {
  if (S_ISDIR(mode)) return EntryKind::kDir;
  if (S_ISREG(mode)) return EntryKind::kFile;
  if (S_ISLNK(mode)) return EntryKind::kSymlink;
  return EntryKind::kSpecial;
}

EntryAction ChooseAction(const EntryFacts& entry, bool ignored) {
  if (ignored) return EntryAction::kSkipIgnored;
  switch (entry.kind) {
    case EntryKind::kSymlink:
      return EntryAction::kSkipSymlink;
    case EntryKind::kDanglingSymlink:
      return EntryAction::kSkipDanglingSymlink;
    case EntryKind::kDir:
      return entry.via_link ? EntryAction::kEnterLinkedDir : EntryAction::kEnterDir;
    case EntryKind::kSpecial:
      return EntryAction::kSkipSpecial;
    case EntryKind::kFile:
      break;
  }
  return EntryAction::kClassifyFile;
}

}  // namespace trawl
