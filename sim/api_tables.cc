#include "sim/api_tables.h"

#include <map>
#include <set>

#include "kube/partial_object_metadata.h"
#include "sim/event_table.h"

namespace kcau::sim {

namespace {

using kube::Json;

Json Str(const std::string& s) { return Json::string(s); }

Json StrArray(const std::vector<std::string>& v) {
  Json a = Json::array(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = Str(v[i]);
  return a;
}

std::map<std::string, std::set<std::string>> GroupVersions(const ObjectStore& store) {
  std::map<std::string, std::set<std::string>> gv;
  for (const auto& info : store.Resources()) gv[info.resource.group].insert(info.resource.version);
  return gv;
}

std::string Field(const Json& o, const char* a, const char* b) {
  if (!o.has_object_field(a)) return "";
  const Json& in = o.at(a);
  return in.has_string_field(b) ? in.at(b).as_string() : "";
}

std::string IntField(const Json& o, const char* a, const char* b) {
  if (!o.has_object_field(a) || !o.at(a).has_integer_field(b)) return "0";
  return std::to_string(o.at(a).at(b).as_integer());
}

std::string ConditionStatus(const Json& o, const std::string& type) {
  if (!o.has_object_field("status") || !o.at("status").has_array_field("conditions")) return "";
  for (const auto& c : o.at("status").at("conditions").as_array()) {
    if (c.has_string_field("type") && c.at("type").as_string() == type) {
      return c.has_string_field("status") ? c.at("status").as_string() : "";
    }
  }
  return "";
}

Json Column(const std::string& name, const std::string& type, const std::string& format = "") {
  Json c = Json::object();
  c["name"] = Str(name);
  c["type"] = Str(type);
  c["format"] = Str(format);
  c["description"] = Str(name);
  c["priority"] = Json::number(0);
  return c;
}

Json Operation(const std::string& action, const kube::Resource& r, bool field_validation) {
  Json op = Json::object();
  op["operationId"] = Str(action + r.kind);
  op["x-kubernetes-action"] = Str(action);
  Json gvk = Json::object();
  gvk["group"] = Str(r.group);
  gvk["version"] = Str(r.version);
  gvk["kind"] = Str(r.kind);
  op["x-kubernetes-group-version-kind"] = gvk;
  Json params = Json::array();
  if (field_validation) {
    // kubectl looks for this query parameter on PATCH to know the server validates fields
    // itself; it then sends fieldValidation=Strict instead of validating client-side.
    Json p = Json::object();
    p["name"] = Str("fieldValidation");
    p["in"] = Str("query");
    p["schema"]["type"] = Str("string");
    params[0] = p;
  }
  op["parameters"] = params;
  Json schema_ref = Json::object();
  schema_ref["$ref"] = Str("#/components/schemas/" + r.group + "." + r.version + "." + r.kind);
  op["responses"]["200"]["description"] = Str("OK");
  op["responses"]["200"]["content"]["application/json"]["schema"] = schema_ref;
  return op;
}

}  // namespace

std::string HumanAge(Duration age) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  if (s < 0) return "0s";
  if (s < 120) return std::to_string(s) + "s";
  const int64_t m = s / 60;
  if (m < 10) return std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  if (m < 180) return std::to_string(m) + "m";
  const int64_t h = m / 60;
  if (h < 48) return std::to_string(h) + "h";
  return std::to_string(h / 24) + "d";
}

Json VersionInfo() {
  Json v = Json::object();
  v["major"] = Str("1");
  v["minor"] = Str("32");
  v["gitVersion"] = Str("v1.32.0-kcau-sim");
  v["gitCommit"] = Str("0000000000000000000000000000000000000000");
  v["gitTreeState"] = Str("clean");
  v["buildDate"] = Str("2026-01-01T00:00:00Z");
  v["goVersion"] = Str("go1.23.0");
  v["compiler"] = Str("gc");
  v["platform"] = Str("linux/amd64");
  return v;
}

Json ApiVersions() {
  Json v = Json::object();
  v["kind"] = Str("APIVersions");
  v["versions"] = StrArray({"v1"});
  Json addr = Json::object();
  addr["clientCIDR"] = Str("0.0.0.0/0");
  addr["serverAddress"] = Str("127.0.0.1");
  v["serverAddressByClientCIDRs"][0] = addr;
  return v;
}

Json ApiGroupList(const ObjectStore& store) {
  Json list = Json::object();
  list["kind"] = Str("APIGroupList");
  list["apiVersion"] = Str("v1");
  Json groups = Json::array();
  size_t i = 0;
  for (const auto& [group, versions] : GroupVersions(store)) {
    if (group.empty()) continue;
    Json g = Json::object();
    g["name"] = Str(group);
    Json vs = Json::array();
    size_t j = 0;
    for (const auto& v : versions) {
      Json e = Json::object();
      e["groupVersion"] = Str(group + "/" + v);
      e["version"] = Str(v);
      vs[j++] = e;
    }
    g["versions"] = vs;
    g["preferredVersion"] = vs[0];
    groups[i++] = g;
  }
  list["groups"] = groups;
  return list;
}

std::optional<Json> ApiResourceList(const ObjectStore& store, const std::string& group,
                                    const std::string& version) {
  Json resources = Json::array();
  size_t i = 0;
  for (const auto& info : store.Resources()) {
    const auto& r = info.resource;
    if (r.group != group || r.version != version) continue;
    Json e = Json::object();
    e["name"] = Str(r.plural);
    e["singularName"] = Str(info.singular);
    e["namespaced"] = Json::boolean(r.namespaced);
    e["kind"] = Str(r.kind);
    e["verbs"] = StrArray(
        {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"});
    if (!info.short_names.empty()) e["shortNames"] = StrArray(info.short_names);
    if (!info.categories.empty()) e["categories"] = StrArray(info.categories);
    resources[i++] = e;
    if (info.status_subresource) {
      Json s = Json::object();
      s["name"] = Str(r.plural + "/status");
      s["singularName"] = Str("");
      s["namespaced"] = Json::boolean(r.namespaced);
      s["kind"] = Str(r.kind);
      s["verbs"] = StrArray({"get", "patch", "update"});
      resources[i++] = s;
    }
    if (r.plural == "pods" && r.group.empty()) {
      Json ev = Json::object();
      ev["name"] = Str("pods/eviction");
      ev["singularName"] = Str("");
      ev["namespaced"] = Json::boolean(true);
      ev["group"] = Str("policy");
      ev["version"] = Str("v1");
      ev["kind"] = Str("Eviction");
      ev["verbs"] = StrArray({"create"});
      resources[i++] = ev;
    }
  }
  if (i == 0) return std::nullopt;
  Json list = Json::object();
  list["kind"] = Str("APIResourceList");
  list["apiVersion"] = Str("v1");
  list["groupVersion"] = Str(group.empty() ? version : group + "/" + version);
  list["resources"] = resources;
  return list;
}

namespace {

// apiVersion, kind and metadata, described as the API server adds them to a CRD's schema.
void WithObjectFields(Json& schema) {
  auto described = [](const char* type, const char* description) {
    Json field = Json::object();
    field["type"] = Str(type);
    field["description"] = Str(description);
    return field;
  };
  Json& properties = schema["properties"];
  properties["apiVersion"] = described(
      "string",
      "APIVersion defines the versioned schema of this representation of an object. Servers "
      "should convert recognized schemas to the latest internal value, and may reject "
      "unrecognized values.");
  properties["kind"] = described(
      "string",
      "Kind is a string value representing the REST resource this object represents. Servers "
      "may infer this from the endpoint the client submits requests to. In CamelCase.");
  properties["metadata"] =
      described("object",
                "Standard object's metadata. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                "api-conventions.md#metadata");
}

}  // namespace

Json OpenApiV3Index(const ObjectStore& store) {
  Json paths = Json::object();
  for (const auto& [group, versions] : GroupVersions(store)) {
    for (const auto& v : versions) {
      const std::string key = group.empty() ? "api/" + v : "apis/" + group + "/" + v;
      paths[key]["serverRelativeURL"] = Str("/openapi/v3/" + key + "?hash=kcau-sim-1");
    }
  }
  Json index = Json::object();
  index["paths"] = paths;
  return index;
}

std::optional<Json> OpenApiV3Document(const ObjectStore& store, const std::string& group,
                                      const std::string& version) {
  Json paths = Json::object();
  Json schemas = Json::object();
  bool any = false;
  for (const auto& info : store.Resources()) {
    const auto& r = info.resource;
    if (r.group != group || r.version != version) continue;
    any = true;
    const std::string collection =
        r.namespaced ? r.GroupVersionPath() + "/namespaces/{namespace}/" + r.plural
                     : r.CollectionPath("");
    paths[collection]["get"] = Operation("list", r, false);
    paths[collection]["post"] = Operation("post", r, true);
    const std::string item = collection + "/{name}";
    paths[item]["get"] = Operation("get", r, false);
    paths[item]["put"] = Operation("put", r, true);
    paths[item]["patch"] = Operation("patch", r, true);
    paths[item]["delete"] = Operation("delete", r, false);
    // A CRD's kind is described by its own schema, as the API server publishes it, with
    // the fields every object has; built-in kinds only by their shape (the server
    // validates them, and kcau's tests explain only its own kind).
    Json schema = Json::object();
    if (auto crd_schema = store.OpenApiSchema(r)) {
      schema = *crd_schema;
      WithObjectFields(schema);
    } else {
      schema["type"] = Str("object");
      schema["x-kubernetes-preserve-unknown-fields"] = Json::boolean(true);
    }
    Json gvk = Json::object();
    gvk["group"] = Str(r.group);
    gvk["version"] = Str(r.version);
    gvk["kind"] = Str(r.kind);
    schema["x-kubernetes-group-version-kind"][0] = gvk;
    schemas[r.group + "." + r.version + "." + r.kind] = schema;
  }
  if (!any) return std::nullopt;
  Json doc = Json::object();
  doc["openapi"] = Str("3.0.0");
  doc["info"]["title"] = Str("Kubernetes");
  doc["info"]["version"] = Str("v1.32.0");
  doc["paths"] = paths;
  doc["components"]["schemas"] = schemas;
  return doc;
}

Json TableFor(const kube::Resource& r, const std::vector<Json>& objects,
              const std::string& resource_version, TimePoint now) {
  Json table = Json::object();
  table["kind"] = Str("Table");
  table["apiVersion"] = Str("meta.k8s.io/v1");
  table["metadata"]["resourceVersion"] = Str(resource_version);
  const bool events = r.plural == "events" && r.group.empty();
  std::vector<Json> columns = {Column("Name", "string", "name")};
  if (events) columns = EventColumns();
  const bool runs = r.plural == "updateruns";
  const bool nodes = r.plural == "nodes" && r.group.empty();
  const bool pods = r.plural == "pods" && r.group.empty();
  if (runs) {
    columns.push_back(Column("Phase", "string"));
    columns.push_back(Column("Succeeded", "integer"));
    columns.push_back(Column("Failed", "integer"));
  } else if (nodes) {
    columns.push_back(Column("Status", "string"));
    columns.push_back(Column("Roles", "string"));
  } else if (pods) {
    columns.push_back(Column("Ready", "string"));
    columns.push_back(Column("Status", "string"));
    columns.push_back(Column("Restarts", "integer"));
  }
  if (!events) columns.push_back(Column("Age", "string"));
  if (nodes) columns.push_back(Column("Version", "string"));
  Json cols = Json::array(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) cols[i] = columns[i];
  table["columnDefinitions"] = cols;

  Json rows = Json::array(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    const Json& o = objects[i];
    std::vector<Json> cells = {Str(Field(o, "metadata", "name"))};
    if (events) {
      cells = EventCells(o, now);
    } else if (runs) {
      cells.push_back(Str(Field(o, "status", "phase")));
      cells.push_back(Json::number(std::stoi(IntField(o, "status", "nodesSucceeded"))));
      cells.push_back(Json::number(std::stoi(IntField(o, "status", "nodesFailed"))));
    } else if (nodes) {
      std::string status = ConditionStatus(o, "Ready") == "True" ? "Ready" : "NotReady";
      if (o.has_object_field("spec") && o.at("spec").has_boolean_field("unschedulable") &&
          o.at("spec").at("unschedulable").as_bool()) {
        status += ",SchedulingDisabled";
      }
      cells.push_back(Str(status));
      std::string roles;
      if (o.at("metadata").has_object_field("labels")) {
        for (const auto& [k, _] : o.at("metadata").at("labels").as_object()) {
          const std::string prefix = "node-role.kubernetes.io/";
          if (k.rfind(prefix, 0) == 0)
            roles += (roles.empty() ? "" : ",") + k.substr(prefix.size());
        }
      }
      cells.push_back(Str(roles.empty() ? "<none>" : roles));
    } else if (pods) {
      const bool ready = ConditionStatus(o, "Ready") == "True";
      cells.push_back(Str(ready ? "1/1" : "0/1"));
      cells.push_back(Str(Field(o, "status", "phase")));
      cells.push_back(Json::number(0));
    }
    const auto created = ParseRfc3339(Field(o, "metadata", "creationTimestamp"));
    if (!events) {
      cells.push_back(Str(created ? HumanAge(std::chrono::duration_cast<Duration>(now - *created))
                                  : "<unknown>"));
    }
    if (nodes) {
      std::string kubelet;
      if (o.has_object_field("status") && o.at("status").has_object_field("nodeInfo")) {
        kubelet = Field(o.at("status"), "nodeInfo", "kubeletVersion");
      }
      cells.push_back(Str(kubelet));
    }
    Json row = Json::object();
    Json c = Json::array(cells.size());
    for (size_t j = 0; j < cells.size(); ++j) c[j] = cells[j];
    row["cells"] = c;
    row["object"] = kube::PartialObjectMetadataOf(o);
    rows[i] = row;
  }
  table["rows"] = rows;
  return table;
}

}  // namespace kcau::sim
