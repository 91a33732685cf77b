// Git's wildmatch (wildmatch.c) with WM_PATHNAME semantics: '*' and '?' do not match
// '/', "**/" and "/**" span directories, [...] classes (ranges, '!'/'^' negation,
// [:alpha:] etc.), '\' escapes. Used by ignore rules and by search path filters.
// Same answers as git's wildmatch(pattern, text, WM_PATHNAME [| WM_CASEFOLD]), but
// never exponential: after a budget of backtracking steps it memoizes.
// Thread-safety: pure function.
#pragma once

#include <string_view>

namespace trawl {

bool WildMatch(std::string_view pattern, std::string_view text, bool case_fold = false);

}  // namespace trawl
