// Text normalisation and the text index: see text_index.h.
#include <algorithm>
#include <string>

#include "base/utf8.h"
#include "chunk/text_index.h"

namespace trawl::chunk_internal {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// UTF-16 (after its BOM) -> UTF-8; unpaired surrogates and an odd last byte become U+FFFD.
std::string DecodeUtf16(std::string_view s, bool big_endian) {
  std::string out;
  out.reserve(s.size());
  auto unit = [&](size_t i) -> uint32_t {
    auto a = static_cast<unsigned char>(s[i]);
    auto b = static_cast<unsigned char>(s[i + 1]);
    return big_endian ? (a << 8 | b) : (b << 8 | a);
  };
  size_t i = 0;
  while (i + 1 < s.size()) {
    uint32_t u = unit(i);
    i += 2;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 < s.size()) {
        uint32_t lo = unit(i);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          i += 2;
          AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &out);
          continue;
        }
      }
      out += kReplacement;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      out += kReplacement;
    } else {
      AppendUtf8(u, &out);
    }
  }
  if (i < s.size()) out += kReplacement;
  return out;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if the byte there starts none.
size_t ValidSequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

// True when `s` is valid UTF-8 without "\r\n": the common case, checked without copying.
bool IsClean(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\r' && i + 1 < n && s[i + 1] == '\n') return false;
      ++i;
      continue;
    }
    size_t len = ValidSequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace

bool NormalizeText(std::string_view raw, std::string* out, std::vector<std::string>* notes) {
  std::string decoded;
  std::string_view s = raw;
  bool changed = false;
  if (s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0xFF &&
      static_cast<unsigned char>(s[1]) == 0xFE) {
    decoded = DecodeUtf16(s.substr(2), /*big_endian=*/false);
    notes->push_back("UTF-16LE decoded to UTF-8");
    s = decoded;
    changed = true;
  } else if (s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0xFE &&
             static_cast<unsigned char>(s[1]) == 0xFF) {
    decoded = DecodeUtf16(s.substr(2), /*big_endian=*/true);
    notes->push_back("UTF-16BE decoded to UTF-8");
    s = decoded;
    changed = true;
  } else if (s.substr(0, 3) == "\xEF\xBB\xBF") {
    s.remove_prefix(3);
    notes->push_back("UTF-8 BOM removed");
    changed = true;
  }
  if (IsClean(s)) {
    if (!changed) return false;
    out->assign(s);
    return true;
  }
  std::string result;
  result.reserve(s.size());
  size_t invalid = 0;
  size_t crlf = 0;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        ++crlf;
        ++i;
        continue;
      }
      result.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = ValidSequenceLength(s, i);
    if (len == 0) {
      ++invalid;
      result += kReplacement;
      ++i;
    } else {
      result.append(s.substr(i, len));
      i += len;
    }
  }
  if (invalid > 0) {
    notes->push_back("invalid UTF-8: " + std::to_string(invalid) + " byte(s) replaced by U+FFFD");
  }
  if (crlf > 0) notes->push_back("CRLF line ends normalised to LF");
  *out = std::move(result);
  return true;
}

void TextIndex::Reset(std::string_view text) {
  text_ = text;
  const size_t n = text.size();
  prefix_.resize(n + 1);
  line_starts_.clear();
  line_starts_.push_back(0);
  uint32_t count = 0;
  prefix_[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    count += static_cast<uint32_t>(!IsSpace(c) && (c & 0xC0) != 0x80);
    prefix_[i + 1] = count;
    if (c == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
  }
  // A final '\n' ends the last line; it does not start an empty one.
  if (line_starts_.size() > 1 && line_starts_.back() == n) line_starts_.pop_back();
}

int TextIndex::LineOf(uint32_t byte) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte);
  return static_cast<int>(it - line_starts_.begin()) - 1;
}

uint32_t TextIndex::FirstNonSpace(uint32_t b, uint32_t e) const {
  if (b >= e || prefix_[e] == prefix_[b]) return e;
  // The first i with prefix_[i + 1] > prefix_[b].
  auto it = std::upper_bound(prefix_.begin() + b, prefix_.begin() + e + 1, prefix_[b]);
  return static_cast<uint32_t>(it - prefix_.begin()) - 1;
}

uint32_t TextIndex::EndNonSpace(uint32_t b, uint32_t e) const {
  if (b >= e || prefix_[e] == prefix_[b]) return b;
  // The first j with prefix_[j] == prefix_[e]: the last counted character starts at j - 1.
  auto it = std::lower_bound(prefix_.begin() + b, prefix_.begin() + e + 1, prefix_[e]);
  auto j = static_cast<uint32_t>(it - prefix_.begin());
  while (j < e && (static_cast<unsigned char>(text_[j]) & 0xC0) == 0x80) ++j;
  return j;
}

uint32_t TextIndex::AdvanceNws(uint32_t b, uint32_t e, int n) const {
  uint32_t target = prefix_[b] + static_cast<uint32_t>(n);
  if (prefix_[e] < target) return e;
  auto it = std::lower_bound(prefix_.begin() + b + 1, prefix_.begin() + e + 1, target);
  auto p = static_cast<uint32_t>(it - prefix_.begin());
  while (p < e && (static_cast<unsigned char>(text_[p]) & 0xC0) == 0x80) ++p;
  return p;
}

void CutByLines(const TextIndex& index, uint32_t b, uint32_t e, int max_nws,
                std::vector<ByteRange>* out, int first_max_nws) {
  if (b >= e) return;
  const size_t out_start = out->size();
  // The first piece may have to leave room for what precedes the range.
  auto limit = [&] {
    return out->size() == out_start && first_max_nws > 0 ? std::min(first_max_nws, max_nws)
                                                         : max_nws;
  };
  uint32_t piece_begin = b;
  int piece_nws = 0;
  int first = index.LineOf(b);
  int last = index.LineOf(e - 1);
  for (int line = first; line <= last; ++line) {
    uint32_t lb = std::max(index.LineStart(line), b);
    uint32_t le = std::min(index.LineNext(line), e);
    int line_nws = index.Nws(lb, le);
    if (line_nws > limit()) {
      if (piece_nws > 0) {
        out->push_back({piece_begin, lb});
        piece_begin = lb;
        piece_nws = 0;
      }
      // Cut the long line at character boundaries; the last cut carries on as the
      // current piece so that the following lines can join it.
      uint32_t p = piece_begin;
      while (index.Nws(p, le) > limit()) {
        uint32_t cut = index.AdvanceNws(p, le, limit());
        out->push_back({p, cut});
        p = cut;
      }
      piece_begin = p;
      piece_nws = index.Nws(p, le);
      continue;
    }
    if (piece_nws > 0 && piece_nws + line_nws > limit()) {
      out->push_back({piece_begin, lb});
      piece_begin = lb;
      piece_nws = 0;
    }
    piece_nws += line_nws;
  }
  out->push_back({piece_begin, e});
}

void ChunkSink::Emit(uint32_t b, uint32_t e, std::string_view kind, std::string_view symbol,
                     std::string context) {
  uint32_t start = index_.FirstNonSpace(b, e);
  if (start >= e) return;
  uint32_t end = index_.EndNonSpace(start, e);
  int start_line = index_.LineOf(start);
  // Keep the indentation of the first line when it holds nothing else.
  uint32_t line_start = index_.LineStart(start_line);
  if (line_start < start && index_.Nws(line_start, start) == 0) {
    bool only_blanks = true;
    for (uint32_t i = line_start; i < start; ++i) {
      char c = index_.text()[i];
      if (c != ' ' && c != '\t') only_blanks = false;
    }
    if (only_blanks) start = line_start;
  }
  Chunk chunk;
  chunk.start_line = start_line + 1;
  chunk.end_line = index_.LineOf(end - 1) + 1;
  chunk.start_byte = start;
  chunk.end_byte = end;
  chunk.kind = kind;
  chunk.symbol = symbol;
  chunk.language = language_;
  chunk.content = index_.text().substr(start, end - start);
  chunk.context = std::move(context);
  out_->push_back(std::move(chunk));
}

std::string HeaderLine(const TextIndex& index, int line) {
  constexpr size_t kMaxHeader = 120;
  uint32_t b = index.LineStart(line);
  uint32_t e = index.LineNext(line);
  uint32_t s = index.FirstNonSpace(b, e);
  uint32_t t = index.EndNonSpace(s, e);
  std::string_view text = index.text().substr(s, t - s);
  if (text.size() <= kMaxHeader) return std::string(text);
  return std::string(Utf8Prefix(text, kMaxHeader)) + "...";
}

}  // namespace trawl::chunk_internal
