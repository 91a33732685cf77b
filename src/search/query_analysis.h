// What a pasted query says beyond its words. Issue texts and stack traces mix prose with
// code blocks, tracebacks, error messages, paths and dotted names; each is worth
// something different: the files a query names (traceback frames, paths, dotted module
// names) and the identifiers it uses as code point at the code to look at more often
// than any word does, and prose weighs least.
// Thread-safety: pure functions; a PathIndex is immutable once built.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace trawl {

// The paths of source files named in `query` ("sympy/core/add.py",
// "C:\\proj\\src\\main.c" as "C:/proj/src/main.c", "./lib/x.js:12" as "lib/x.js"),
// '/'-separated, distinct, ordered by their last mention. Only names with a source
// file extension count; at most `max` (the last mentioned).
std::vector<std::string> MentionedPaths(std::string_view query, size_t max = 16);

// An identifier the query uses as code: called ("kernS(text)"), quoted in backticks,
// a traceback frame's function, written in a code style (snake_case, camelCase) or
// qualified ("Contains.as_set").
struct CodeName {
  std::string name;       // as written: "as_set"
  std::string qualifier;  // the name before it in a dotted chain: "Contains" (or "")
  double salience = 0;    // (0, 1]: how much the query is about it (title, prose, code)
  // The first names of the dotted chains it was written in ("np" for "np.array"), or
  // itself when written alone; "" when unknown (after a call: "f(x).name"); distinct,
  // at most 4 (the last "" when there were more).
  std::vector<std::string> roots;
};

// Where a query's text is: what its words are worth.
enum class QueryPart { kTitle, kProse, kCode, kTrace };

// How `query` reads.
struct QueryAnalysis {
  // Files named: traceback frames, paths (MentionedPaths), in order of last mention.
  std::vector<std::string> paths;
  // Dotted names that may be modules ("sympy.polys.rings"), as paths without an
  // extension ("sympy/polys/rings"), distinct, in order of first mention (the first 64).
  std::vector<std::string> modules;
  // Identifiers used as code, most salient first.
  std::vector<CodeName> names;
  // Error messages ("ValueError: Dimension of ... but it should be ..."): the message.
  std::vector<std::string> messages;
  // The weight of each term (ForEachCodeTerm form) by where it occurs: 1 in the title or
  // code, less when it is only in prose. Terms not in the map weigh 1.
  std::unordered_map<std::string, double> term_weight;
  // What the import statements of its code bind: alias -> the top-level module
  // ("np" -> "numpy" for "import numpy as np", "array" -> "numpy" for "from numpy
  // import array"), and the usual aliases of the most used libraries (np, pd, plt)
  // unless the query binds them otherwise.
  std::unordered_map<std::string, std::string> imports;
  // The query has structure beyond one line of words (code, a trace, a title and a body).
  bool structured = false;
  // It holds code: a code block or session, a traceback, or an error message.
  bool has_code = false;
};
QueryAnalysis AnalyzeQuery(std::string_view query);

class PathIndex;
// Whether every use of `name` is through a module the query imports from outside the
// indexed code ("array" in "np.array(x)" after "import numpy as np", when no indexed
// package is named numpy): such a name is another library's, not one to look for here.
bool IsForeignName(const CodeName& name, const QueryAnalysis& analysis, const PathIndex& paths);

// The literal parts of an error message, as code would hold them in a string: the runs
// of at least three words between interpolated values (quoted parts, numbers,
// brackets), at most four: "Dimension of \"exp(x)\" is Dimension(time), but it should be
// Dimension(1)" gives "but it should be Dimension".
std::vector<std::string> MessageFragments(std::string_view message);

// The indexed files, by file name, to find the ones a mention names.
class PathIndex {
 public:
  explicit PathIndex(std::vector<std::string> paths);
  // The files (sorted) that `mention` names: those whose path ends with the mention's
  // longest component-aligned suffix ("/usr/lib/python3/site-packages/sympy/core/add.py"
  // names "sympy/core/add.py"), at least its file name and one folder when it has one.
  // Empty when nothing matches or the name is ambiguous (more than `max_matches` files).
  std::vector<std::string> Resolve(std::string_view mention, size_t max_matches = 2) const;
  // The file a module path ("sympy/polys/rings" from "sympy.polys.rings") names: a source
  // file of that path ("sympy/polys/rings.py") or its package's "__init__.py", matched on
  // every component; or, when the last component is no file (a class or function:
  // "sympy.core.numbers.Float"), the module before it. Empty when none or ambiguous.
  std::vector<std::string> ResolveModule(std::string_view module) const;
  // Whether a module of that name may be indexed: a folder of that name anywhere
  // ("sympy/", "src/sympy/"; a package, a namespace package) or a source file
  // ("six.py").
  bool HasModule(std::string_view top) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> by_name_;  // paths sorted
  std::unordered_set<std::string> folders_;  // every folder's name
};

}  // namespace trawl
