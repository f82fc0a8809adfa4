#include "crd/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <regex>

namespace kcau::crd {

namespace {

using web::json::value;

value ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // A quoted scalar carries the non-specific tag "!": always a string.
  if (node.Tag() == "!") return value::string(text);
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text == "true" || text == "True" || text == "TRUE") return value::boolean(true);
  if (text == "false" || text == "False" || text == "FALSE") return value::boolean(false);
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

}  // namespace

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
