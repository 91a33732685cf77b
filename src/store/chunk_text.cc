#include "store/chunk_text.h"

#include <zdict.h>
#include <zstd.h>

#include <cstdint>
#include <memory>

namespace trawl::store_internal {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

constexpr int kLevel = 1;  // level 3 saves 2% more for twice the time
constexpr int kDictLevel = 3;  // with a dictionary, 9% more

}  // namespace

struct TextDictionary::Digested {
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  ~Digested() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
};

TextDictionary::~TextDictionary() = default;

Result<std::shared_ptr<const TextDictionary>> TextDictionary::Load(std::string bytes) {
  std::shared_ptr<TextDictionary> d(new TextDictionary());
  d->id_ = ZDICT_getDictID(bytes.data(), bytes.size());
  if (d->id_ == 0) return Status::Corruption("the index's text dictionary is not a zstd dictionary");
  d->bytes_ = std::move(bytes);
  d->digested_ = std::make_unique<Digested>();
  d->digested_->cdict = ZSTD_createCDict(d->bytes_.data(), d->bytes_.size(), kDictLevel);
  d->digested_->ddict = ZSTD_createDDict(d->bytes_.data(), d->bytes_.size());
  if (d->digested_->cdict == nullptr || d->digested_->ddict == nullptr) {
    return Status::Corruption("the index's text dictionary does not load");
  }
  return std::shared_ptr<const TextDictionary>(std::move(d));
}

std::string TextDictionary::Train(const std::string& samples, const std::vector<size_t>& sizes, size_t capacity) {
  std::string dict(capacity, '\0');
  size_t got = ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sizes.data(),
                                     static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(got)) return std::string();
  dict.resize(got);
  return dict;
}

void AppendChunkTextInput(std::string_view context, std::string_view content, std::string* out) {
  auto n = static_cast<uint32_t>(context.size());
  for (int i = 0; i < 4; ++i) *out += static_cast<char>((n >> (8 * i)) & 0xff);
  out->append(context);
  out->append(content);
}

std::string PackChunkText(std::string_view context, std::string_view content, const TextDictionary* dict) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx;
  if (!cctx) {
    cctx.reset(ZSTD_createCCtx());
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kLevel);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  }
  // Sticky: set (or cleared) for every frame. A digested dictionary brings its level.
  ZSTD_CCtx_refCDict(cctx.get(), dict != nullptr ? dict->digested_->cdict : nullptr);
  if (dict == nullptr) ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kLevel);
  std::string raw;
  raw.reserve(4 + context.size() + content.size());
  AppendChunkTextInput(context, content, &raw);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t got = ZSTD_compress2(cctx.get(), out.data(), out.size(), raw.data(), raw.size());
  if (ZSTD_isError(got)) return std::string();  // cannot happen with a bound-sized buffer
  out.resize(got);
  return out;
}

uint32_t ChunkTextDictionary(std::string_view blob) {
  return ZSTD_getDictID_fromFrame(blob.data(), blob.size());
}

Status UnpackChunkText(std::string_view blob, std::string* context, std::string* content,
                       const TextDictionary* dict) {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx;
  if (!dctx) dctx.reset(ZSTD_createDCtx());
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size < 4 || size > (1ull << 31)) {
    return Status::Corruption("a chunk's text is not a zstd frame of known size");
  }
  uint32_t needs = ChunkTextDictionary(blob);
  if (needs != 0 && (dict == nullptr || dict->id() != needs)) {
    return Status::Corruption("a chunk's text needs text dictionary " + std::to_string(needs) +
                              ", which the index does not have");
  }
  std::string raw(static_cast<size_t>(size), '\0');
  size_t got = needs != 0 ? ZSTD_decompress_usingDDict(dctx.get(), raw.data(), raw.size(), blob.data(), blob.size(),
                                                       dict->digested_->ddict)
                          : ZSTD_decompressDCtx(dctx.get(), raw.data(), raw.size(), blob.data(), blob.size());
  if (ZSTD_isError(got) || got != raw.size()) {
    return Status::Corruption(std::string("a chunk's text does not decompress: ") +
                              (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short"));
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(raw[static_cast<size_t>(i)])) << (8 * i);
  if (n > raw.size() - 4) return Status::Corruption("a chunk's text has a wrong context length");
  context->assign(raw, 4, n);
  content->assign(raw, 4 + n, std::string::npos);
  return Status::Ok();
}

}  // namespace trawl::store_internal
