#include "chunk/split_merge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chunk/chunk_test_util.h"

namespace trawl::chunk_internal {
namespace {

using chunk_testing::SmallChunks;

// A text made of pieces, and one measured unit per piece: a level that tiles the text.
class Pieces {
 public:
  explicit Pieces(const std::vector<std::string>& pieces) {
    std::vector<uint32_t> starts;
    for (const std::string& p : pieces) {
      starts.push_back(static_cast<uint32_t>(text_.size()));
      text_ += p;
    }
    index_.Reset(text_);
    for (size_t i = 0; i < pieces.size(); ++i) {
      Unit u;
      u.begin = starts[i];
      u.end = i + 1 < pieces.size() ? starts[i + 1] : index_.size();
      Measure(index_, &u);
      units_.push_back(u);
    }
  }
  Pieces(const Pieces&) = delete;
  Pieces& operator=(const Pieces&) = delete;

  const TextIndex& index() const { return index_; }
  std::vector<Unit>& units() { return units_; }
  Unit& operator[](size_t i) { return units_[i]; }

  // Makes unit `i` the whole definition number `def`.
  void MakeDef(size_t i, int def) {
    Unit& u = units_[i];
    u.def = def;
    u.def_nws = u.nws;
    u.min_def_lines = u.last_line - u.first_line + 1;
  }

 private:
  std::string text_;
  TextIndex index_;
  std::vector<Unit> units_;
};

// A function of `lines` lines, each with `nws` non-whitespace characters ('x's).
std::string Function(int lines, int nws) {
  std::string s;
  for (int i = 0; i < lines; ++i) s += "    " + std::string(static_cast<size_t>(nws), 'x') + "\n";
  return s;
}

// `units` tile [0, size) of the text, in order.
void ExpectTiles(const std::vector<Unit>& units, uint32_t size) {
  ASSERT_FALSE(units.empty());
  EXPECT_EQ(units.front().begin, 0u);
  EXPECT_EQ(units.back().end, size);
  for (size_t i = 1; i < units.size(); ++i) EXPECT_EQ(units[i].begin, units[i - 1].end) << i;
}

std::vector<Unit> Merged(const std::vector<Unit>& units, int reserve, const ChunkOptions& options) {
  std::vector<Unit> level;
  for (const Unit& u : units) AddToLevel(&level, u, reserve, options);
  return level;
}

TEST(SplitMergeTest, MeasureCountsNonWhitespaceAndLines) {
  Pieces p({"\n\n  ab c\n d\n\n", "   \n"});
  EXPECT_EQ(p[0].nws, 4);
  EXPECT_EQ(p[0].first_line, 2);
  EXPECT_EQ(p[0].last_line, 3);
  EXPECT_EQ(p[1].nws, 0);
  EXPECT_EQ(p[1].first_line, -1);
}

TEST(SplitMergeTest, CommentsGlueBelowAndPunctuationAbove) {
  Pieces p({"x = 1\n", "# about f\n", "def f(): pass", "  # why\n", "}\n", "\n\n"});
  p[1].is_comment = p[1].is_prefix = true;
  p.MakeDef(2, 0);
  p[3].is_comment = p[3].is_prefix = true;  // on f's line: goes with f
  p[4].is_token = true;
  const int f_nws = p[1].nws + p[2].nws + p[3].nws + p[4].nws;
  const uint32_t comment_begin = p[1].begin;
  Glue(&p.units(), SmallChunks());
  ExpectTiles(p.units(), p.index().size());
  ASSERT_EQ(p.units().size(), 2u);
  EXPECT_EQ(p[1].begin, comment_begin);
  EXPECT_EQ(p[1].def, 0);
  EXPECT_EQ(p[1].nws, f_nws);
}

TEST(SplitMergeTest, ACommentAfterABlankLineStaysApart) {
  Pieces p({"# a note\n\n\n", "def f(): pass\n"});
  p[0].is_comment = p[0].is_prefix = true;
  p.MakeDef(1, 0);
  Glue(&p.units(), SmallChunks());
  ExpectTiles(p.units(), p.index().size());
  EXPECT_EQ(p.units().size(), 2u);
}

TEST(SplitMergeTest, SmallSiblingsMergeNamedAfterTheLargest) {
  const ChunkOptions options = SmallChunks();
  Pieces p({Function(3, 10), Function(3, 30), Function(2, 10)});
  for (size_t i = 0; i < 3; ++i) {
    p.MakeDef(i, static_cast<int>(i));
    p[i].node = static_cast<int>(i);
  }
  ASSERT_LT(p[1].nws, options.min_chunk_chars);
  std::vector<Unit> level = Merged(p.units(), 0, options);
  ExpectTiles(level, p.index().size());
  ASSERT_EQ(level.size(), 1u);
  EXPECT_EQ(level[0].nws, p[0].nws + p[1].nws + p[2].nws);
  EXPECT_EQ(level[0].def, 1);
  EXPECT_EQ(level[0].def_nws, p[1].nws);
  EXPECT_EQ(level[0].min_def_lines, 2);
  EXPECT_EQ(level[0].node, -1);  // a merged unit is no longer one node
}

TEST(SplitMergeTest, DefinitionsOfMinimumSizeStayApart) {
  const ChunkOptions options = SmallChunks();
  const int lines = 4;
  const int per_line = options.min_chunk_chars / lines + 1;
  Pieces p({Function(lines, per_line), Function(lines, per_line)});
  p.MakeDef(0, 0);
  p.MakeDef(1, 1);
  ASSERT_GE(p[0].nws, options.min_chunk_chars);
  ASSERT_LE(p[0].nws + p[1].nws, options.max_chunk_chars);
  EXPECT_FALSE(CanMerge(p[0], p[1], options.max_chunk_chars, options));
  EXPECT_EQ(Merged(p.units(), 0, options).size(), 2u);
  // Under the minimum, the same two merge.
  ChunkOptions low = options;
  low.min_chunk_chars = p[0].nws + p[1].nws;
  EXPECT_TRUE(CanMerge(p[0], p[1], options.max_chunk_chars, low));
}

TEST(SplitMergeTest, PiecesOfDifferentOwnersAndImportsStayApart) {
  const ChunkOptions options = SmallChunks();
  Pieces p({"import os\n", Function(2, 10), Function(2, 10)});
  p[0].has_import = true;
  p.MakeDef(1, 0);
  EXPECT_FALSE(CanMerge(p[0], p[1], options.max_chunk_chars, options));
  EXPECT_TRUE(CanMerge(p[1], p[2], options.max_chunk_chars, options));
  p[2].owner = 7;
  EXPECT_FALSE(CanMerge(p[1], p[2], options.max_chunk_chars, options));
  p[0].has_import = false;
  EXPECT_TRUE(CanMerge(p[0], p[1], options.max_chunk_chars, options));
}

TEST(SplitMergeTest, AMergedChunkStaysCloseToItsDefinitionsLength) {
  const ChunkOptions options = SmallChunks();
  // Two one-line definitions: a group may span 2 x 4 + 16 lines.
  for (int blank_lines : {4, 40}) {
    Pieces p({"def f(): pass\n" + std::string(static_cast<size_t>(blank_lines), '\n'), "def g(): pass\n"});
    p.MakeDef(0, 0);
    p.MakeDef(1, 1);
    int span = p[1].last_line - p[0].first_line + 1;
    EXPECT_EQ(CanMerge(p[0], p[1], options.max_chunk_chars, options), span <= 2 * 4 + 16) << span;
  }
}

TEST(SplitMergeTest, TheFirstGroupKeepsRoomForWhatComesBefore) {
  const ChunkOptions options = SmallChunks();
  const int half = options.max_chunk_chars / 2 - 10;
  Pieces p({Function(1, half), Function(1, half)});
  const int both = p[0].nws + p[1].nws;
  ASSERT_LE(both, options.max_chunk_chars);
  EXPECT_EQ(Merged(p.units(), 0, options).size(), 1u);
  const int reserve = options.max_chunk_chars - both + 1;
  EXPECT_EQ(Merged(p.units(), reserve, options).size(), 2u);
}

TEST(SplitMergeTest, BlankUnitsJoinTheirNeighbours) {
  Pieces p({"\n\n", Function(2, 10), "\n   \n"});
  std::vector<Unit> level = Merged(p.units(), 0, SmallChunks());
  ExpectTiles(level, p.index().size());
  ASSERT_EQ(level.size(), 1u);
  EXPECT_EQ(level[0].first_line, p[1].first_line);
  EXPECT_EQ(level[0].last_line, p[1].last_line);
}

TEST(SplitMergeTest, NeedsSplitOverTheLimitOrLongWhenAllowed) {
  const ChunkOptions options = SmallChunks();
  Pieces p({Function(2, options.max_chunk_chars), Function(kWholeContainerMaxLines + 1, 2),
            Function(kWholeContainerMaxLines, 2)});
  EXPECT_TRUE(NeedsSplit(p[0], false, options));
  EXPECT_FALSE(NeedsSplit(p[1], false, options));
  EXPECT_TRUE(NeedsSplit(p[1], true, options));
  EXPECT_FALSE(NeedsSplit(p[2], true, options));
}

TEST(SplitMergeTest, CutIntoLinesTilesAnOversizeSpan) {
  const ChunkOptions options = SmallChunks();
  Pieces p({"header\n", Function(100, 40)});
  const Unit big = p[1];
  ASSERT_GT(big.nws, 2 * options.max_chunk_chars);
  for (int room : {0, 300}) {
    std::vector<Unit> out;
    CutIntoLines(p.index(), big.begin, big.end, /*owner=*/3, /*header_first=*/true, room, options, &out);
    ASSERT_GE(out.size(), 3u);
    EXPECT_EQ(out.front().begin, big.begin);
    EXPECT_EQ(out.back().end, big.end);
    int total = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(out[i].begin, out[i - 1].end);
      }
      EXPECT_LE(out[i].nws, i == 0 ? options.max_chunk_chars - room : options.max_chunk_chars);
      EXPECT_EQ(out[i].nws, p.index().Nws(out[i].begin, out[i].end));
      EXPECT_EQ(out[i].owner, 3);
      EXPECT_EQ(out[i].has_header, i == 0);
      EXPECT_EQ(out[i].node, -1);
      total += out[i].nws;
    }
    EXPECT_EQ(total, big.nws);
  }
}

TEST(SplitMergeTest, RoomBeforeIsTheSmallCodeGroupBefore) {
  const ChunkOptions options = SmallChunks();
  Pieces p({"x = 1\n", Function(2, 10)});
  EXPECT_EQ(RoomBefore({}, -1, 17, options), 17);
  EXPECT_EQ(RoomBefore({p[0]}, -1, 17, options), p[0].nws + 17);
  EXPECT_EQ(RoomBefore({p[1], p[0]}, -1, 17, options), p[0].nws);
  EXPECT_EQ(RoomBefore({p[0]}, 5, 17, options), 0);  // another owner's
  p.MakeDef(1, 0);
  EXPECT_EQ(RoomBefore({p[1]}, -1, 0, options), 0);  // a definition
  EXPECT_EQ(RoomBefore({p[0]}, -1, options.max_chunk_chars / 2, options), 0);  // too much room
}

TEST(SplitMergeTest, ATinyHeaderLineJoinsTheDefinitionAfterIt) {
  const ChunkOptions options = SmallChunks();
  const std::string big_def = Function(5, options.min_chunk_chars / 5 + 1);
  {
    Pieces p({"namespace store {\n", big_def});
    p[0].has_header = true;
    p.MakeDef(1, 0);
    std::vector<Unit> level = {p[0]};
    Unit u = p[1];
    ASSERT_FALSE(CanMerge(p[0], u, options.max_chunk_chars, options));
    JoinTinyHeader(&level, &u, 0, options);
    EXPECT_TRUE(level.empty());
    EXPECT_EQ(u.begin, 0u);
    EXPECT_EQ(u.nws, p[0].nws + p[1].nws);
    EXPECT_FALSE(u.has_header);
    EXPECT_EQ(u.def, 0);
  }
  {  // two lines: not a tiny header
    Pieces p({"namespace store\n{\n", big_def});
    p[0].has_header = true;
    p.MakeDef(1, 0);
    std::vector<Unit> level = {p[0]};
    Unit u = p[1];
    JoinTinyHeader(&level, &u, 0, options);
    EXPECT_EQ(level.size(), 1u);
    EXPECT_EQ(u.begin, p[1].begin);
  }
}

}  // namespace
}  // namespace trawl::chunk_internal
