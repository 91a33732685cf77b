// Internal to src/chunk: a grammar's LanguageSpec (languages.h) put to work on its
// syntax trees. The spec's node types and field names are resolved to the grammar's ids
// once; then the walk asks of each node what it is: a definition, of what kind and by
// what name (the NameRule of its DefRule), an import, a comment or an attribute.
// Thread-safety: immutable after construction; its methods may be called from any thread.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/languages.h"

namespace trawl::chunk_internal {

// A definition node as Classify reads it.
struct DefInfo {
  const DefRule* rule = nullptr;
  std::string_view kind;  // the rule's, or what the node says ("struct" for a typedef's)
  std::string name;       // unqualified; "" when anonymous
  TSNode inner{};         // the definition inside its wrappers (decorators, export, ...)
  uint32_t name_byte = UINT32_MAX;  // where its name begins; UINT32_MAX: no name
};

class LanguageRules {
 public:
  // `language` is spec.ts_language(), which the tree-sitter runtime accepted.
  LanguageRules(const LanguageSpec& spec, const TSLanguage* language);

  const LanguageSpec& spec() const { return spec_; }

  // `text` is the file the node was parsed from: names are read from it.
  // True when `node` is a definition by the spec (a node type in spec.defs that its
  // NameRule accepts: a C struct with a body, a Go type_declaration of one type, ...),
  // filling `info`.
  bool Classify(TSNode node, std::string_view text, DefInfo* info) const;
  // An import (`import`, `#include`, `use`, Ruby's `require`, PHP's `include`).
  bool IsImport(TSNode node, std::string_view text) const;
  // Comments and attributes (decorators, #[...]) glue to the definition below them.
  bool IsComment(TSNode node) const;
  bool IsAttribute(TSNode node) const;
  // The node's "body" field (a type's members); null if it has none.
  TSNode Body(TSNode node) const;

 private:
  // What the spec says of one node type (by grammar symbol id).
  struct SymbolInfo {
    int16_t def_rule = -1;  // index in spec.defs
    ImportRule import = ImportRule::kNone;
    bool comment = false;
    bool attribute = false;
  };
  struct FieldIds {
    uint16_t name = 0, declarator = 0, type = 0, receiver = 0, value = 0, body = 0,
             method = 0, property = 0;
  };

  const SymbolInfo* Info(TSNode n) const;
  TSNode Field(TSNode n, uint16_t id) const;
  bool Classify(TSNode node, std::string_view text, DefInfo* info, int depth) const;
  std::string_view DeclaratorName(TSNode n, std::string_view text, bool want_function) const;

  const LanguageSpec& spec_;
  std::vector<SymbolInfo> symbols_;
  std::vector<uint16_t> inner_fields_;  // per spec.defs entry; 0: none
  FieldIds fields_;
};

// Source text as a name: whitespace runs collapsed to one space, cut to a bounded
// length (never inside a UTF-8 character).
std::string CleanName(std::string_view text);

}  // namespace trawl::chunk_internal
