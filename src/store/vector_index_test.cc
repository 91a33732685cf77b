#include "store/vector_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "base/hash.h"
#include "store/store_test_util.h"

namespace trawl::store_internal {
namespace {

VectorBlock RandomBlock(int n, int dim, unsigned seed, int64_t first_id = 1) {
  std::mt19937 rng(seed);
  VectorBlock b;
  b.dim = dim;
  for (int i = 0; i < n; ++i) {
    b.ids.push_back(first_id + i);
    auto v = store_test::RandomVector(&rng, dim);
    b.data.insert(b.data.end(), v.begin(), v.end());
  }
  return b;
}

TEST(TopKTest, KeepsBestAndBreaksTiesById) {
  TopK top(3);
  for (int i = 0; i < 10; ++i) top.Push(static_cast<float>(i % 5), i);
  auto got = top.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, 4);
  EXPECT_EQ(got[1].id, 9);
  EXPECT_EQ(got[2].score, 3.0f);
}

TEST(DotTest, MatchesNaive) {
  std::mt19937 rng(1);
  for (int dim : {1, 7, 8, 13, 64, 257}) {
    auto a = store_test::RandomVector(&rng, dim), b = store_test::RandomVector(&rng, dim);
    double naive = 0;
    for (int i = 0; i < dim; ++i) naive += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(Dot(a.data(), b.data(), static_cast<size_t>(dim)), naive, 1e-5);
  }
}

TEST(QuantizeTest, RoundTripIsCloseAndNormalised) {
  std::mt19937 rng(5);
  for (int dim : {1, 8, 300, 1024}) {
    auto v = store_test::RandomVector(&rng, dim);
    std::string blob = EncodeVector(v);
    ASSERT_EQ(blob.size(), EncodedSize(dim));
    std::vector<float> back(static_cast<size_t>(dim));
    ASSERT_TRUE(DecodeVector(blob, dim, back.data()));
    std::vector<float> unit = v;
    Normalize(&unit);
    float max_abs = 0;
    for (float x : unit) max_abs = std::max(max_abs, std::fabs(x));
    for (int i = 0; i < dim; ++i) EXPECT_NEAR(back[i], unit[i], max_abs / 254 + 1e-7) << dim << " " << i;
    EXPECT_FALSE(DecodeVector(blob, dim + 1, back.data()));
  }
  // Mostly zeros (as the hash embedder's): the shorter sparse form, same values.
  std::vector<float> sparse(1024, 0.0f);
  for (int i = 0; i < 1024; i += 13) sparse[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 3.0f;
  std::string blob = EncodeVector(sparse);
  EXPECT_LT(blob.size(), EncodedSize(1024) / 2);
  std::vector<float> unit = sparse, dense_back(1024);
  Normalize(&unit);
  ASSERT_TRUE(DecodeVector(blob, 1024, dense_back.data()));
  for (size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(dense_back[i], unit[i], 0.002) << i;
  EXPECT_FALSE(DecodeVector(blob, 512, dense_back.data()));  // an index beyond the dimension
  EXPECT_FALSE(DecodeVector(blob.substr(0, blob.size() - 1), 1024, dense_back.data()));
  std::vector<float> zero(16, 0.0f), back(16, 1.0f);
  ASSERT_TRUE(DecodeVector(EncodeVector(zero), 16, back.data()));
  for (float x : back) EXPECT_EQ(x, 0.0f);
}

// A stored vector is compared with the bytes of the same content's vector encoded by a
// later run (reuse by content hash, the vector file written while committing): the
// encoding must not change. Digests of the exact bytes, sparse and dense forms.
TEST(QuantizeTest, EncodingIsByteForByteStable) {
  std::mt19937 rng(11);
  std::vector<float> dense = store_test::RandomVector(&rng, 1024);
  std::vector<float> sparse(1024, 0.0f);
  for (int i = 0; i < 1024; i += 7) sparse[static_cast<size_t>(i)] = std::sin(static_cast<float>(i)) * 3.0f;
  sparse[5] = -0.0f;
  std::vector<float> odd = store_test::RandomVector(&rng, 300);
  EXPECT_EQ(HashHex(EncodeVector(dense)), "f0637af84385d383");
  EXPECT_EQ(HashHex(EncodeVector(sparse)), "5500ec8023a85e7b");
  EXPECT_EQ(HashHex(EncodeVector(odd)), "0251bb088f0d18ff");
}

// Writes `block` (quantised) as a FlatIndex file and maps it.
std::unique_ptr<FlatIndex> WriteFlat(const VectorBlock& block, const std::string& path) {
  auto w = FlatIndexWriter::Create(path, block.dim);
  EXPECT_TRUE(w.ok());
  for (size_t i = 0; i < block.size(); ++i) {
    std::vector<float> v(block.row(i), block.row(i) + block.dim);
    EXPECT_TRUE((*w)->Append(block.ids[i], EncodeVector(v)).ok());
  }
  EXPECT_TRUE((*w)->Finish().ok());
  auto loaded = FlatIndex::Load(path, block.dim);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? std::move(loaded).value() : nullptr;
}

// The file is the only copy of the vectors it holds: each comes back, by chunk id or by
// content key, as the very blob it was appended from (sparse and dense, in sparse and
// dense blocks, read at random or block by block).
TEST(FlatIndexTest, VectorsComeBackByIdAndKeyByteForByte) {
  store_test::TempDir tmp;
  constexpr int kDim = 96;
  std::mt19937 rng(3);
  std::vector<std::string> blobs;
  auto w = FlatIndexWriter::Create(tmp.path() + "/v.flat", kDim);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 5000; ++i) {
    std::vector<float> v = store_test::RandomVector(&rng, kDim);
    // Rows 2048..4095 sparse (a sparse block), the others dense; a few sparse ones among them.
    if ((i >= 2048 && i < 4096) || i % 97 == 0) {
      for (int j = 0; j < kDim; ++j) {
        if ((j + i) % 9 != 0) v[static_cast<size_t>(j)] = 0;
      }
    }
    if (i >= 2048 && i < 4096) v[5] = i == 2050 || i == 3900 ? 0.5f : 0.0f;  // a gap of 1850 rows
    blobs.push_back(EncodeVector(v));
    // Keys repeat (two chunks of one content): either position serves.
    ASSERT_TRUE((*w)->Append(10 + 2 * i, blobs.back(), VectorKey(HashHex("content " + std::to_string(i / 2)))).ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  auto index = FlatIndex::Load(tmp.path() + "/v.flat", kDim);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  const FlatIndex& f = **index;
  FlatIndexRows rows(&f);
  for (int i = 0; i < 5000; ++i) {
    size_t pos = f.Find(10 + 2 * i);
    ASSERT_EQ(pos, static_cast<size_t>(i));
    ASSERT_EQ(f.Encoded(pos), blobs[static_cast<size_t>(i)]) << i;
    ASSERT_EQ(rows.Encoded(pos), blobs[static_cast<size_t>(i)]) << i;
    size_t by_key = f.FindKey(VectorKey(HashHex("content " + std::to_string(i / 2))));
    ASSERT_NE(by_key, FlatIndex::npos);
    EXPECT_EQ(by_key / 2, static_cast<size_t>(i / 2));
  }
  EXPECT_EQ(f.Find(11), FlatIndex::npos);
  EXPECT_EQ(f.Find(1000000), FlatIndex::npos);
  EXPECT_EQ(f.FindKey(VectorKey(HashHex("content 2500"))), FlatIndex::npos);
  // A content hash that is not 16 hex digits still has a key.
  EXPECT_NE(VectorKey("not hex"), VectorKey("not hex either"));
  EXPECT_EQ(VectorKey("00000000000000ff"), 255u);
}

// A block of stored (quantised) rows scores every vector exactly as the vector file
// does, bit for bit: a chunk's score and rank do not depend on where it is searched.
TEST(FlatIndexTest, QuantisedRowsScoreBitIdenticallyToTheFile) {
  constexpr int kDim = 48;
  VectorBlock block = RandomBlock(3000, kDim, 5);
  store_test::TempDir tmp;
  auto flat = WriteFlat(block, tmp.path() + "/v.flat");
  ASSERT_NE(flat, nullptr);
  VectorBlock rows;
  rows.dim = kDim;
  for (size_t i = 0; i < block.size(); ++i) {
    std::string blob = EncodeVector(std::vector<float>(block.row(i), block.row(i) + kDim));
    rows.q.resize(rows.q.size() + kDim);
    float scale = 0;
    ASSERT_TRUE(DecodeQuantized(blob, kDim, &scale, rows.q.data() + i * kDim));
    rows.scales.push_back(scale);
    rows.ids.push_back(block.ids[i]);
  }
  std::mt19937 rng(8);
  for (int q = 0; q < 20; ++q) {
    std::vector<float> query = store_test::RandomVector(&rng, kDim);
    if (q % 2) {
      for (int j = 0; j < kDim; j += 3) query[static_cast<size_t>(j)] = 0;  // sparse, like the hash embedder's
    }
    TopK a(block.size()), b(block.size());
    flat->Search(query.data(), &a);
    ExactSearch(rows, query.data(), &b);
    auto fa = a.Take(), fb = b.Take();
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t i = 0; i < fa.size(); ++i) {
      ASSERT_EQ(fa[i].id, fb[i].id) << i;
      ASSERT_EQ(fa[i].score, fb[i].score) << i;
    }
  }
}

TEST(FlatIndexTest, ScoresMatchExactFloatSearchAcrossBlocks) {
  constexpr int kDim = 64;
  VectorBlock block = RandomBlock(5000, kDim, 3);  // three blocks, the last partial
  for (size_t i = 0; i < block.size(); ++i) {
    std::vector<float> v(block.row(i), block.row(i) + kDim);
    Normalize(&v);
    std::copy(v.begin(), v.end(), block.data.begin() + static_cast<std::ptrdiff_t>(i * kDim));
  }
  store_test::TempDir tmp;
  auto flat = WriteFlat(block, tmp.path() + "/v.flat");
  ASSERT_NE(flat, nullptr);
  EXPECT_EQ(flat->size(), 5000u);
  std::mt19937 rng(77);
  double found = 0;
  const int kQueries = 50;
  for (int q = 0; q < kQueries; ++q) {
    auto query = store_test::RandomVector(&rng, kDim);
    Normalize(&query);
    if (q % 2 == 1) {  // sparse queries read only their non-zero columns
      for (int d = 0; d < kDim; ++d) {
        if (d % 7 != 0) query[static_cast<size_t>(d)] = 0;
      }
    }
    TopK exact(10), approx(10);
    ExactSearch(block, query.data(), &exact);
    flat->Search(query.data(), &approx);
    auto truth = exact.Take();
    auto got = approx.Take();
    ASSERT_EQ(got.size(), 10u);
    for (size_t r = 0; r < got.size(); ++r) {
      float want = Dot(query.data(), block.row(static_cast<size_t>(got[r].id - 1)), kDim);
      EXPECT_NEAR(got[r].score, want, 0.02) << q;  // int8 quantisation error only
    }
    std::set<int64_t> truth_ids;
    for (const auto& s : truth) truth_ids.insert(s.id);
    for (const auto& s : got) found += static_cast<double>(truth_ids.count(s.id));
  }
  double recall = found / (10.0 * kQueries);
  std::printf("flat int8 recall@10 vs float exact (5000 x 64): %.3f\n", recall);
  EXPECT_GE(recall, 0.9);

  // Deleted ids never come back.
  for (int64_t id = 1; id <= 2500; ++id) flat->MarkDeleted(id);
  flat->MarkDeleted(999999);  // absent: ignored
  EXPECT_EQ(flat->deleted(), 2500u);
  TopK all(10);
  flat->Search(block.row(0), &all);
  auto hits = all.Take();
  EXPECT_EQ(hits.size(), 10u);
  for (const auto& h : hits) EXPECT_GT(h.id, 2500);
}

TEST(FlatIndexTest, SparseVectorsScoreAsTheirDenseForm) {
  // Mostly-zero vectors (the hash embedder's) are stored as (index, value) pairs and
  // scattered into the file's columns: same scores as their decoded dense form.
  constexpr int kDim = 256;
  std::mt19937 rng(21);
  VectorBlock decoded;
  decoded.dim = kDim;
  store_test::TempDir tmp;
  auto w = FlatIndexWriter::Create(tmp.path() + "/s.flat", kDim);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 3000; ++i) {
    std::vector<float> v(kDim, 0.0f);
    for (int j = 0; j < 12; ++j) v[rng() % kDim] = static_cast<float>(static_cast<int>(rng() % 9) - 4);
    v[static_cast<size_t>(i % kDim)] = 1.0f;  // never all zero
    std::string blob = EncodeVector(v);
    ASSERT_LT(blob.size(), EncodedSize(kDim));  // the sparse form
    ASSERT_TRUE((*w)->Append(i + 1, blob).ok());
    std::vector<float> back(kDim);
    ASSERT_TRUE(DecodeVector(blob, kDim, back.data()));
    decoded.ids.push_back(i + 1);
    decoded.data.insert(decoded.data.end(), back.begin(), back.end());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  auto flat = FlatIndex::Load(tmp.path() + "/s.flat", kDim);
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  for (int q = 0; q < 20; ++q) {
    std::vector<float> query(decoded.row(static_cast<size_t>(q * 97)), decoded.row(static_cast<size_t>(q * 97)) + kDim);
    TopK exact(5), got(5);
    ExactSearch(decoded, query.data(), &exact);
    (*flat)->Search(query.data(), &got);
    auto a = exact.Take(), b = got.Take();
    ASSERT_EQ(a.size(), b.size());
    for (size_t r = 0; r < a.size(); ++r) EXPECT_NEAR(a[r].score, b[r].score, 1e-4) << q << " " << r;
    EXPECT_EQ(b[0].id, q * 97 + 1);  // a stored vector finds itself first
  }
}

// Blocks of mostly-zero vectors are stored sparse, others dense, in one file: both score
// exactly as the quantised rows do, and the sparse blocks take a fraction of the space.
TEST(FlatIndexTest, SparseAndDenseBlocksScoreBitIdenticallyToTheRows) {
  constexpr int kDim = 256;
  constexpr int kRows = 2048 * 3 + 100;  // sparse, dense, sparse, a sparse tail
  std::mt19937 rng(33);
  VectorBlock rows;
  rows.dim = kDim;
  store_test::TempDir tmp;
  std::string path = tmp.path() + "/m.flat";
  auto w = FlatIndexWriter::Create(path, kDim);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < kRows; ++i) {
    bool dense = i / 2048 == 1;
    std::vector<float> v = dense ? store_test::RandomVector(&rng, kDim) : std::vector<float>(kDim, 0.0f);
    if (!dense) {
      for (int j = 0; j < 20; ++j) v[rng() % kDim] = static_cast<float>(static_cast<int>(rng() % 15) - 7);
      v[static_cast<size_t>(i % kDim)] = 3.0f;
      // A column with gaps of more than 255 rows between its values: filler entries.
      v[kDim - 1] = i % 700 == 0 ? 5.0f : 0.0f;
    }
    std::string blob = EncodeVector(v);
    ASSERT_TRUE((*w)->Append(i + 1, blob).ok());
    rows.q.resize(rows.q.size() + kDim);
    float scale = 0;
    ASSERT_TRUE(DecodeQuantized(blob, kDim, &scale, rows.q.data() + static_cast<size_t>(i) * kDim));
    rows.scales.push_back(scale);
    rows.ids.push_back(i + 1);
  }
  ASSERT_TRUE((*w)->Finish().ok());
  size_t dense_size = 4 * 2048 * kDim;  // what the four blocks take in the dense form alone
  EXPECT_LT(std::filesystem::file_size(path), dense_size / 2);
  auto flat = FlatIndex::Load(path, kDim);
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  for (int q = 0; q < 30; ++q) {
    std::vector<float> query = store_test::RandomVector(&rng, kDim);
    if (q % 2) {
      for (int j = 0; j < kDim; ++j) {
        if (j % 5 != 0) query[static_cast<size_t>(j)] = 0;
      }
    }
    TopK a(kRows), b(kRows);
    (*flat)->Search(query.data(), &a);
    ExactSearch(rows, query.data(), &b);
    auto fa = a.Take(), fb = b.Take();
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t i = 0; i < fa.size(); ++i) {
      ASSERT_EQ(fa[i].id, fb[i].id) << q << " " << i;
      ASSERT_EQ(fa[i].score, fb[i].score) << q << " " << i;
    }
  }
  // A flipped byte in a sparse block's column starts is refused, never searched.
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(48 + 4 * 10);
    uint32_t huge = 0xffffff00u;
    f.write(reinterpret_cast<const char*>(&huge), sizeof(huge));
  }
  EXPECT_FALSE(FlatIndex::Load(path, kDim).ok());
}

TEST(FlatIndexTest, WriterRejectsBadInput) {
  store_test::TempDir tmp;
  auto w = FlatIndexWriter::Create(tmp.path() + "/w.flat", 4);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*w)->Append(1, "short").ok());
  std::string bad_index = EncodeVector({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // sparse, index 0
  bad_index[4] = 9;                                                           // index 9 >= dim 4
  EXPECT_FALSE((*w)->Append(1, bad_index.substr(0, 7)).ok());
  ASSERT_TRUE((*w)->Append(5, EncodeVector({1, 0, 0, 0})).ok());
  EXPECT_FALSE((*w)->Append(5, EncodeVector({0, 1, 0, 0})).ok());  // ids must ascend
  EXPECT_FALSE(FlatIndexWriter::Create(tmp.path() + "/z.flat", 0).ok());
}

TEST(FlatIndexTest, ForeignTruncatedAndUnfinishedFilesFailCleanly) {
  store_test::TempDir tmp;
  std::string path = tmp.path() + "/bad.flat";
  EXPECT_FALSE(FlatIndex::Load(path, 8).ok());  // missing
  for (size_t size : {0, 10, 200, 5000}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, '\x07');
    EXPECT_FALSE(FlatIndex::Load(path, 8).ok()) << size;
  }
  VectorBlock block = RandomBlock(100, 8, 9);
  ASSERT_NE(WriteFlat(block, path), nullptr);
  EXPECT_FALSE(FlatIndex::Load(path, 9).ok());  // another dimension
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  EXPECT_FALSE(FlatIndex::Load(path, 8).ok());  // truncated
  auto w = FlatIndexWriter::Create(path, 8);    // never finished: header says nothing
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(1, EncodeVector(std::vector<float>(8, 1.0f))).ok());
  EXPECT_FALSE(FlatIndex::Load(path, 8).ok());
}

}  // namespace
}  // namespace trawl::store_internal
