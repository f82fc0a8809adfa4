#include "sim/crd_validation.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "crd/yaml_json.h"
#include "sim/object_names.h"
#include "sim/schema_validator.h"

namespace kcau::sim {
namespace {

std::string LowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Status ServeCrd(ObjectStore& store, const kube::Json& crd) {
  try {
    const auto& spec = crd.at("spec");
    const std::string group = spec.at("group").as_string();
    const auto& names = spec.at("names");
    const std::string plural = names.at("plural").as_string();
    const std::string kind = names.at("kind").as_string();
    const bool namespaced =
        !spec.has_string_field("scope") || spec.at("scope").as_string() != "Cluster";
    // The store serves one version per resource: the storage version (or the first served).
    const kube::Json* version = nullptr;
    for (const auto& candidate : spec.at("versions").as_array()) {
      if (candidate.has_boolean_field("served") && !candidate.at("served").as_bool()) continue;
      const bool storage =
          candidate.has_boolean_field("storage") && candidate.at("storage").as_bool();
      if (version == nullptr || storage) version = &candidate;
      if (storage) break;
    }
    if (version == nullptr)
      return InvalidArgumentError("CRD " + plural + "." + group + ": no version is served");
    const std::string v = version->at("name").as_string();
    if (store.FindResource(group, v, plural) == nullptr) {
      ResourceInfo info;
      info.resource = {group, v, plural, kind, namespaced};
      info.status_subresource = version->has_object_field("subresources") &&
                                version->at("subresources").has_field("status");
      info.singular =
          names.has_string_field("singular") ? names.at("singular").as_string() : LowerCase(kind);
      auto strings = [&names](const char* field) {
        std::vector<std::string> out;
        if (names.has_array_field(field)) {
          for (const auto& n : names.at(field).as_array()) out.push_back(n.as_string());
        }
        return out;
      };
      info.short_names = strings("shortNames");
      info.categories = strings("categories");
      store.RegisterResource(info);
    }
    const ResourceInfo* info = store.FindResource(group, v, plural);
    if (info == nullptr) {
      return InvalidArgumentError("CRD " + plural + "." + group + ": version " + v +
                                  " conflicts with the version already served");
    }
    const kube::Json& schema = version->at("schema").at("openAPIV3Schema");
    store.SetOpenApiSchema(info->resource, schema);
    auto validator = std::make_shared<SchemaValidator>(schema);
    store.SetValidator(
        info->resource, [validator, resource = info->resource](const kube::Json& o) -> Status {
          auto violations = validator->Validate(o);
          if (violations.empty()) return Status::Ok();
          const std::string name =
              o.has_object_field("metadata") && o.at("metadata").has_string_field("name")
                  ? o.at("metadata").at("name").as_string()
                  : "";
          // The API server's wording: UpdateRun.kcau.io "x" is invalid: spec.a: ...
          return InvalidObjectError(resource, name, {FormatViolations(violations)});
        });
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("not a CustomResourceDefinition: ") + e.what());
  }
  return Status::Ok();
}

Status InstallCrdValidation(ObjectStore& store, const std::string& crd_yaml) {
  auto crd = crd::YamlToJson(crd_yaml);
  if (!crd.ok()) return crd.status();
  return ServeCrd(store, *crd);
}

}  // namespace kcau::sim
