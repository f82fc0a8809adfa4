#include "sim/openapi_v2.h"

#include <cstdint>
#include <cstring>

namespace kcau::sim {

namespace {

using kube::Json;

// Protocol-buffer wire format, only what the Document needs: varints, doubles and
// length-delimited fields (strings and embedded messages).
class ProtoWriter {
 public:
  ProtoWriter& String(int field, const std::string& s) {
    Tag(field, 2);
    Varint(s.size());
    out_ += s;
    return *this;
  }
  ProtoWriter& Message(int field, const std::string& encoded) { return String(field, encoded); }
  ProtoWriter& Bool(int field, bool b) {
    Tag(field, 0);
    Varint(b ? 1 : 0);
    return *this;
  }
  ProtoWriter& Int(int field, int64_t v) {
    Tag(field, 0);
    Varint(static_cast<uint64_t>(v));
    return *this;
  }
  ProtoWriter& Double(int field, double v) {
    Tag(field, 1);
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);  // little-endian, as the wire format and x86-64
    out_.append(bytes, sizeof v);
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  void Tag(int field, int wire_type) { Varint((static_cast<uint64_t>(field) << 3) | wire_type); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

// Field numbers of gnostic's OpenAPIv2.proto.
namespace field {
constexpr int kAnyYaml = 2;
constexpr int kNamedName = 1, kNamedValue = 2;
constexpr int kSchemaFormat = 2, kSchemaDescription = 4, kSchemaMaximum = 7, kSchemaMinimum = 9,
              kSchemaMaxLength = 11, kSchemaMinLength = 12, kSchemaPattern = 13,
              kSchemaMaxItems = 14, kSchemaMinItems = 15, kSchemaRequired = 19, kSchemaEnum = 20,
              kSchemaAdditionalProperties = 21, kSchemaType = 22, kSchemaItems = 23,
              kSchemaProperties = 25, kSchemaVendorExtension = 31;
constexpr int kAdditionalSchema = 1, kAdditionalBoolean = 2;
constexpr int kRepeatedValue = 1;  // TypeItem.value, ItemsItem.schema, Properties, Definitions
constexpr int kInfoTitle = 1, kInfoVersion = 2;
constexpr int kDocumentSwagger = 1, kDocumentInfo = 2, kDocumentDefinitions = 9;
}  // namespace field

// An openapi.v2.Any: the value as YAML text (JSON is YAML).
std::string AnyOf(const Json& value) {
  return ProtoWriter().String(field::kAnyYaml, value.serialize()).Take();
}

std::string Named(const std::string& name, const std::string& encoded_value) {
  return ProtoWriter()
      .String(field::kNamedName, name)
      .Message(field::kNamedValue, encoded_value)
      .Take();
}

std::string EncodeSchema(const Json& schema);

// A JSON Schema as the API server turns a CRD's structural schema into v2: int-or-string
// becomes a string of format int-or-string, as intstr.IntOrString is published.
std::string EncodeSchema(const Json& schema) {
  ProtoWriter w;
  if (!schema.is_object()) return w.Take();
  const bool int_or_string = schema.has_boolean_field("x-kubernetes-int-or-string") &&
                             schema.at("x-kubernetes-int-or-string").as_bool();
  if (int_or_string) {
    w.String(field::kSchemaFormat, "int-or-string");
  } else if (schema.has_string_field("format")) {
    w.String(field::kSchemaFormat, schema.at("format").as_string());
  }
  if (schema.has_string_field("description")) {
    w.String(field::kSchemaDescription, schema.at("description").as_string());
  }
  if (schema.has_number_field("maximum")) {
    w.Double(field::kSchemaMaximum, schema.at("maximum").as_double());
  }
  if (schema.has_number_field("minimum")) {
    w.Double(field::kSchemaMinimum, schema.at("minimum").as_double());
  }
  for (auto [name, number] : {std::make_pair("maxLength", field::kSchemaMaxLength),
                              std::make_pair("minLength", field::kSchemaMinLength),
                              std::make_pair("maxItems", field::kSchemaMaxItems),
                              std::make_pair("minItems", field::kSchemaMinItems)}) {
    if (schema.has_number_field(name)) w.Int(number, schema.at(name).as_number().to_int64());
  }
  if (schema.has_string_field("pattern")) {
    w.String(field::kSchemaPattern, schema.at("pattern").as_string());
  }
  if (schema.has_array_field("required")) {
    for (const auto& r : schema.at("required").as_array()) {
      if (r.is_string()) w.String(field::kSchemaRequired, r.as_string());
    }
  }
  if (schema.has_array_field("enum")) {
    for (const auto& e : schema.at("enum").as_array()) w.Message(field::kSchemaEnum, AnyOf(e));
  }
  if (schema.has_field("additionalProperties")) {
    const Json& extra = schema.at("additionalProperties");
    ProtoWriter item;
    if (extra.is_boolean()) {
      item.Bool(field::kAdditionalBoolean, extra.as_bool());
    } else {
      item.Message(field::kAdditionalSchema, EncodeSchema(extra));
    }
    w.Message(field::kSchemaAdditionalProperties, item.Take());
  }
  const std::string type = int_or_string                     ? "string"
                           : schema.has_string_field("type") ? schema.at("type").as_string()
                                                             : "";
  if (!type.empty()) {
    w.Message(field::kSchemaType, ProtoWriter().String(field::kRepeatedValue, type).Take());
  }
  if (schema.has_object_field("items")) {
    w.Message(
        field::kSchemaItems,
        ProtoWriter().Message(field::kRepeatedValue, EncodeSchema(schema.at("items"))).Take());
  }
  if (schema.has_object_field("properties")) {
    ProtoWriter properties;
    for (const auto& [name, property] : schema.at("properties").as_object()) {
      properties.Message(field::kRepeatedValue, Named(name, EncodeSchema(property)));
    }
    w.Message(field::kSchemaProperties, properties.Take());
  }
  for (const auto& [name, value] : schema.as_object()) {
    if (name.rfind("x-", 0) == 0 && name != "x-kubernetes-int-or-string") {
      w.Message(field::kSchemaVendorExtension, Named(name, AnyOf(value)));
    }
  }
  return w.Take();
}

// "io.kcau.v1alpha1.UpdateRun", "io.k8s.api.core.v1.Pod": the names the API server gives.
std::string DefinitionName(const kube::Resource& r) {
  std::string reversed;
  if (r.group.empty() || r.group.find('.') == std::string::npos) {
    reversed = "io.k8s.api." + (r.group.empty() ? std::string("core") : r.group);
  } else {
    std::string rest = r.group;
    while (!rest.empty()) {
      const size_t dot = rest.rfind('.');
      reversed +=
          (reversed.empty() ? "" : ".") + (dot == std::string::npos ? rest : rest.substr(dot + 1));
      rest = dot == std::string::npos ? "" : rest.substr(0, dot);
    }
  }
  return reversed + "." + r.version + "." + r.kind;
}

// Every served kind's schema with its group-version-kind, keyed by definition name.
std::vector<std::pair<std::string, Json>> Definitions(const ObjectStore& store) {
  std::vector<std::pair<std::string, Json>> out;
  for (const auto& info : store.Resources()) {
    const auto& r = info.resource;
    Json schema = Json::object();
    if (auto crd_schema = store.OpenApiSchema(r)) {
      schema = *crd_schema;
    } else {
      schema["type"] = Json::string("object");
    }
    Json gvk = Json::object();
    gvk["group"] = Json::string(r.group);
    gvk["kind"] = Json::string(r.kind);
    gvk["version"] = Json::string(r.version);
    schema["x-kubernetes-group-version-kind"][0] = gvk;
    out.emplace_back(DefinitionName(r), std::move(schema));
  }
  return out;
}

constexpr const char* kTitle = "Kubernetes";
constexpr const char* kVersion = "v1.32.0";

}  // namespace

Json OpenApiV2Json(const ObjectStore& store) {
  Json doc = Json::object();
  doc["swagger"] = Json::string("2.0");
  doc["info"]["title"] = Json::string(kTitle);
  doc["info"]["version"] = Json::string(kVersion);
  doc["paths"] = Json::object();
  Json definitions = Json::object();
  for (auto& [name, schema] : Definitions(store)) definitions[name] = std::move(schema);
  doc["definitions"] = definitions;
  return doc;
}

std::string OpenApiV2Protobuf(const ObjectStore& store) {
  ProtoWriter definitions;
  for (const auto& [name, schema] : Definitions(store)) {
    definitions.Message(field::kRepeatedValue, Named(name, EncodeSchema(schema)));
  }
  return ProtoWriter()
      .String(field::kDocumentSwagger, "2.0")
      .Message(field::kDocumentInfo, ProtoWriter()
                                         .String(field::kInfoTitle, kTitle)
                                         .String(field::kInfoVersion, kVersion)
                                         .Take())
      .Message(field::kDocumentDefinitions, definitions.Take())
      .Take();
}

}  // namespace kcau::sim
