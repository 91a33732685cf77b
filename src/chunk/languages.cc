// Per-grammar tables for the syntax chunker. Node type names are those of the pinned
// grammar packages (node-types.json); a name a grammar lacks simply never matches.
#include "chunk/languages.h"

extern "C" {
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_typescript(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_java(void);
const TSLanguage* tree_sitter_c_sharp(void);
const TSLanguage* tree_sitter_ruby(void);
const TSLanguage* tree_sitter_php(void);
const TSLanguage* tree_sitter_bash(void);
const TSLanguage* tree_sitter_json(void);
}

namespace trawl::chunk_internal {
namespace {

using N = NameRule;
using I = ImportRule;

// A type: holds members, its functions are methods.
DefRule Type(std::string_view node_type, std::string_view kind, NameRule name = N::kField) {
  return {node_type, kind, name, /*container=*/true, /*type_scope=*/true};
}
// A namespace or module: holds members, its functions stay functions.
DefRule Scope(std::string_view node_type, std::string_view kind) {
  return {node_type, kind, N::kField, /*container=*/true, /*type_scope=*/false};
}
DefRule Leaf(std::string_view node_type, std::string_view kind, NameRule name = N::kField) {
  return {node_type, kind, name};
}
DefRule Wrapper(std::string_view node_type, std::string_view inner_field = {}) {
  return {node_type, "", N::kWrapper, false, false, inner_field};
}

std::vector<DefRule> JsDefs(bool typescript) {
  std::vector<DefRule> defs = {
      Leaf("function_declaration", "function"),
      Leaf("generator_function_declaration", "function"),
      Type("class_declaration", "class"),
      Leaf("method_definition", "method"),
      Leaf("lexical_declaration", "function", N::kJsVariable),
      Leaf("variable_declaration", "function", N::kJsVariable),
      Leaf("field_definition", "method", N::kJsField),
      Wrapper("export_statement", "declaration"),
  };
  if (typescript) {
    defs.push_back(Type("abstract_class_declaration", "class"));
    defs.push_back(Type("interface_declaration", "interface"));
    defs.push_back(Type("enum_declaration", "enum"));
    defs.push_back(Leaf("type_alias_declaration", "type"));
    defs.push_back(Scope("internal_module", "namespace"));
    defs.push_back(Scope("module", "namespace"));
    defs.push_back(Leaf("public_field_definition", "method", N::kJsField));
    defs.push_back(Leaf("abstract_method_signature", "method"));
    defs.push_back(Leaf("function_signature", "function"));
    defs.push_back(Wrapper("ambient_declaration"));
  }
  return defs;
}

std::vector<DefRule> CDefs(bool cpp) {
  std::vector<DefRule> defs = {
      Leaf("function_definition", "function", N::kCFunction),
      Type("struct_specifier", "struct", N::kCSpecifier),
      Type("union_specifier", "union", N::kCSpecifier),
      Type("enum_specifier", "enum", N::kCSpecifier),
      Type("type_definition", "type", N::kCTypedef),
  };
  if (cpp) {
    defs.push_back(Type("class_specifier", "class", N::kCSpecifier));
    defs.push_back(Scope("namespace_definition", "namespace"));
    defs.push_back(Wrapper("template_declaration"));
    defs.push_back(Leaf("concept_definition", "type"));
  }
  return defs;
}

void Braces(LanguageSpec* spec, BraceDialect dialect) {
  spec->skeleton = SkeletonKind::kBraces;
  spec->braces = dialect;
}

std::vector<LanguageSpec> BuildSpecs() {
  std::vector<LanguageSpec> specs;
  specs.push_back({"python", tree_sitter_python, ".",
                   {Leaf("function_definition", "function"), Type("class_definition", "class"),
                    Wrapper("decorated_definition", "definition")},
                   {{"import_statement", I::kAlways},
                    {"import_from_statement", I::kAlways},
                    {"future_import_statement", I::kAlways}},
                   {"comment"},
                   {}});
  specs.back().skeleton = SkeletonKind::kPython;
  auto js_imports = std::vector<std::pair<std::string_view, ImportRule>>{
      {"import_statement", I::kAlways}};
  specs.push_back({"javascript", tree_sitter_javascript, ".", JsDefs(false), js_imports,
                   {"comment", "html_comment"}, {"decorator"}});
  Braces(&specs.back(), BraceDialect::kJavaScript);
  specs.push_back({"typescript", tree_sitter_typescript, ".", JsDefs(true), js_imports,
                   {"comment", "html_comment"}, {"decorator"}});
  Braces(&specs.back(), BraceDialect::kTypeScript);
  specs.push_back({"tsx", tree_sitter_tsx, ".", JsDefs(true), js_imports,
                   {"comment", "html_comment"}, {"decorator"}});
  specs.push_back({"c", tree_sitter_c, "::", CDefs(false), {{"preproc_include", I::kAlways}},
                   {"comment"}, {}});
  Braces(&specs.back(), BraceDialect::kC);
  specs.push_back({"cpp", tree_sitter_cpp, "::", CDefs(true),
                   {{"preproc_include", I::kAlways}, {"using_declaration", I::kAlways}},
                   {"comment"}, {}});
  Braces(&specs.back(), BraceDialect::kCpp);
  specs.push_back({"go", tree_sitter_go, ".",
                   {Leaf("function_declaration", "function"),
                    Leaf("method_declaration", "method", N::kGoMethod),
                    Type("type_declaration", "type", N::kGoType)},
                   {{"import_declaration", I::kAlways}, {"package_clause", I::kAlways}},
                   {"comment"},
                   {}});
  Braces(&specs.back(), BraceDialect::kGo);
  specs.push_back({"rust", tree_sitter_rust, "::",
                   {Leaf("function_item", "function"),
                    Leaf("function_signature_item", "function"),
                    Type("struct_item", "struct"), Type("enum_item", "enum"),
                    Type("union_item", "union"), Type("trait_item", "trait"),
                    Type("impl_item", "impl", N::kRustImpl), Scope("mod_item", "module"),
                    Leaf("macro_definition", "macro"), Leaf("type_item", "type")},
                   {{"use_declaration", I::kAlways}, {"extern_crate_declaration", I::kAlways}},
                   {"line_comment", "block_comment"},
                   {"attribute_item"}});
  Braces(&specs.back(), BraceDialect::kRust);
  specs.push_back({"java", tree_sitter_java, ".",
                   {Type("class_declaration", "class"), Type("interface_declaration", "interface"),
                    Type("enum_declaration", "enum"), Type("record_declaration", "record"),
                    Type("annotation_type_declaration", "interface"),
                    Leaf("method_declaration", "method"),
                    Leaf("constructor_declaration", "method"),
                    Leaf("compact_constructor_declaration", "method")},
                   {{"import_declaration", I::kAlways}, {"package_declaration", I::kAlways}},
                   {"line_comment", "block_comment"},
                   {}});
  Braces(&specs.back(), BraceDialect::kJava);
  specs.push_back({"c_sharp", tree_sitter_c_sharp, ".",
                   {Scope("namespace_declaration", "namespace"),
                    Type("class_declaration", "class"), Type("struct_declaration", "struct"),
                    Type("interface_declaration", "interface"), Type("enum_declaration", "enum"),
                    Type("record_declaration", "record"),
                    Leaf("method_declaration", "method"),
                    Leaf("constructor_declaration", "method"),
                    Leaf("destructor_declaration", "method"),
                    Leaf("operator_declaration", "method"),
                    Leaf("local_function_statement", "function")},
                   {{"using_directive", I::kAlways}, {"extern_alias_directive", I::kAlways}},
                   {"comment"},
                   {}});
  specs.push_back({"ruby", tree_sitter_ruby, ".",
                   {Leaf("method", "function"), Leaf("singleton_method", "method"),
                    Type("class", "class"), Type("module", "module"),
                    Type("singleton_class", "class")},
                   {{"call", I::kRubyRequire}},
                   {"comment"},
                   {}});
  specs.back().skeleton = SkeletonKind::kRuby;
  specs.push_back({"php", tree_sitter_php, "::",
                   {Leaf("function_definition", "function"), Leaf("method_declaration", "method"),
                    Type("class_declaration", "class"), Type("interface_declaration", "interface"),
                    Type("trait_declaration", "trait"), Type("enum_declaration", "enum"),
                    Scope("namespace_definition", "namespace")},
                   {{"namespace_use_declaration", I::kAlways},
                    {"expression_statement", I::kPhpInclude}},
                   {"comment"},
                   {}});
  Braces(&specs.back(), BraceDialect::kPhp);
  specs.push_back({"bash", tree_sitter_bash, ".", {Leaf("function_definition", "function")}, {},
                   {"comment"}, {}});
  specs.push_back({"json", tree_sitter_json, ".", {}, {}, {"comment"}, {}});
  return specs;
}

}  // namespace

const std::vector<LanguageSpec>& SyntaxLanguageSpecs() {
  static const std::vector<LanguageSpec> specs = BuildSpecs();
  return specs;
}

const LanguageSpec* FindSyntaxLanguage(std::string_view language) {
  for (const LanguageSpec& spec : SyntaxLanguageSpecs()) {
    if (spec.name == language) return &spec;
  }
  return nullptr;
}

}  // namespace trawl::chunk_internal
