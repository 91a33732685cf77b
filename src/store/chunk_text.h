// How the embedded store keeps a chunk's text: its context and content in one zstd frame
// (with zstd's checksum, so damage to the text is found when it is read), compressed with
// the index's dictionary once it has one. A dictionary trained on a sample of an index's
// own chunks takes 2000 of linux's from 1.07 MB (level 1, no dictionary) to 0.89 MB (level
// 3; level 1: +9%); chunks written before it exists keep their frames without one (a
// frame names the dictionary it needs).
// Thread-safety: pure functions (a compression context per thread); a TextDictionary is
// immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/status.h"

namespace trawl::store_internal {

class TextDictionary {
 public:
  ~TextDictionary();
  TextDictionary(const TextDictionary&) = delete;
  TextDictionary& operator=(const TextDictionary&) = delete;
  // A dictionary of Train; Corruption if `bytes` is not one.
  static Result<std::shared_ptr<const TextDictionary>> Load(std::string bytes);
  // A dictionary of at most `capacity` bytes from samples (PackChunkText's input form,
  // concatenated, and their sizes); empty if zstd cannot make one of them.
  static std::string Train(const std::string& samples, const std::vector<size_t>& sizes, size_t capacity);
  uint32_t id() const { return id_; }
  const std::string& bytes() const { return bytes_; }

 private:
  TextDictionary() = default;
  std::string bytes_;
  uint32_t id_ = 0;
  struct Digested;
  std::unique_ptr<Digested> digested_;
  friend std::string PackChunkText(std::string_view, std::string_view, const TextDictionary*);
  friend Status UnpackChunkText(std::string_view, std::string*, std::string*, const TextDictionary*);
};

// What PackChunkText compresses: [4-byte little-endian length of context][context][content].
void AppendChunkTextInput(std::string_view context, std::string_view content, std::string* out);
// PackChunkText's input, compressed, with `dict` if not null.
std::string PackChunkText(std::string_view context, std::string_view content, const TextDictionary* dict = nullptr);
// The dictionary a frame of PackChunkText needs (0: none).
uint32_t ChunkTextDictionary(std::string_view blob);
// Corruption if `blob` is not a frame PackChunkText made (with `dict` if it names one),
// or fails its checksum.
Status UnpackChunkText(std::string_view blob, std::string* context, std::string* content,
                       const TextDictionary* dict = nullptr);

}  // namespace trawl::store_internal
