#include "discover/dir_entry.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace trawl {
namespace {

TEST(EntryKindTest, FromDirentType) {
  EXPECT_EQ(KindFromDirentType(DT_REG), EntryKind::kFile);
  EXPECT_EQ(KindFromDirentType(DT_DIR), EntryKind::kDir);
  EXPECT_EQ(KindFromDirentType(DT_LNK), EntryKind::kSymlink);
  EXPECT_EQ(KindFromDirentType(DT_FIFO), EntryKind::kSpecial);
  EXPECT_EQ(KindFromDirentType(DT_SOCK), EntryKind::kSpecial);
  EXPECT_EQ(KindFromDirentType(DT_CHR), EntryKind::kSpecial);
  EXPECT_EQ(KindFromDirentType(DT_BLK), EntryKind::kSpecial);
  EXPECT_EQ(KindFromDirentType(DT_UNKNOWN), std::nullopt);  // the caller must stat
}

TEST(EntryKindTest, FromMode) {
  EXPECT_EQ(KindFromMode(S_IFREG | 0644), EntryKind::kFile);
  EXPECT_EQ(KindFromMode(S_IFDIR | 0755), EntryKind::kDir);
  EXPECT_EQ(KindFromMode(S_IFLNK | 0777), EntryKind::kSymlink);
  EXPECT_EQ(KindFromMode(S_IFIFO | 0644), EntryKind::kSpecial);
  EXPECT_EQ(KindFromMode(S_IFSOCK | 0755), EntryKind::kSpecial);
  EXPECT_EQ(KindFromMode(S_IFCHR | 0666), EntryKind::kSpecial);
  EXPECT_EQ(KindFromMode(S_IFBLK | 0660), EntryKind::kSpecial);
}

EntryFacts Facts(EntryKind kind, bool via_link = false) {
  EntryFacts f;
  f.kind = kind;
  f.via_link = via_link;
  return f;
}

TEST(ChooseActionTest, EachKindHasOneAction) {
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kFile), false), EntryAction::kClassifyFile);
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kFile, true), false), EntryAction::kClassifyFile);
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kDir), false), EntryAction::kEnterDir);
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kSpecial), false), EntryAction::kSkipSpecial);
  // A followed link to a FIFO is as unsupported as the FIFO.
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kSpecial, true), false), EntryAction::kSkipSpecial);
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kSymlink), false), EntryAction::kSkipSymlink);
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kDanglingSymlink), false), EntryAction::kSkipDanglingSymlink);
}

TEST(ChooseActionTest, LinkedDirectoriesWaitForTheNextRound) {
  EXPECT_EQ(ChooseAction(Facts(EntryKind::kDir, true), false), EntryAction::kEnterLinkedDir);
}

TEST(ChooseActionTest, IgnoreRulesComeFirst) {
  for (EntryKind kind : {EntryKind::kFile, EntryKind::kDir, EntryKind::kSpecial, EntryKind::kSymlink,
                         EntryKind::kDanglingSymlink}) {
    for (bool via_link : {false, true}) {
      EXPECT_EQ(ChooseAction(Facts(kind, via_link), true), EntryAction::kSkipIgnored)
          << static_cast<int>(kind) << " " << via_link;
    }
  }
}

}  // namespace
}  // namespace trawl
