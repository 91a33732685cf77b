// Internal to src/chunk: what the syntax chunker needs to know about each grammar —
// which node types are definitions (and how to name them), imports, comments.
// Thread-safety: the tables are immutable after construction.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "chunk/brace_skeleton.h"

struct TSLanguage;

namespace trawl::chunk_internal {

// How a definition node is named (and, for some, whether it is one at all).
enum class NameRule : uint8_t {
  kField,        // the "name" field (may be absent: anonymous)
  kCFunction,    // C/C++ function_definition: the declarator of its function_declarator
  kCTypedef,     // typedef: the declared name; kind from the type (struct/enum/union/type)
  kCSpecifier,   // struct/union/enum/class specifier: a definition only with a body
  kGoMethod,     // receiver type + "." + name
  kGoType,       // type_declaration with a single type_spec: struct/interface/type
  kRustImpl,     // impl_item: its type, without generic arguments
  kJsVariable,   // const f = () => {}, var C = class {}: one declarator with such a value
  kJsField,      // class field whose value is a function: handle = () => {}
  kWrapper,      // decorated_definition, export_statement, template_declaration, ...
};

enum class ImportRule : uint8_t {
  kNone,
  kAlways,       // the node type is an import
  kRubyRequire,  // call to require / require_relative / load
  kPhpInclude,   // expression_statement holding include/require(_once)
};

struct DefRule {
  std::string_view node_type;
  std::string_view kind;   // "function" becomes "method" inside a type
  NameRule name = NameRule::kField;
  // Holds other definitions: split into members when it is long, even under the size
  // limit, so each method can be retrieved on its own.
  bool container = false;
  // Its functions are methods (a type), as opposed to a namespace or module of functions.
  bool type_scope = false;
  std::string_view inner_field = {};  // kWrapper: the field holding the definition
};

// How a language's bodies are left out of its first parse: not at all, by brace pairs
// (brace_skeleton.h), as Python bodies but their last statement, as Ruby methods' bodies
// the parse confirms (indent_skeleton.h).
enum class SkeletonKind : uint8_t { kNone, kBraces, kPython, kRuby };

struct LanguageSpec {
  std::string_view name;                  // "python", as from DetectLanguage
  const TSLanguage* (*ts_language)();
  std::string_view separator;             // qualifies symbols: "." or "::"
  std::vector<DefRule> defs;
  std::vector<std::pair<std::string_view, ImportRule>> imports;
  std::vector<std::string_view> comments;   // glue to the definition below them
  std::vector<std::string_view> attributes; // decorators, #[attributes]: glue likewise
  // What a first parse leaves out: the bodies a chunk keeps whole.
  SkeletonKind skeleton = SkeletonKind::kNone;
  BraceDialect braces = BraceDialect::kC;  // kBraces: how to tell the pairs
};

// The specs of every compiled-in grammar, in a fixed order.
const std::vector<LanguageSpec>& SyntaxLanguageSpecs();
// nullptr if `language` has no grammar.
const LanguageSpec* FindSyntaxLanguage(std::string_view language);

}  // namespace trawl::chunk_internal
