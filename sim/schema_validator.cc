#include "sim/schema_validator.h"

#include <regex>

#include "sim/object_names.h"

namespace kcau::sim {

namespace {

using kube::Json;

std::string TypeOf(const Json& v) {
  switch (v.type()) {
    case Json::Number:
      return v.is_integer() ? "integer" : "number";
    case Json::Boolean:
      return "boolean";
    case Json::String:
      return "string";
    case Json::Object:
      return "object";
    case Json::Array:
      return "array";
    default:
      return "null";
  }
}

std::string Str(const Json& schema, const char* key) {
  return schema.has_string_field(key) ? schema.at(key).as_string() : "";
}

void Walk(const Json& schema, const Json& v, const std::string& path,
          std::vector<SchemaViolation>& out) {
  auto add = [&](const std::string& message) { out.push_back({path, message}); };
  if (v.is_null()) return;  // null means "not set" for optional fields
  const bool int_or_string = schema.has_boolean_field("x-kubernetes-int-or-string") &&
                             schema.at("x-kubernetes-int-or-string").as_bool();
  if (int_or_string) {
    if (!v.is_integer() && !v.is_string()) {
      add("Invalid value: \"" + TypeOf(v) + "\": " + path + " in body must be of type " +
          "int-or-string");
    }
    return;
  }
  const std::string type = Str(schema, "type");
  if (!type.empty()) {
    const std::string actual = TypeOf(v);
    const bool ok = actual == type || (type == "number" && actual == "integer");
    if (!ok) {
      add("Invalid value: \"" + actual + "\": " + path + " in body must be of type " + type +
          ": \"" + actual + "\"");
      return;
    }
  }
  if (schema.has_array_field("enum")) {
    bool found = false;
    std::string choices;
    for (const auto& e : schema.at("enum").as_array()) {
      found = found || e == v;
      choices += (choices.empty() ? "" : ", ") + e.serialize();
    }
    if (!found) add("Unsupported value: " + v.serialize() + ": supported values: " + choices);
  }
  if (v.is_number()) {
    const double n = v.as_double();
    if (schema.has_field("minimum") && n < schema.at("minimum").as_double()) {
      add("Invalid value: " + v.serialize() + ": " + path +
          " in body should be greater than or equal to " + schema.at("minimum").serialize());
    }
    if (schema.has_field("maximum") && n > schema.at("maximum").as_double()) {
      add("Invalid value: " + v.serialize() + ": " + path +
          " in body should be less than or equal to " + schema.at("maximum").serialize());
    }
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (schema.has_integer_field("minLength") &&
        static_cast<int>(s.size()) < schema.at("minLength").as_integer()) {
      add("Invalid value: " + GoQuote(s) + ": " + path + " in body should be at least " +
          schema.at("minLength").serialize() + " chars long");
    }
    if (schema.has_string_field("pattern")) {
      // Go's RE2 and ECMAScript agree on the patterns CRDs use.
      if (!std::regex_search(s, std::regex(schema.at("pattern").as_string()))) {
        add("Invalid value: " + GoQuote(s) + ": " + path + " in body should match '" +
            schema.at("pattern").as_string() + "'");
      }
    }
  }
  if (v.is_array()) {
    if (schema.has_integer_field("minItems") &&
        static_cast<int>(v.size()) < schema.at("minItems").as_integer()) {
      add("Invalid value: " + std::to_string(v.size()) + ": " + path +
          " in body should have at least " + schema.at("minItems").serialize() + " items");
    }
    if (schema.has_object_field("items")) {
      size_t i = 0;
      for (const auto& item : v.as_array()) {
        Walk(schema.at("items"), item, path + "[" + std::to_string(i++) + "]", out);
      }
    }
  }
  if (v.is_object()) {
    if (schema.has_array_field("required")) {
      for (const auto& r : schema.at("required").as_array()) {
        if (!v.has_field(r.as_string())) {
          out.push_back(
              {path.empty() ? r.as_string() : path + "." + r.as_string(), "Required value"});
        }
      }
    }
    const bool preserve = schema.has_boolean_field("x-kubernetes-preserve-unknown-fields") &&
                          schema.at("x-kubernetes-preserve-unknown-fields").as_bool();
    for (const auto& [key, item] : v.as_object()) {
      const std::string child = path.empty() ? key : path + "." + key;
      if (path.empty() && (key == "metadata" || key == "apiVersion" || key == "kind")) continue;
      if (schema.has_object_field("properties") && schema.at("properties").has_field(key)) {
        Walk(schema.at("properties").at(key), item, child, out);
      } else if (schema.has_object_field("additionalProperties")) {
        Walk(schema.at("additionalProperties"), item, child, out);
      } else if (!preserve && (schema.has_object_field("properties") || type == "object")) {
        // fieldValidation=Strict, which kubectl sends: unknown fields are errors.
        out.push_back({child, "unknown field " + GoQuote(child)});
      }
    }
  }
}

}  // namespace

std::vector<SchemaViolation> SchemaValidator::Validate(const Json& object) const {
  std::vector<SchemaViolation> out;
  Walk(schema_, object, "", out);
  return out;
}

std::string FormatViolations(const std::vector<SchemaViolation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    if (!out.empty()) out += "; ";
    out += v.field + ": " + v.message;
  }
  return out;
}

}  // namespace kcau::sim
