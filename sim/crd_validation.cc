#include "sim/crd_validation.h"

#include "crd/yaml_json.h"
#include "sim/schema_validator.h"

namespace kcau::sim {

Status InstallCrdValidation(ObjectStore& store, const std::string& crd_yaml) {
  auto crd = crd::YamlToJson(crd_yaml);
  if (!crd.ok()) return crd.status();
  try {
    const auto& spec = crd->at("spec");
    const std::string group = spec.at("group").as_string();
    const std::string plural = spec.at("names").at("plural").as_string();
    const std::string kind = spec.at("names").at("kind").as_string();
    for (const auto& version : spec.at("versions").as_array()) {
      const std::string v = version.at("name").as_string();
      const ResourceInfo* info = store.FindResource(group, v, plural);
      if (info == nullptr) {
        return NotFoundError("CRD " + plural + "." + group + "/" + v + " is not served");
      }
      auto validator =
          std::make_shared<SchemaValidator>(version.at("schema").at("openAPIV3Schema"));
      const std::string what = kind + "." + group;
      store.SetValidator(info->resource, [validator, what](const kube::Json& o) -> Status {
        auto violations = validator->Validate(o);
        if (violations.empty()) return Status::Ok();
        const std::string name =
            o.has_object_field("metadata") && o.at("metadata").has_string_field("name")
                ? o.at("metadata").at("name").as_string()
                : "";
        // The API server's wording: UpdateRun.kcau.io "x" is invalid: spec.a: ...
        return InvalidArgumentError(what + " \"" + name +
                                    "\" is invalid: " + FormatViolations(violations));
      });
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("not a CustomResourceDefinition: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace kcau::sim
