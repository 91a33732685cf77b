// A LanguageSpec put to work on syntax trees: see language_rules.h.
#include "chunk/language_rules.h"

#include <algorithm>

#include "chunk/text_index.h"

namespace trawl::chunk_internal {
namespace {

// The node's text, within `text`.
std::string_view NodeText(TSNode n, std::string_view text) {
  const auto size = static_cast<uint32_t>(text.size());
  uint32_t b = std::min(ts_node_start_byte(n), size);
  uint32_t e = std::min(ts_node_end_byte(n), size);
  return text.substr(b, e > b ? e - b : 0);
}

bool IsFunctionValue(std::string_view type) {
  return type == "arrow_function" || type == "function_expression" || type == "function" ||
         type == "generator_function";
}

uint16_t FieldId(const TSLanguage* lang, std::string_view name) {
  if (name.empty()) return 0;
  return ts_language_field_id_for_name(lang, name.data(), static_cast<uint32_t>(name.size()));
}

}  // namespace

std::string CleanName(std::string_view text) {
  constexpr size_t kMaxName = 160;
  std::string out;
  bool space = false;
  for (char c : text) {
    if (IsSpace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= kMaxName) break;
  }
  if (out.size() >= kMaxName) {  // cut: never end inside a character
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
      out.pop_back();
    }
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
  }
  return out;
}

LanguageRules::LanguageRules(const LanguageSpec& spec, const TSLanguage* lang) : spec_(spec) {
  symbols_.resize(ts_language_symbol_count(lang));
  for (TSSymbol sym = 0; sym < symbols_.size(); ++sym) {
    if (ts_language_symbol_type(lang, sym) != TSSymbolTypeRegular) continue;
    std::string_view name = ts_language_symbol_name(lang, sym);
    SymbolInfo& info = symbols_[sym];
    for (size_t i = 0; i < spec.defs.size(); ++i) {
      if (spec.defs[i].node_type == name) info.def_rule = static_cast<int16_t>(i);
    }
    for (const auto& [type, rule] : spec.imports) {
      if (type == name) info.import = rule;
    }
    for (std::string_view type : spec.comments) info.comment |= type == name;
    for (std::string_view type : spec.attributes) info.attribute |= type == name;
  }
  for (const DefRule& rule : spec.defs) inner_fields_.push_back(FieldId(lang, rule.inner_field));
  fields_.name = FieldId(lang, "name");
  fields_.declarator = FieldId(lang, "declarator");
  fields_.type = FieldId(lang, "type");
  fields_.receiver = FieldId(lang, "receiver");
  fields_.value = FieldId(lang, "value");
  fields_.body = FieldId(lang, "body");
  fields_.method = FieldId(lang, "method");
  fields_.property = FieldId(lang, "property");
}

const LanguageRules::SymbolInfo* LanguageRules::Info(TSNode n) const {
  TSSymbol sym = ts_node_symbol(n);
  return sym < symbols_.size() ? &symbols_[sym] : nullptr;
}

TSNode LanguageRules::Field(TSNode n, uint16_t id) const {
  if (id == 0) return TSNode{};
  return ts_node_child_by_field_id(n, id);
}

bool LanguageRules::IsComment(TSNode node) const {
  const SymbolInfo* si = Info(node);
  return si != nullptr && si->comment;
}

bool LanguageRules::IsAttribute(TSNode node) const {
  const SymbolInfo* si = Info(node);
  return si != nullptr && si->attribute;
}

TSNode LanguageRules::Body(TSNode node) const { return Field(node, fields_.body); }

bool LanguageRules::IsImport(TSNode node, std::string_view text) const {
  const SymbolInfo* si = Info(node);
  if (si == nullptr) return false;
  switch (si->import) {
    case ImportRule::kNone:
      return false;
    case ImportRule::kAlways:
      return true;
    case ImportRule::kRubyRequire: {
      TSNode m = Field(node, fields_.method);
      if (ts_node_is_null(m)) return false;
      std::string_view t = NodeText(m, text);
      return t == "require" || t == "require_relative" || t == "load";
    }
    case ImportRule::kPhpInclude: {
      if (ts_node_named_child_count(node) == 0) return false;
      std::string_view t = ts_node_type(ts_node_named_child(node, 0));
      return t.starts_with("include") || t.starts_with("require");
    }
  }
  return false;
}

// The name of a C/C++ declarator: follows "declarator" fields down to the
// function_declarator (functions) or to the innermost name (typedefs).
std::string_view LanguageRules::DeclaratorName(TSNode n, std::string_view text, bool want_function) const {
  for (int guard = 0; guard < 16 && !ts_node_is_null(n); ++guard) {
    std::string_view type = ts_node_type(n);
    if (want_function && type == "function_declarator") {
      TSNode d = Field(n, fields_.declarator);
      return ts_node_is_null(d) ? std::string_view() : NodeText(d, text);
    }
    TSNode next = Field(n, fields_.declarator);
    if (ts_node_is_null(next)) {
      if (ts_node_named_child_count(n) == 0) return want_function ? std::string_view() : NodeText(n, text);
      next = ts_node_named_child(n, 0);  // reference_declarator, parenthesized, ...
    }
    n = next;
  }
  return {};
}

bool LanguageRules::Classify(TSNode node, std::string_view text, DefInfo* info) const {
  return Classify(node, text, info, 0);
}

bool LanguageRules::Classify(TSNode node, std::string_view text, DefInfo* info, int depth) const {
  const SymbolInfo* si = Info(node);
  if (si == nullptr || si->def_rule < 0 || depth > 4) return false;
  const DefRule& rule = spec_.defs[si->def_rule];
  info->rule = &rule;
  info->kind = rule.kind;
  info->inner = node;
  TSNode name_node{};
  switch (rule.name) {
    case NameRule::kField:
      name_node = Field(node, fields_.name);
      break;
    case NameRule::kWrapper: {
      TSNode inner{};
      uint16_t field = inner_fields_[si->def_rule];
      if (field != 0) {
        inner = Field(node, field);
      } else {
        uint32_t count = ts_node_named_child_count(node);
        for (uint32_t i = count; i-- > 0;) {  // the definition comes last
          TSNode c = ts_node_named_child(node, i);
          const SymbolInfo* ci = Info(c);
          if (ci != nullptr && ci->def_rule >= 0) {
            inner = c;
            break;
          }
        }
      }
      if (ts_node_is_null(inner)) return false;
      return Classify(inner, text, info, depth + 1);
    }
    case NameRule::kCFunction: {
      std::string_view name = DeclaratorName(Field(node, fields_.declarator), text, true);
      info->name = CleanName(name);
      if (spec_.separator == "::" && info->name.find("::") != std::string::npos) {
        info->kind = "method";
      }
      TSNode d = Field(node, fields_.declarator);
      if (!ts_node_is_null(d)) info->name_byte = ts_node_start_byte(d);
      return true;
    }
    case NameRule::kCTypedef: {
      TSNode type = Field(node, fields_.type);
      if (!ts_node_is_null(type) && !ts_node_is_null(Field(type, fields_.body))) {
        std::string_view t = ts_node_type(type);
        if (t == "struct_specifier") info->kind = "struct";
        if (t == "union_specifier") info->kind = "union";
        if (t == "enum_specifier") info->kind = "enum";
        if (t == "class_specifier") info->kind = "class";
      }
      TSNode d = Field(node, fields_.declarator);
      info->name = CleanName(DeclaratorName(d, text, false));
      if (!ts_node_is_null(d)) info->name_byte = ts_node_start_byte(d);
      return true;
    }
    case NameRule::kCSpecifier:
      if (ts_node_is_null(Field(node, fields_.body))) return false;
      name_node = Field(node, fields_.name);
      break;
    case NameRule::kGoMethod: {
      name_node = Field(node, fields_.name);
      TSNode receiver = Field(node, fields_.receiver);
      std::string recv;
      if (!ts_node_is_null(receiver) && ts_node_named_child_count(receiver) > 0) {
        TSNode param = ts_node_named_child(receiver, 0);
        TSNode type = Field(param, fields_.type);
        if (!ts_node_is_null(type)) {
          std::string_view t = NodeText(type, text);
          while (!t.empty() && (t.front() == '*' || IsSpace(t.front()))) t.remove_prefix(1);
          recv = CleanName(t.substr(0, t.find('[')));
        }
      }
      std::string name = ts_node_is_null(name_node) ? "" : CleanName(NodeText(name_node, text));
      info->name = recv.empty() ? name : recv + "." + name;
      if (!ts_node_is_null(name_node)) info->name_byte = ts_node_start_byte(name_node);
      return true;
    }
    case NameRule::kGoType: {
      TSNode spec{};
      uint32_t count = ts_node_named_child_count(node);
      int specs = 0;
      for (uint32_t i = 0; i < count; ++i) {
        TSNode c = ts_node_named_child(node, i);
        std::string_view t = ts_node_type(c);
        if (t == "type_spec" || t == "type_alias") {
          spec = c;
          if (++specs > 1) break;
        }
      }
      if (specs != 1) return false;
      name_node = Field(spec, fields_.name);
      TSNode type = Field(spec, fields_.type);
      if (!ts_node_is_null(type)) {
        std::string_view t = ts_node_type(type);
        if (t == "struct_type") info->kind = "struct";
        if (t == "interface_type") info->kind = "interface";
      }
      break;
    }
    case NameRule::kRustImpl: {
      TSNode type = Field(node, fields_.type);
      if (!ts_node_is_null(type)) {
        std::string_view t = NodeText(type, text);
        info->name = CleanName(t.substr(0, t.find('<')));
        info->name_byte = ts_node_start_byte(type);
      }
      return true;
    }
    case NameRule::kJsVariable: {
      if (ts_node_named_child_count(node) != 1) return false;
      TSNode decl = ts_node_named_child(node, 0);
      if (std::string_view(ts_node_type(decl)) != "variable_declarator") return false;
      TSNode value = Field(decl, fields_.value);
      if (ts_node_is_null(value)) return false;
      std::string_view vt = ts_node_type(value);
      if (vt == "class") {
        info->kind = "class";
      } else if (!IsFunctionValue(vt)) {
        return false;
      }
      name_node = Field(decl, fields_.name);
      break;
    }
    case NameRule::kJsField: {
      TSNode value = Field(node, fields_.value);
      if (ts_node_is_null(value) || !IsFunctionValue(ts_node_type(value))) return false;
      name_node = Field(node, fields_.property);
      if (ts_node_is_null(name_node)) name_node = Field(node, fields_.name);
      break;
    }
  }
  if (!ts_node_is_null(name_node)) {
    info->name = CleanName(NodeText(name_node, text));
    info->name_byte = ts_node_start_byte(name_node);
  }
  return true;
}

}  // namespace trawl::chunk_internal
