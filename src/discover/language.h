// Language detection from file names and shebangs (internal to src/discover; the
// public entry points are DetectLanguage and LooksBinary in discover.h).
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <string_view>

namespace trawl {

enum class NameKind {
  kKnown,        // the name says which language (or "text")
  kUnsupported,  // the name says it is not text: images, archives, objects...
  kUnknown,      // only the content can tell (shebang) or it is plain "text"
};

struct NameInfo {
  NameKind kind = NameKind::kUnknown;
  std::string_view language;  // for kKnown
  std::string_view extension;  // for kUnsupported: ".png"
};

NameInfo LanguageFromName(std::string_view rel_path);

// Language named by a "#!" line ("#!/usr/bin/env python3" -> "python"), or "".
std::string_view LanguageFromShebang(std::string_view head);

}  // namespace trawl
