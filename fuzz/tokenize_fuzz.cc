// libFuzzer target for the code-aware tokeniser: arbitrary bytes as chunk text. Must never
// crash or hang; aborts when a result breaks the contract (terms are non-empty and at most
// 64 bytes or a split part of one; every declaration's name lies inside its signature,
// and its signature inside the text, starting a line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/tokenize.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::ForEachCodeTerm(text, [](std::string_view term, bool) { Check(!term.empty() && term.size() <= 64); });
  for (const trawl::Declaration& d : trawl::Declarations(text)) {
    Check(!d.name.empty());
    Check(Inside(d.signature, text));
    Check(Inside(d.name, d.signature));
    Check(d.signature.data() == text.data() || d.signature.data()[-1] == '\n');
  }
  (void)trawl::CodeTermsText(text);
  return 0;
}
