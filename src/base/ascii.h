// ASCII character classes, inline and locale-free (the locale-aware <cctype> calls were a
// hot spot in the tokeniser). Bytes >= 0x80 are never letters or digits; they belong to
// identifiers (UTF-8).
// Thread-safety: pure functions.
#pragma once

namespace trawl::ascii {

constexpr bool IsUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLower(unsigned char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
// A byte of an identifier: a letter, a digit, '_' or any byte of a UTF-8 sequence.
constexpr bool IsIdentByte(unsigned char c) {
  return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c >= 0x80;
}
constexpr bool IsIdentChar(char c) { return IsIdentByte(static_cast<unsigned char>(c)); }
// Whitespace within a line: space, tab, form feed, vertical tab, carriage return.
constexpr bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r'; }
constexpr char ToLower(char c) {
  return IsUpper(static_cast<unsigned char>(c)) ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace trawl::ascii
