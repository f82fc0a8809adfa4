#include "cli/run_manifest.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include "crd/yaml_json.h"

namespace kcau::cli {

using web::json::value;

std::string GeneratedRunName(const std::string& prefix, TimePoint now) {
  const std::time_t t = WallClock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return prefix + buf;
}

value UpdateRunObject(const std::string& name, const value& spec) {
  value o = value::object(/*keep_order=*/true);
  o["apiVersion"] = value::string("kcau.io/v1alpha1");
  o["kind"] = value::string("UpdateRun");
  o["metadata"] = value::object();
  o["metadata"]["name"] = value::string(name);
  o["spec"] = spec;
  return o;
}

StatusOr<SpecFile> ReadSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("-f " + path + ": cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = crd::YamlToJson(text.str());
  if (!doc.ok()) return InvalidArgumentError("-f " + path + ": " + doc.status().message());
  if (!doc->is_object()) return InvalidArgumentError("-f " + path + ": expected a YAML mapping");
  SpecFile file;
  value spec = *doc;
  if (doc->has_string_field("kind")) {
    if (doc->at("kind").as_string() != "UpdateRun") {
      return InvalidArgumentError("-f " + path + ": kind " + doc->at("kind").as_string() +
                                  " is not an UpdateRun (give an UpdateRun or a spec)");
    }
    spec = doc->has_object_field("spec") ? doc->at("spec") : value::object();
    if (doc->has_object_field("metadata") && doc->at("metadata").has_string_field("name")) {
      file.name = doc->at("metadata").at("name").as_string();
    }
  }
  file.input.spec = spec;
  for (const auto& [key, unused] : spec.as_object()) file.input.origin[key] = "-f " + path;
  return file;
}

}  // namespace kcau::cli
