#include "embed/hash_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "base/hash.h"

namespace trawl {
namespace {

float Dot(const Vector& a, const Vector& b) {
  float s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(HashEmbedderTest, DeterministicNormalisedAndSized) {
  HashEmbedder e(128);
  Vector a = e.EmbedOne("def parse_file(path): return open(path).read()");
  Vector b = e.EmbedOne("def parse_file(path): return open(path).read()");
  ASSERT_EQ(a.size(), 128u);
  EXPECT_EQ(a, b);
  EXPECT_NEAR(Dot(a, a), 1.0f, 1e-5);
  for (float x : a) EXPECT_TRUE(std::isfinite(x));
}

// The vectors an index stores must not change under it (a chunk's vector is reused by
// content hash): these digests of the exact float bits pin hash-v4, at the default
// dimension (a power of two) and at one that is not, for documents in two languages'
// shapes (their declared names weigh double) and a query with weights. A change that
// moves them needs a new embedder name.
std::string Digest(const Vector& v) {
  std::string bytes(v.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return HashHex(bytes);
}

TEST(HashEmbedderTest, VectorsAreBitForBitStable) {
  std::string doc;
  for (int i = 0; i < 40; ++i) {
    doc += "static int e1000_read_phy_reg_" + std::to_string(i) +
           "(struct e1000_hw *hw, u32 offset, u16 *data) {\n  return e1000_access_phy_reg(hw, offset, data, true);\n}\n";
  }
  std::unordered_map<std::string, float> weights = {{"read", 2.5f}, {"phy", 0.5f}};
  HashEmbedder d1024(HashEmbedder::kDefaultDimensions);
  HashEmbedder d300(300);
  EXPECT_EQ(Digest(d1024.EmbedOne(doc)), "992f7fca7806789b");
  EXPECT_EQ(Digest(d300.EmbedOne(doc)), "f3dced96301c0e3a");
  EXPECT_EQ(Digest(d1024.EmbedOne("read the phy register of the hw", &weights, HashEmbedder::TextRole::kQuery)),
            "824801ed62efb79f");
  std::string java =
      "    @Override\n    public static <T> List<T> sortedCopy(Collection<? extends T> items) {\n"
      "        List<T> out = new ArrayList<>(items);\n        return out;\n    }\n"
      "    protected Class<?>[] interfacesOf(String name) { return lookup(name); }\n";
  EXPECT_EQ(Digest(d1024.EmbedOne(java)), "78171fecf9a4d3f9");
}

TEST(HashEmbedderTest, IdentifierStylesMeetAndUnrelatedTextDoesNot) {
  HashEmbedder e(256);
  Vector snake = e.EmbedOne("parse_file");
  Vector camel = e.EmbedOne("parseFile");
  Vector query = e.EmbedOne("parse a file");
  Vector other = e.EmbedOne("socket connect timeout");
  EXPECT_NEAR(Dot(snake, camel), 1.0f, 1e-5);
  EXPECT_GT(Dot(query, camel), 0.5f);
  EXPECT_LT(std::abs(Dot(query, other)), 0.3f);
}

TEST(HashEmbedderTest, DeclaredNamesWeighMoreInDocuments) {
  HashEmbedder e(1024);
  const char* text = "def rotate_log(path):\n    os.rename(path, backup)\n";
  Vector doc = e.EmbedOne(text);
  Vector plain = e.EmbedOne(text, nullptr, HashEmbedder::TextRole::kQuery);
  Vector name = e.EmbedOne("rotate log", nullptr, HashEmbedder::TextRole::kQuery);
  EXPECT_GT(Dot(doc, name), Dot(plain, name));
}

TEST(HashEmbedderTest, EmptyTextIsZeroVectorNotNaN) {
  HashEmbedder e(64);
  Vector v = e.EmbedOne("  ... ");
  for (float x : v) EXPECT_EQ(x, 0.0f);
}

TEST(HashEmbedderTest, BatchHonoursCancel) {
  HashEmbedder e(64);
  std::atomic<bool> cancel{true};
  auto r = e.Embed({"a b", "c d"}, &cancel);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  cancel = false;
  auto ok = e.Embed({"alpha beta", "gamma"}, &cancel);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
}

}  // namespace
}  // namespace trawl
