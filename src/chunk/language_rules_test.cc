#include "chunk/language_rules.h"

#include <gtest/gtest.h>
#include <tree_sitter/api.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chunk/languages.h"

namespace trawl::chunk_internal {
namespace {

// `source` parsed whole by `language`'s grammar, with that language's rules.
class Parsed {
 public:
  Parsed(std::string_view language, std::string source) : source_(std::move(source)) {
    const LanguageSpec* spec = FindSyntaxLanguage(language);
    EXPECT_NE(spec, nullptr) << language;
    if (spec == nullptr) return;
    parser_.reset(ts_parser_new());
    EXPECT_TRUE(ts_parser_set_language(parser_.get(), spec->ts_language()));
    tree_.reset(ts_parser_parse_string(parser_.get(), nullptr, source_.data(),
                                       static_cast<uint32_t>(source_.size())));
    rules_.emplace(*spec, spec->ts_language());
  }

  const std::string& source() const { return source_; }
  const LanguageRules& rules() const { return *rules_; }

  // The `nth` node of `type` (in document order); null if there is none.
  TSNode Find(std::string_view type, int nth = 0) const {
    TSNode found{};
    if (tree_ != nullptr) Visit(ts_tree_root_node(tree_.get()), type, &nth, &found);
    EXPECT_FALSE(ts_node_is_null(found)) << "no " << type << " in " << source_;
    return found;
  }

  // Classify on the `nth` node of `type`: the definition, or nullopt.
  std::optional<DefInfo> Classify(std::string_view type, int nth = 0) const {
    TSNode node = Find(type, nth);
    DefInfo info;
    if (ts_node_is_null(node) || !rules_->Classify(node, source_, &info)) return std::nullopt;
    return info;
  }

  // Where `text` begins in the source.
  uint32_t Offset(std::string_view text) const { return static_cast<uint32_t>(source_.find(text)); }

 private:
  struct ParserDeleter {
    void operator()(TSParser* p) const { ts_parser_delete(p); }
  };
  struct TreeDeleter {
    void operator()(TSTree* t) const { ts_tree_delete(t); }
  };

  static void Visit(TSNode n, std::string_view type, int* nth, TSNode* found) {
    if (!ts_node_is_null(*found)) return;
    if (type == ts_node_type(n) && (*nth)-- == 0) {
      *found = n;
      return;
    }
    uint32_t count = ts_node_child_count(n);
    for (uint32_t i = 0; i < count; ++i) Visit(ts_node_child(n, i), type, nth, found);
  }

  std::string source_;
  std::unique_ptr<TSParser, ParserDeleter> parser_;
  std::unique_ptr<TSTree, TreeDeleter> tree_;
  std::optional<LanguageRules> rules_;
};

TEST(LanguageRulesTest, PythonClassAndDecoratedFunction) {
  Parsed p("python",
           "import os\n"
           "# a comment\n"
           "class Store(Base):\n"
           "    pass\n\n"
           "@cache\n"
           "def lookup(key):\n"
           "    return key\n");
  auto cls = p.Classify("class_definition");
  ASSERT_TRUE(cls.has_value());
  EXPECT_EQ(cls->kind, "class");
  EXPECT_EQ(cls->name, "Store");
  EXPECT_EQ(cls->name_byte, p.Offset("Store"));
  EXPECT_TRUE(cls->rule->container);
  EXPECT_TRUE(cls->rule->type_scope);

  // A wrapper is classified as the definition inside it.
  auto decorated = p.Classify("decorated_definition");
  ASSERT_TRUE(decorated.has_value());
  EXPECT_EQ(decorated->kind, "function");
  EXPECT_EQ(decorated->name, "lookup");
  EXPECT_TRUE(ts_node_eq(decorated->inner, p.Find("function_definition")));
  EXPECT_FALSE(decorated->rule->container);

  EXPECT_TRUE(p.rules().IsImport(p.Find("import_statement"), p.source()));
  EXPECT_TRUE(p.rules().IsComment(p.Find("comment")));
  EXPECT_FALSE(p.rules().IsComment(p.Find("import_statement")));
  EXPECT_FALSE(p.Classify("import_statement").has_value());
  EXPECT_TRUE(ts_node_eq(p.rules().Body(p.Find("class_definition")), p.Find("block")));
}

TEST(LanguageRulesTest, CNamesComeFromDeclarators) {
  Parsed p("c",
           "#include <stdio.h>\n"
           "static const char *name_of(int x) { return 0; }\n"
           "struct point;\n"
           "struct point { int x; };\n"
           "typedef struct { int y; } Pair;\n"
           "typedef unsigned long size;\n");
  auto f = p.Classify("function_definition");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, "function");
  EXPECT_EQ(f->name, "name_of");
  // A struct is a definition only with its body.
  EXPECT_FALSE(p.Classify("struct_specifier", 0).has_value());
  auto point = p.Classify("struct_specifier", 1);
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->name, "point");
  // A typedef takes its kind from the type it names.
  auto pair = p.Classify("type_definition", 0);
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->kind, "struct");
  EXPECT_EQ(pair->name, "Pair");
  EXPECT_EQ(pair->name_byte, p.Offset("Pair"));
  auto size = p.Classify("type_definition", 1);
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->kind, "type");
  EXPECT_EQ(size->name, "size");
  EXPECT_TRUE(p.rules().IsImport(p.Find("preproc_include"), p.source()));
}

TEST(LanguageRulesTest, CppQualifiedFunctionIsAMethod) {
  Parsed p("cpp", "int Store::get() const { return 1; }\nint get() { return 2; }\n");
  auto method = p.Classify("function_definition", 0);
  ASSERT_TRUE(method.has_value());
  EXPECT_EQ(method->kind, "method");
  EXPECT_EQ(method->name, "Store::get");
  auto function = p.Classify("function_definition", 1);
  ASSERT_TRUE(function.has_value());
  EXPECT_EQ(function->kind, "function");
}

TEST(LanguageRulesTest, GoMethodsAndTypes) {
  Parsed p("go",
           "package cache\n"
           "func (c *Cache[K]) Get(k K) {}\n"
           "type Entry struct{ k int }\n"
           "type (\n\tA int\n\tB int\n)\n");
  auto get = p.Classify("method_declaration");
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->name, "Cache.Get");
  EXPECT_EQ(get->name_byte, p.Offset("Get("));
  auto entry = p.Classify("type_declaration", 0);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->kind, "struct");
  EXPECT_EQ(entry->name, "Entry");
  // Several types in one declaration: none of them names it.
  EXPECT_FALSE(p.Classify("type_declaration", 1).has_value());
  EXPECT_TRUE(p.rules().IsImport(p.Find("package_clause"), p.source()));
}

TEST(LanguageRulesTest, RustImplIsNamedAfterItsType) {
  Parsed p("rust",
           "#[derive(Debug)]\n"
           "struct Stack<T> { v: Vec<T> }\n"
           "impl<T: Clone> Stack<T> { fn pop(&mut self) {} }\n");
  auto impl = p.Classify("impl_item");
  ASSERT_TRUE(impl.has_value());
  EXPECT_EQ(impl->kind, "impl");
  EXPECT_EQ(impl->name, "Stack");
  EXPECT_TRUE(p.rules().IsAttribute(p.Find("attribute_item")));
  EXPECT_FALSE(p.rules().IsAttribute(p.Find("struct_item")));
}

TEST(LanguageRulesTest, JavaScriptVariablesAreDefinitionsOnlyWithFunctionOrClassValues) {
  Parsed p("javascript",
           "const add = (a, b) => a + b;\n"
           "const limit = 10;\n"
           "const Store = class {};\n"
           "export function run() {}\n");
  auto add = p.Classify("lexical_declaration", 0);
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->kind, "function");
  EXPECT_EQ(add->name, "add");
  EXPECT_FALSE(p.Classify("lexical_declaration", 1).has_value());
  auto store = p.Classify("lexical_declaration", 2);
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->kind, "class");
  auto run = p.Classify("export_statement");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->name, "run");
  EXPECT_TRUE(ts_node_eq(run->inner, p.Find("function_declaration")));
}

TEST(LanguageRulesTest, RubyRequireAndPhpIncludeAreImports) {
  Parsed ruby("ruby", "require 'json'\nputs 'hello'\n");
  EXPECT_TRUE(ruby.rules().IsImport(ruby.Find("call", 0), ruby.source()));
  EXPECT_FALSE(ruby.rules().IsImport(ruby.Find("call", 1), ruby.source()));
  Parsed php("php", "<?php\ninclude 'a.php';\nrun();\necho 'b';\n");
  EXPECT_TRUE(php.rules().IsImport(php.Find("expression_statement", 0), php.source()));
  EXPECT_FALSE(php.rules().IsImport(php.Find("expression_statement", 1), php.source()));
  EXPECT_FALSE(php.rules().IsImport(php.Find("echo_statement"), php.source()));
}

TEST(LanguageRulesTest, CleanNameCollapsesSpaceAndCutsOnACharacter) {
  EXPECT_EQ(CleanName("  operator \n\t ()  "), "operator ()");
  // A long name is cut, never inside a UTF-8 character, whatever the cut falls on.
  for (size_t prefix = 150; prefix < 165; ++prefix) {
    std::string text = std::string(prefix, 'a');
    for (int i = 0; i < 10; ++i) text += "\xC3\xA9\xE2\x82\xAC";  // é€
    std::string name = CleanName(text);
    EXPECT_LT(name.size(), text.size());
    EXPECT_LE(name.size(), 160u);
    EXPECT_TRUE(text.starts_with(name)) << prefix;
    // The cut falls before a character's first byte.
    unsigned char next = static_cast<unsigned char>(text[name.size()]);
    EXPECT_NE(next & 0xC0, 0x80) << prefix;
  }
}

}  // namespace
}  // namespace trawl::chunk_internal
