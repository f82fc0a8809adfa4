#include "crd/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <regex>
#include <set>

namespace kcau::crd {

namespace {

using web::json::value;

// YAML 1.1's booleans, as go-yaml v2 (under sigs.k8s.io/yaml, hence kubectl) resolves them.
std::optional<bool> Yaml11Boolean(const std::string& text) {
  static const std::set<std::string> kTrue = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                              "on",   "On",   "ON",   "y",   "Y"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE", "no", "No", "NO",
                                               "off",   "Off",   "OFF",   "n",  "N"};
  if (kTrue.count(text)) return true;
  if (kFalse.count(text)) return false;
  return std::nullopt;
}

value PlainScalarToJson(const std::string& text) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::optional<bool> b = Yaml11Boolean(text)) return value::boolean(*b);
  if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty()) {
    return value::null();
  }
  if (std::regex_match(text, kInt)) {
    try {
      return value::number(static_cast<int64_t>(std::stoll(text)));
    } catch (const std::out_of_range&) {
      return value::string(text);
    }
  }
  if (std::regex_match(text, kFloat)) return value::number(std::stod(text));
  return value::string(text);
}

value ScalarToJson(const YAML::Node& node) {
  // A quoted scalar carries the non-specific tag "!": always a string.
  if (node.Tag() == "!") return value::string(node.Scalar());
  return PlainScalarToJson(node.Scalar());
}

value NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return value::null();
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      value arr = value::array();
      size_t i = 0;
      for (const auto& item : node) arr[i++] = NodeToJson(item);
      return arr;
    }
    case YAML::NodeType::Map: {
      value obj = value::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = NodeToJson(kv.second);
      return obj;
    }
  }
  return value::null();
}

void Emit(YAML::Emitter& out, const value& v) {
  switch (v.type()) {
    case value::Null:
      out << YAML::Null;
      return;
    case value::Boolean:
      out << (v.as_bool() ? "true" : "false");
      return;
    case value::Number:
      out << v.serialize();
      return;
    case value::String: {
      const std::string& s = v.as_string();
      const value reread = PlainScalarToJson(s);
      const bool plain_reads_back = reread.is_string() && reread.as_string() == s;
      if (!plain_reads_back) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case value::Array:
      out << YAML::BeginSeq;
      for (const value& item : v.as_array()) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case value::Object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : v.as_object()) {
        out << YAML::Key;
        const value reread = PlainScalarToJson(key);
        if (!reread.is_string() || reread.as_string() != key) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

std::string JsonToYaml(const value& json) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  Emit(out, json);
  return std::string(out.c_str()) + "\n";
}

StatusOr<std::vector<value>> YamlToJsonDocuments(const std::string& yaml) {
  try {
    std::vector<value> out;
    for (const auto& doc : YAML::LoadAll(yaml)) {
      if (doc.IsNull()) continue;
      out.push_back(NodeToJson(doc));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("YAML line " + std::to_string(e.mark.line + 1) + ", column " +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

StatusOr<value> YamlToJson(const std::string& yaml) {
  auto docs = YamlToJsonDocuments(yaml);
  if (!docs.ok()) return docs.status();
  if (docs->size() != 1) {
    return InvalidArgumentError("expected one YAML document, found " +
                                std::to_string(docs->size()));
  }
  return std::move(docs->front());
}

}  // namespace kcau::crd
