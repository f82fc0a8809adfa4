#include "sim/kube_protobuf.h"

#include <cpprest/asyncrt_utils.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace kcau::sim {

namespace {

using kube::Json;

// How a field's value is encoded and shown in JSON.
enum class Type {
  kString,
  kBytes,  // base64 in JSON
  kBool,
  kInt,          // int32 or int64, as a varint
  kMessage,      // Field::message
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>
  kTime,         // meta/v1 Time: RFC 3339 in JSON
  kIntOrString,  // util/intstr IntOrString: a number or a string in JSON
};

struct Message;

struct Field {
  int number;
  const char* name;  // the JSON name
  Type type;
  bool repeated = false;
  // A Go pointer: on the wire only when set, and then shown even when zero ("immutable":
  // false). Plain fields are always on the wire, and their zero values are left out.
  bool optional = false;
  const Message* message = nullptr;
};

struct Message {
  const char* name;
  std::vector<Field> fields;
};

constexpr Type S = Type::kString;
constexpr Type I = Type::kInt;

// k8s.io/apimachinery/pkg/apis/meta/v1 and k8s.io/api/{core,rbac,policy}/v1 generated.proto.
const Message kTypeMeta{"TypeMeta", {{1, "apiVersion", S}, {2, "kind", S}}};
const Message kOwnerReference{"OwnerReference",
                              {{1, "kind", S},
                               {3, "name", S},
                               {4, "uid", S},
                               {5, "apiVersion", S},
                               {6, "controller", Type::kBool, false, true},
                               {7, "blockOwnerDeletion", Type::kBool, false, true}}};
const Message kObjectMeta{"ObjectMeta",
                          {{1, "name", S},
                           {2, "generateName", S},
                           {3, "namespace", S},
                           {4, "selfLink", S},
                           {5, "uid", S},
                           {6, "resourceVersion", S},
                           {7, "generation", I},
                           {8, "creationTimestamp", Type::kTime},
                           {9, "deletionTimestamp", Type::kTime},
                           {10, "deletionGracePeriodSeconds", I, false, true},
                           {11, "labels", Type::kStringMap},
                           {12, "annotations", Type::kStringMap},
                           {13, "ownerReferences", Type::kMessage, true, false, &kOwnerReference},
                           {14, "finalizers", S, true}}};
const Message kLabelSelectorRequirement{
    "LabelSelectorRequirement", {{1, "key", S}, {2, "operator", S}, {3, "values", S, true}}};
const Message kLabelSelector{
    "LabelSelector",
    {{1, "matchLabels", Type::kStringMap},
     {2, "matchExpressions", Type::kMessage, true, false, &kLabelSelectorRequirement}}};

const Message kConfigMap{"ConfigMap",
                         {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
                          {2, "data", Type::kStringMap},
                          {3, "binaryData", Type::kBytesMap},
                          {4, "immutable", Type::kBool, false, true}}};
const Message kNamespaceSpec{"NamespaceSpec", {{1, "finalizers", S, true}}};
const Message kNamespaceStatus{"NamespaceStatus", {{1, "phase", S}}};
const Message kNamespace{"Namespace",
                         {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
                          {2, "spec", Type::kMessage, false, false, &kNamespaceSpec},
                          {3, "status", Type::kMessage, false, false, &kNamespaceStatus}}};
const Message kObjectReference{"ObjectReference",
                               {{1, "kind", S},
                                {2, "namespace", S},
                                {3, "name", S},
                                {4, "uid", S},
                                {5, "apiVersion", S},
                                {6, "resourceVersion", S},
                                {7, "fieldPath", S}}};
const Message kLocalObjectReference{"LocalObjectReference", {{1, "name", S}}};
const Message kServiceAccount{
    "ServiceAccount",
    {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
     {2, "secrets", Type::kMessage, true, false, &kObjectReference},
     {3, "imagePullSecrets", Type::kMessage, true, false, &kLocalObjectReference},
     {4, "automountServiceAccountToken", Type::kBool, false, true}}};

const Message kPolicyRule{"PolicyRule",
                          {{1, "verbs", S, true},
                           {2, "apiGroups", S, true},
                           {3, "resources", S, true},
                           {4, "resourceNames", S, true},
                           {5, "nonResourceURLs", S, true}}};
const Message kAggregationRule{
    "AggregationRule", {{1, "clusterRoleSelectors", Type::kMessage, true, false, &kLabelSelector}}};
const Message kRole{"Role",
                    {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
                     {2, "rules", Type::kMessage, true, false, &kPolicyRule}}};
const Message kClusterRole{
    "ClusterRole",
    {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
     {2, "rules", Type::kMessage, true, false, &kPolicyRule},
     {3, "aggregationRule", Type::kMessage, false, true, &kAggregationRule}}};
const Message kSubject{"Subject",
                       {{1, "kind", S}, {2, "apiGroup", S}, {3, "name", S}, {4, "namespace", S}}};
const Message kRoleRef{"RoleRef", {{1, "apiGroup", S}, {2, "kind", S}, {3, "name", S}}};
const Message kRoleBinding{"RoleBinding",
                           {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
                            {2, "subjects", Type::kMessage, true, false, &kSubject},
                            {3, "roleRef", Type::kMessage, false, false, &kRoleRef}}};

const Message kPodDisruptionBudgetSpec{
    "PodDisruptionBudgetSpec",
    {{1, "minAvailable", Type::kIntOrString, false, true},
     {2, "selector", Type::kMessage, false, true, &kLabelSelector},
     {3, "maxUnavailable", Type::kIntOrString, false, true},
     {4, "unhealthyPodEvictionPolicy", S, false, true}}};
const Message kPodDisruptionBudgetStatus{"PodDisruptionBudgetStatus",
                                         {{1, "observedGeneration", I},
                                          {3, "disruptionsAllowed", I},
                                          {4, "currentHealthy", I},
                                          {5, "desiredHealthy", I},
                                          {6, "expectedPods", I}}};
const Message kPodDisruptionBudget{
    "PodDisruptionBudget",
    {{1, "metadata", Type::kMessage, false, false, &kObjectMeta},
     {2, "spec", Type::kMessage, false, false, &kPodDisruptionBudgetSpec},
     {3, "status", Type::kMessage, false, false, &kPodDisruptionBudgetStatus}}};

const std::map<std::string, const Message*>& KnownKinds() {
  static const auto* kinds = new std::map<std::string, const Message*>{
      {"v1/ConfigMap", &kConfigMap},
      {"v1/Namespace", &kNamespace},
      {"v1/ServiceAccount", &kServiceAccount},
      {"rbac.authorization.k8s.io/v1/Role", &kRole},
      {"rbac.authorization.k8s.io/v1/ClusterRole", &kClusterRole},
      {"rbac.authorization.k8s.io/v1/RoleBinding", &kRoleBinding},
      {"rbac.authorization.k8s.io/v1/ClusterRoleBinding", &kRoleBinding},
      {"policy/v1/PodDisruptionBudget", &kPodDisruptionBudget},
  };
  return *kinds;
}

// One field as it came off the wire.
struct WireField {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;     // wire type 0
  std::string_view bytes;  // wire type 2
};

bool ReadVarint(std::string_view in, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Calls `visit` on each field of the message in `in`, in wire order.
Status ForEachField(std::string_view in, const std::string& what,
                    const std::function<Status(const WireField&)>& visit) {
  size_t pos = 0;
  while (pos < in.size()) {
    WireField f;
    uint64_t tag = 0;
    if (!ReadVarint(in, pos, tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
      return InvalidArgumentError(what + ": malformed protobuf field tag");
    }
    f.number = static_cast<int>(tag >> 3);
    f.wire_type = static_cast<int>(tag & 7);
    uint64_t length = 0;
    switch (f.wire_type) {
      case 0:
        if (!ReadVarint(in, pos, f.varint)) {
          return InvalidArgumentError(what + ": truncated varint");
        }
        break;
      case 1:
      case 5:
        // Fixed-width numbers: none of the schemas here has one, but they are skipped whole.
        length = f.wire_type == 1 ? 8 : 4;
        if (in.size() - pos < length) return InvalidArgumentError(what + ": truncated field");
        pos += length;
        break;
      case 2:
        if (!ReadVarint(in, pos, length) || in.size() - pos < length) {
          return InvalidArgumentError(what + ": truncated field " + std::to_string(f.number));
        }
        f.bytes = in.substr(pos, length);
        pos += length;
        break;
      default:
        return InvalidArgumentError(what + ": unsupported protobuf wire type " +
                                    std::to_string(f.wire_type));
    }
    if (Status s = visit(f); !s.ok()) return s;
  }
  return Status::Ok();
}

std::string Base64(std::string_view bytes) {
  return utility::conversions::to_base64(std::vector<unsigned char>(bytes.begin(), bytes.end()));
}

StatusOr<Json> DecodeMessage(const Message& m, std::string_view in);

// A value and whether it is its type's zero value.
struct Decoded {
  Json value;
  bool zero = false;
};

StatusOr<Decoded> DecodeScalar(const Field& field, const WireField& f, const std::string& where) {
  const bool varint_type = field.type == Type::kBool || field.type == Type::kInt;
  if (f.wire_type != (varint_type ? 0 : 2)) {
    return InvalidArgumentError(where + ": wire type " + std::to_string(f.wire_type) +
                                " does not fit the field");
  }
  switch (field.type) {
    case Type::kString:
      return Decoded{Json::string(std::string(f.bytes)), f.bytes.empty()};
    case Type::kBytes:
      return Decoded{Json::string(Base64(f.bytes)), f.bytes.empty()};
    case Type::kBool:
      return Decoded{Json::boolean(f.varint != 0), f.varint == 0};
    case Type::kInt:
      return Decoded{Json::number(static_cast<int64_t>(f.varint)), f.varint == 0};
    case Type::kMessage: {
      auto object = DecodeMessage(*field.message, f.bytes);
      if (!object.ok()) return object.status();
      const bool empty = object->size() == 0;
      return Decoded{std::move(*object), empty};
    }
    case Type::kTime: {
      int64_t seconds = 0;
      Status s = ForEachField(f.bytes, where, [&](const WireField& t) {
        if (t.number == 1 && t.wire_type == 0) seconds = static_cast<int64_t>(t.varint);
        return Status::Ok();  // nanos (2): JSON shows whole seconds
      });
      if (!s.ok()) return s;
      if (seconds == 0) return Decoded{Json::null(), true};  // Go's zero Time is null
      return Decoded{Json::string(FormatRfc3339(WallClock::from_time_t(seconds))), false};
    }
    case Type::kIntOrString: {
      int64_t kind = 0, number = 0;
      std::string text;
      Status s = ForEachField(f.bytes, where, [&](const WireField& v) {
        if (v.number == 1 && v.wire_type == 0) kind = static_cast<int64_t>(v.varint);
        if (v.number == 2 && v.wire_type == 0) number = static_cast<int32_t>(v.varint);
        if (v.number == 3 && v.wire_type == 2) text = std::string(v.bytes);
        return Status::Ok();
      });
      if (!s.ok()) return s;
      return kind == 1 ? Decoded{Json::string(text), false} : Decoded{Json::number(number), false};
    }
    case Type::kStringMap:
    case Type::kBytesMap:
      break;  // entries are added to the map by DecodeMessage
  }
  return InternalError(where + ": no decoder");
}

StatusOr<Json> DecodeMessage(const Message& m, std::string_view in) {
  Json out = Json::object();
  Status s = ForEachField(in, m.name, [&](const WireField& f) -> Status {
    const Field* field = nullptr;
    for (const auto& candidate : m.fields) {
      if (candidate.number == f.number) field = &candidate;
    }
    const std::string where = std::string(m.name) + " field " + std::to_string(f.number);
    if (field == nullptr) {
      return NotFoundError(where + " is not one kcau-sim can decode from protobuf");
    }
    if (field->type == Type::kStringMap || field->type == Type::kBytesMap) {
      if (f.wire_type != 2) return InvalidArgumentError(where + ": a map entry must be bytes");
      std::string key, value;
      Status entry = ForEachField(f.bytes, where, [&](const WireField& e) {
        if (e.wire_type == 2 && e.number == 1) key = std::string(e.bytes);
        if (e.wire_type == 2 && e.number == 2) value = std::string(e.bytes);
        return Status::Ok();
      });
      if (!entry.ok()) return entry;
      out[field->name][key] =
          Json::string(field->type == Type::kBytesMap ? Base64(value) : std::move(value));
      return Status::Ok();
    }
    auto decoded = DecodeScalar(*field, f, where);
    if (!decoded.ok()) return decoded.status();
    if (field->repeated) {
      Json& list = out[field->name];
      if (list.is_null()) list = Json::array();
      list[list.size()] = std::move(decoded->value);
    } else if (!decoded->zero || field->optional) {
      out[field->name] = std::move(decoded->value);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace

StatusOr<Json> KubernetesProtobufToJson(const std::string& body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.compare(0, kMagic.size(), kMagic) != 0) {
    return InvalidArgumentError("provided data does not appear to be a protobuf message");
  }
  std::string api_version, kind, encoding;
  std::string_view raw;
  Status s = ForEachField(std::string_view(body).substr(kMagic.size()), "Unknown",
                          [&](const WireField& f) -> Status {
                            if (f.wire_type != 2) return Status::Ok();
                            if (f.number == 2) raw = f.bytes;
                            if (f.number == 3) encoding = std::string(f.bytes);
                            if (f.number != 1) return Status::Ok();
                            auto type_meta = DecodeMessage(kTypeMeta, f.bytes);
                            if (!type_meta.ok()) return type_meta.status();
                            if (type_meta->has_string_field("apiVersion")) {
                              api_version = type_meta->at("apiVersion").as_string();
                            }
                            if (type_meta->has_string_field("kind")) {
                              kind = type_meta->at("kind").as_string();
                            }
                            return Status::Ok();
                          });
  if (!s.ok()) return s;
  if (!encoding.empty()) {
    return NotFoundError("kcau-sim does not decode protobuf with contentEncoding " + encoding);
  }
  const auto known = KnownKinds().find(api_version + "/" + kind);
  if (known == KnownKinds().end()) {
    return NotFoundError(
        "kcau-sim decodes protobuf for ConfigMaps, Namespaces, ServiceAccounts, "
        "RBAC roles and bindings and PodDisruptionBudgets, not for " +
        (kind.empty() ? std::string("an object without a kind") : api_version + " " + kind) +
        "; send application/json");
  }
  auto object = DecodeMessage(*known->second, raw);
  if (!object.ok()) return object.status();
  (*object)["apiVersion"] = Json::string(api_version);
  (*object)["kind"] = Json::string(kind);
  return object;
}

}  // namespace kcau::sim
