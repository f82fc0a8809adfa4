#include "sim/object_store.h"

#include <cpprest/asyncrt_utils.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "kube/disruption_budget.h"
#include "kube/label_selector.h"
#include "sim/json_patch.h"
#include "sim/object_names.h"

namespace kcau::sim {

namespace {

using kube::Json;

std::string ResourceId(const kube::Resource& r) { return r.group + "/" + r.plural; }

bool IsPdb(const kube::Resource& r) { return r.plural == "poddisruptionbudgets"; }

// A continue token says where the previous page ended, as the API server's does: base64 of
// a small JSON document (opaque to clients, who only pass it back).
struct ContinueToken {
  uint64_t rv;
  std::string ns;
  std::string name;
};

std::string EncodeContinueToken(const ContinueToken& t) {
  Json doc = Json::object();
  doc["v"] = Json::string("meta.k8s.io/v1");
  doc["rv"] = Json::number(t.rv);
  doc["ns"] = Json::string(t.ns);
  doc["start"] = Json::string(t.name);
  const std::string text = doc.serialize();
  return utility::conversions::to_base64(std::vector<unsigned char>(text.begin(), text.end()));
}

StatusOr<ContinueToken> DecodeContinueToken(const std::string& token) {
  const Status invalid = InvalidArgumentError("continue key is not valid: \"" + token + "\"");
  try {
    const auto bytes = utility::conversions::from_base64(token);
    const Json doc = Json::parse(std::string(bytes.begin(), bytes.end()));
    if (!doc.has_integer_field("rv") || !doc.has_string_field("ns") ||
        !doc.has_string_field("start")) {
      return invalid;
    }
    return ContinueToken{doc.at("rv").as_number().to_uint64(), doc.at("ns").as_string(),
                         doc.at("start").as_string()};
  } catch (const std::exception&) {
    return invalid;
  }
}

std::string RandomUid() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += hex[rng() % 16];
  }
  return s;
}

std::string NameOf(const Json& o) {
  return o.has_object_field("metadata") && o.at("metadata").has_string_field("name")
             ? o.at("metadata").at("name").as_string()
             : "";
}

std::string GenerateNameOf(const Json& o) {
  return o.has_object_field("metadata") && o.at("metadata").has_string_field("generateName")
             ? o.at("metadata").at("generateName").as_string()
             : "";
}

// Whether everything but metadata and status is equal: a change of it bumps
// metadata.generation. Compared field by field, without copying either object.
bool SpecEqual(const Json& a, const Json& b) {
  if (!a.is_object() || !b.is_object()) return a == b;
  auto ignored = [](const std::string& key) { return key == "metadata" || key == "status"; };
  size_t compared = 0;
  for (const auto& [key, value] : a.as_object()) {
    if (ignored(key)) continue;
    if (!b.has_field(key) || b.at(key) != value) return false;
    ++compared;
  }
  size_t in_b = 0;
  for (const auto& [key, value] : b.as_object()) {
    if (!ignored(key)) ++in_b;
  }
  return compared == in_b;
}

int64_t IntOr(const Json& o, const char* a, const char* b, int64_t fallback) {
  if (o.has_object_field(a) && o.at(a).has_integer_field(b)) {
    return o.at(a).at(b).as_number().to_int64();
  }
  return fallback;
}

struct Filter {
  std::string ns;
  kube::Selector labels;
  kube::Selector fields;
  bool Matches(const Json& o) const {
    if (!ns.empty()) {
      const bool same = o.has_object_field("metadata") &&
                        o.at("metadata").has_string_field("namespace") &&
                        o.at("metadata").at("namespace").as_string() == ns;
      if (!same) return false;
    }
    // Building the label and field maps is most of a list's cost: skip what selects all.
    return labels.MatchesLabelsOf(o) && fields.MatchesFieldsOf(o);
  }
};

StatusOr<Filter> MakeFilter(const std::string& ns, const kube::ListOptions& options) {
  Filter f;
  f.ns = ns;
  auto labels = kube::ParseLabelSelector(options.label_selector);
  if (!labels.ok()) return labels.status();
  auto fields = kube::ParseFieldSelector(options.field_selector);
  if (!fields.ok()) return fields.status();
  f.labels = std::move(*labels);
  f.fields = std::move(*fields);
  return f;
}

// Scaled values of a PDB's minAvailable / maxUnavailable ("50%" rounds up, as Kubernetes).
int Scaled(const Json& v, int total) {
  if (v.is_integer()) return v.as_integer();
  if (v.is_string()) {
    std::string s = v.as_string();
    if (!s.empty() && s.back() == '%') {
      const int pct = std::atoi(s.substr(0, s.size() - 1).c_str());
      return (pct * total + 99) / 100;
    }
    return std::atoi(s.c_str());
  }
  return 0;
}

bool PodHealthy(const Json& pod) {
  if (!pod.has_object_field("status")) return false;
  const Json& st = pod.at("status");
  if (!st.has_string_field("phase") || st.at("phase").as_string() != "Running") return false;
  if (!st.has_array_field("conditions")) return false;
  for (const auto& c : st.at("conditions").as_array()) {
    if (c.has_string_field("type") && c.at("type").as_string() == "Ready") {
      return c.has_string_field("status") && c.at("status").as_string() == "True";
    }
  }
  return false;
}

kube::Selector PdbSelector(const Json& pdb) {
  kube::Selector s;
  if (!pdb.has_object_field("spec") || !pdb.at("spec").has_object_field("selector")) return s;
  const Json& sel = pdb.at("spec").at("selector");
  if (sel.has_object_field("matchLabels")) {
    for (const auto& [k, v] : sel.at("matchLabels").as_object()) {
      s.requirements.push_back({k, kube::SelectorRequirement::Op::kEquals, {v.as_string()}});
    }
  }
  if (sel.has_array_field("matchExpressions")) {
    for (const auto& e : sel.at("matchExpressions").as_array()) {
      kube::SelectorRequirement r;
      r.key = e.at("key").as_string();
      const std::string op = e.at("operator").as_string();
      r.op = op == "In"       ? kube::SelectorRequirement::Op::kIn
             : op == "NotIn"  ? kube::SelectorRequirement::Op::kNotIn
             : op == "Exists" ? kube::SelectorRequirement::Op::kExists
                              : kube::SelectorRequirement::Op::kDoesNotExist;
      if (e.has_array_field("values")) {
        for (const auto& v : e.at("values").as_array()) r.values.push_back(v.as_string());
      }
      s.requirements.push_back(std::move(r));
    }
  }
  return s;
}

}  // namespace

// ------------------------------------------------------------------------- WatchQueue

std::optional<QueuedEvent> WatchQueue::Pop(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return !events_.empty() || closed_; });
  if (events_.empty()) return std::nullopt;
  QueuedEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool WatchQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_ && events_.empty();
}

void WatchQueue::Push(QueuedEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  events_.push_back(std::move(event));
  cv_.notify_one();
}

void WatchQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

// ------------------------------------------------------------------------ ObjectStore

struct ObjectStore::Watcher {
  std::string resource_id;
  Filter filter;
  std::shared_ptr<WatchQueue> queue;
};

struct ObjectStore::Impl {
  struct Event {
    uint64_t rv;
    std::string resource_id;
    std::string type;
    std::shared_ptr<const Json> object;    // shared with the watchers' queues
    std::shared_ptr<const Json> previous;  // null for ADDED
  };

  const Clock& clock;
  size_t history_limit;
  mutable std::mutex mu;
  uint64_t rv = 0;                                // guarded by mu
  std::map<std::string, ResourceInfo> resources;  // guarded by mu
  // Each object as stored, shared with the watch events that carry it and never changed
  // once stored: a write stores a new object (at 5,000 nodes, copying a written object
  // into the store and again into its event was a tenth of the simulator's CPU).
  using Object = std::shared_ptr<const Json>;
  using Objects = std::map<std::pair<std::string, std::string>, Object>;
  std::map<std::string, Objects> objects;          // guarded by mu
  std::deque<Event> history;                       // guarded by mu
  std::vector<std::shared_ptr<Watcher>> watchers;  // guarded by mu
  std::set<std::string> pdbs_dirty;                // guarded by mu
  std::map<std::string, Validator> validators;     // guarded by mu
  std::map<std::string, Json> openapi_schemas;     // guarded by mu
  // Pods by spec.nodeName ("" for unscheduled ones), each node's keys in the order of
  // `objects`: kubectl drain and the simulator ask for one node's pods among 50,000, and a
  // full scan for each of those would hold the lock for milliseconds. Kept by Stored and
  // Erased, the only ways pods enter, change or leave `objects`.
  std::map<std::string, std::set<std::pair<std::string, std::string>>> pods_by_node;  // mu

  Status Validate(const kube::Resource& r, const Json& o) const {
    auto it = validators.find(ResourceId(r));
    return it == validators.end() ? Status::Ok() : it->second(o);
  }

  Impl(const Clock& c, size_t limit) : clock(c), history_limit(limit) {}

  const ResourceInfo* Info(const kube::Resource& r) const {
    auto it = resources.find(ResourceId(r));
    return it == resources.end() ? nullptr : &it->second;
  }

  static bool IsPodsId(const std::string& resource_id) {
    return resource_id == ResourceId(kube::resources::Pods());
  }

  // Stores `object` at `key` (a new object, or over the one there) and keeps the indexes.
  // Returns the object it replaced (nullptr for a new one).
  Object Stored(const std::string& resource_id, const std::pair<std::string, std::string>& key,
                Object object) {
    auto& objs = objects[resource_id];
    auto it = objs.find(key);
    if (IsPodsId(resource_id)) {
      if (it != objs.end()) Unindex(key, *it->second);
      pods_by_node[NodeNameOf(*object)].insert(key);
    }
    if (it == objs.end()) {
      objs.emplace(key, std::move(object));
      return nullptr;
    }
    return std::exchange(it->second, std::move(object));
  }

  // Removes the object at `key` (which exists) and its index entries.
  void Erased(const std::string& resource_id, const std::pair<std::string, std::string>& key) {
    auto& objs = objects[resource_id];
    auto it = objs.find(key);
    if (IsPodsId(resource_id)) Unindex(key, *it->second);
    objs.erase(it);
  }

  void Unindex(const std::pair<std::string, std::string>& key, const Json& pod) {
    auto node = pods_by_node.find(NodeNameOf(pod));
    if (node == pods_by_node.end()) return;
    node->second.erase(key);
    if (node->second.empty()) pods_by_node.erase(node);
  }

  static std::string NodeNameOf(const Json& pod) {
    return pod.has_object_field("spec") && pod.at("spec").has_string_field("nodeName")
               ? pod.at("spec").at("nodeName").as_string()
               : "";
  }

  // The keys of the pods a field selector's `spec.nodeName=X` confines a list to, in the
  // order of `objects`; nullptr when the selector names no node (every pod is a candidate).
  const std::set<std::pair<std::string, std::string>>* PodKeysSelected(
      const std::string& resource_id, const Filter& filter) const {
    static const std::set<std::pair<std::string, std::string>> kNone;
    if (!IsPodsId(resource_id)) return nullptr;
    for (const auto& req : filter.fields.requirements) {
      if (req.key != "spec.nodeName" || req.op != kube::SelectorRequirement::Op::kEquals ||
          req.values.size() != 1) {
        continue;
      }
      auto it = pods_by_node.find(req.values[0]);
      return it == pods_by_node.end() ? &kNone : &it->second;
    }
    return nullptr;
  }

  std::pair<std::string, std::string> Key(const kube::Resource& r, const std::string& ns,
                                          const std::string& name) const {
    return {r.namespaced ? ns : "", name};
  }

  // Delivers one change to the watchers, translating label-selector transitions the way the
  // API server does: an object that leaves a watcher's selection is DELETED for it.
  void Deliver(const Watcher& w, const Event& e) const {
    if (w.resource_id != e.resource_id) return;
    const bool now = w.filter.Matches(*e.object);
    const bool before = e.previous && w.filter.Matches(*e.previous);
    std::string type = e.type;
    if (e.type == "MODIFIED") {
      if (now && !before) type = "ADDED";
      if (!now && before) type = "DELETED";
      if (!now && !before) return;
    } else if (!now) {
      return;
    }
    w.queue->Push({type, e.object});
  }

  // `previous` nullptr: none (ADDED).
  void Record(const std::string& resource_id, const std::string& type, Object object,
              Object previous) {
    Event e{rv, resource_id, type, std::move(object), std::move(previous)};
    for (const auto& w : watchers) Deliver(*w, e);
    history.push_back(std::move(e));
    while (history.size() > history_limit) history.pop_front();
  }

  void Stamp(Json& o, const kube::Resource& r) {
    o["apiVersion"] = Json::string(r.ApiVersion());
    o["kind"] = Json::string(r.kind);
    o["metadata"]["resourceVersion"] = Json::string(std::to_string(rv));
  }

  // Namespaces whose pods changed since their PDBs' status was last computed. Recomputing
  // on every pod change would cost O(pods) each time (minutes to load 50,000 pods), so it
  // happens when a PDB is read, watched or consulted by an eviction, or at once when
  // someone watches PDBs. Caller holds mu.
  void RefreshDirtyPdbs() {
    for (const auto& ns : pdbs_dirty) RefreshPdbs(ns);
    pdbs_dirty.clear();
  }

  bool AnyoneWatches(const std::string& resource_id) const {
    for (const auto& w : watchers) {
      if (w->resource_id == resource_id) return true;
    }
    return false;
  }

  // Recomputes the status of every PDB in `ns` (what the disruption controller does).
  void RefreshPdbs(const std::string& ns) {
    const std::string pdb_id = ResourceId(kube::resources::PodDisruptionBudgets());
    auto& pdbs = objects[pdb_id];
    const auto& pods = objects[ResourceId(kube::resources::Pods())];
    for (auto& [key, stored] : pdbs) {
      if (key.first != ns) continue;
      const Json& pdb = *stored;
      const kube::Selector sel = PdbSelector(pdb);
      int present = 0;
      int healthy = 0;
      std::set<std::string> owners;
      // Pods are keyed (namespace, name): visit only this namespace's.
      for (auto it = pods.lower_bound({ns, ""}); it != pods.end() && it->first.first == ns; ++it) {
        const Json& pod = *it->second;
        if (!sel.MatchesLabelsOf(pod)) continue;
        ++present;
        healthy += PodHealthy(pod) ? 1 : 0;
        const Json& meta = pod.at("metadata");
        if (meta.has_array_field("ownerReferences") && meta.at("ownerReferences").size() > 0 &&
            meta.at("ownerReferences").at(0).has_string_field("uid")) {
          owners.insert(meta.at("ownerReferences").at(0).at("uid").as_string());
        }
      }
      // As the disruption controller does: the expected count is the owners' scale, so a
      // pod that was evicted and not yet replaced still counts as missing.
      int scale = 0;
      for (const char* plural : {"replicasets", "statefulsets"}) {
        for (const auto& [okey, owner] : objects["apps/" + std::string(plural)]) {
          if (okey.first == ns && owners.count(owner->at("metadata").at("uid").as_string())) {
            scale += static_cast<int>(IntOr(*owner, "spec", "replicas", 0));
          }
        }
      }
      const int expected = std::max(present, scale);
      int desired = 0;
      const Json& spec = pdb.has_object_field("spec") ? pdb.at("spec") : Json::object();
      if (spec.has_field("minAvailable")) {
        desired = Scaled(spec.at("minAvailable"), expected);
      } else if (spec.has_field("maxUnavailable")) {
        desired = std::max(0, expected - Scaled(spec.at("maxUnavailable"), expected));
      }
      Json status = Json::object();
      status["currentHealthy"] = Json::number(healthy);
      status["desiredHealthy"] = Json::number(desired);
      status["expectedPods"] = Json::number(expected);
      status["disruptionsAllowed"] = Json::number(std::max(0, healthy - desired));
      status["observedGeneration"] = Json::number(IntOr(pdb, "metadata", "generation", 1));
      if (pdb.has_field("status") && pdb.at("status") == status) continue;
      auto next = std::make_shared<Json>(pdb);
      (*next)["status"] = status;
      ++rv;
      Stamp(*next, kube::resources::PodDisruptionBudgets());
      Object previous = std::exchange(stored, next);
      Record(pdb_id, "MODIFIED", std::move(next), std::move(previous));
    }
  }

  void AfterChange(const kube::Resource& r, const Json& o) {
    if (r.plural == "pods" && r.group.empty()) {
      const std::string ns = o.at("metadata").has_string_field("namespace")
                                 ? o.at("metadata").at("namespace").as_string()
                                 : "";
      pdbs_dirty.insert(ns);
      if (AnyoneWatches(ResourceId(kube::resources::PodDisruptionBudgets()))) RefreshDirtyPdbs();
    } else if (r.plural == "poddisruptionbudgets") {
      RefreshPdbs(o.at("metadata").at("namespace").as_string());
    }
  }

  // Writes `next` over the stored object at key (the object exists), applying the
  // subresource split and optimistic concurrency. Caller holds mu.
  StatusOr<Json> Replace(const kube::Resource& r, const ResourceInfo& info,
                         const std::pair<std::string, std::string>& key, Json next,
                         bool status_subresource, bool check_rv, bool dry_run) {
    const Object stored_object = objects[ResourceId(r)].at(key);  // held: Stored replaces it
    const Json& stored = *stored_object;
    const Json& meta_in = next.has_object_field("metadata") ? next.at("metadata") : Json::object();
    if (check_rv && meta_in.has_string_field("resourceVersion") &&
        !meta_in.at("resourceVersion").as_string().empty() &&
        meta_in.at("resourceVersion").as_string() !=
            stored.at("metadata").at("resourceVersion").as_string()) {
      std::string name = key.second;
      return ConflictError("Operation cannot be fulfilled on " + r.plural +
                           (r.group.empty() ? "" : "." + r.group) + " \"" + name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again");
    }
    Json result;
    if (info.status_subresource && status_subresource && next.is_object()) {
      // The stored object with `next`'s status: everything else is taken from the stored
      // one, field by field, so that the status (most of a large run) is never copied.
      result = std::move(next);
      std::vector<std::string> gone;
      for (const auto& [field, _] : result.as_object()) {
        if (field != "status" && !stored.has_field(field)) gone.push_back(field);
      }
      for (const auto& field : gone) result.erase(field);
      for (const auto& [field, value] : stored.as_object()) {
        if (field != "status") result[field] = value;
      }
    } else if (info.status_subresource && status_subresource) {
      result = stored;  // `next` has no status: none is kept
      if (result.has_field("status")) result.erase("status");
    } else {
      result = std::move(next);
      if (info.status_subresource) {
        if (stored.has_field("status")) {
          result["status"] = stored.at("status");
        } else if (result.has_field("status")) {
          result.erase("status");
        }
      }
      // The server owns these metadata fields.
      Json& meta = result["metadata"];
      const Json& old_meta = stored.at("metadata");
      for (const char* f : {"uid", "creationTimestamp", "namespace", "name", "generation",
                            "deletionTimestamp", "deletionGracePeriodSeconds"}) {
        if (old_meta.has_field(f)) {
          meta[f] = old_meta.at(f);
        } else if (meta.has_field(f)) {
          meta.erase(f);
        }
      }
    }
    if (result == stored) return stored;  // a no-op write changes no resourceVersion
    if (Status valid = Validate(r, result); !valid.ok()) return valid;
    if (!SpecEqual(result, stored)) {
      result["metadata"]["generation"] =
          Json::number(IntOr(stored, "metadata", "generation", 1) + 1);
    }
    if (dry_run) return result;
    ++rv;
    Stamp(result, r);
    auto written = std::make_shared<const Json>(std::move(result));
    Object previous = Stored(ResourceId(r), key, written);
    Record(ResourceId(r), "MODIFIED", written, std::move(previous));
    AfterChange(r, *written);
    if (Terminating(*written) && !HasFinalizers(*written)) {
      // The last finalizer went: the deletion the finalizers held back happens now.
      Erased(ResourceId(r), key);
      ++rv;
      auto gone = std::make_shared<Json>(*written);
      Stamp(*gone, r);
      Record(ResourceId(r), "DELETED", gone, gone);
      AfterChange(r, *gone);
      return *gone;
    }
    return *written;
  }

  static bool HasFinalizers(const Json& o) {
    return o.has_object_field("metadata") && o.at("metadata").has_array_field("finalizers") &&
           o.at("metadata").at("finalizers").size() > 0;
  }
  static bool Terminating(const Json& o) {
    return o.has_object_field("metadata") && o.at("metadata").has_field("deletionTimestamp");
  }
};

ObjectStore::ObjectStore(const Clock& clock, size_t history_limit)
    : impl_(std::make_unique<Impl>(clock, history_limit)) {
  namespace res = kube::resources;
  RegisterResource({res::Nodes(), true, "node", {"no"}, {}});
  RegisterResource({res::Pods(), true, "pod", {"po"}, {"all"}});
  RegisterResource({res::Events(), false, "event", {"ev"}, {}});
  RegisterResource({{"", "v1", "namespaces", "Namespace", false}, true, "namespace", {"ns"}, {}});
  RegisterResource({res::PodDisruptionBudgets(), true, "poddisruptionbudget", {"pdb"}, {}});
  RegisterResource({res::Leases(), false, "lease", {}, {}});
  RegisterResource({res::UpdateRuns(), true, "updaterun", {"ur"}, {"kcau"}});
  // Kinds kubectl drain and kcau's install manifests touch, stored as they come.
  RegisterResource(
      {{"apps", "v1", "daemonsets", "DaemonSet", true}, true, "daemonset", {"ds"}, {"all"}});
  RegisterResource(
      {{"apps", "v1", "replicasets", "ReplicaSet", true}, true, "replicaset", {"rs"}, {"all"}});
  RegisterResource(
      {{"apps", "v1", "deployments", "Deployment", true}, true, "deployment", {"deploy"}, {"all"}});
  RegisterResource(
      {{"apps", "v1", "statefulsets", "StatefulSet", true}, true, "statefulset", {"sts"}, {"all"}});
  RegisterResource({{"", "v1", "configmaps", "ConfigMap", true}, false, "configmap", {"cm"}, {}});
  RegisterResource(
      {{"", "v1", "serviceaccounts", "ServiceAccount", true}, false, "serviceaccount", {"sa"}, {}});
  RegisterResource({{"", "v1", "services", "Service", true}, true, "service", {"svc"}, {"all"}});
  const std::string rbac = "rbac.authorization.k8s.io";
  RegisterResource(
      {{rbac, "v1", "clusterroles", "ClusterRole", false}, false, "clusterrole", {}, {}});
  RegisterResource({{rbac, "v1", "clusterrolebindings", "ClusterRoleBinding", false},
                    false,
                    "clusterrolebinding",
                    {},
                    {}});
  RegisterResource({{rbac, "v1", "roles", "Role", true}, false, "role", {}, {}});
  RegisterResource(
      {{rbac, "v1", "rolebindings", "RoleBinding", true}, false, "rolebinding", {}, {}});
  RegisterResource({{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                     "CustomResourceDefinition", false},
                    true,
                    "customresourcedefinition",
                    {"crd", "crds"},
                    {}});
}

ObjectStore::~ObjectStore() = default;

void ObjectStore::RegisterResource(const ResourceInfo& info) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Never replaced once there: FindResource's pointers are read without the lock.
  impl_->resources.emplace(ResourceId(info.resource), info);
}

const ResourceInfo* ObjectStore::FindResource(const std::string& group, const std::string& version,
                                              const std::string& plural) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->resources.find(group + "/" + plural);
  if (it == impl_->resources.end() || it->second.resource.version != version) return nullptr;
  return &it->second;  // std::map nodes are stable; resources are never removed
}

void ObjectStore::SetValidator(const kube::Resource& r, Validator validator) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->validators[ResourceId(r)] = std::move(validator);
}

void ObjectStore::SetOpenApiSchema(const kube::Resource& r, Json schema) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->openapi_schemas[ResourceId(r)] = std::move(schema);
}

std::optional<Json> ObjectStore::OpenApiSchema(const kube::Resource& r) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->openapi_schemas.find(ResourceId(r));
  if (it == impl_->openapi_schemas.end()) return std::nullopt;
  return it->second;
}

std::vector<ResourceInfo> ObjectStore::Resources() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ResourceInfo> out;
  for (const auto& [_, info] : impl_->resources) out.push_back(info);
  return out;
}

StatusOr<Json> ObjectStore::Get(const kube::Resource& r, const kube::ObjectKey& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (IsPdb(r)) impl_->RefreshDirtyPdbs();
  if (impl_->Info(r) == nullptr)
    return NotFoundError("the server could not find the requested resource");
  auto objs = impl_->objects.find(ResourceId(r));
  if (objs != impl_->objects.end()) {
    auto it = objs->second.find(impl_->Key(r, key.ns, key.name));
    if (it != objs->second.end()) return *it->second;
  }
  return NotFoundError(r.plural + (r.group.empty() ? "" : "." + r.group) + " \"" + key.name +
                       "\" not found");
}

StatusOr<kube::ObjectList> ObjectStore::List(const kube::Resource& r, const std::string& ns,
                                             const kube::ListOptions& options) const {
  auto filter = MakeFilter(r.namespaced ? ns : "", options);
  if (!filter.ok()) return filter.status();
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (IsPdb(r)) impl_->RefreshDirtyPdbs();
  if (impl_->Info(r) == nullptr)
    return NotFoundError("the server could not find the requested resource");
  kube::ObjectList list;
  list.resource_version = std::to_string(impl_->rv);
  std::optional<std::pair<std::string, std::string>> after;
  if (!options.continue_token.empty()) {
    auto token = DecodeContinueToken(options.continue_token);
    if (!token.ok()) return token.status();
    // Later pages report the first page's resourceVersion, as the API server does. They show
    // the objects as they are now rather than a snapshot (the store keeps no old versions);
    // a watch started from that resourceVersion still delivers every change in between.
    list.resource_version = std::to_string(token->rv);
    after = std::make_pair(token->ns, token->name);
  }
  auto objs = impl_->objects.find(ResourceId(r));
  if (objs == impl_->objects.end()) return list;
  // The objects to filter, in key order from just after `after`: one node's pods through
  // the index when the field selector names the node, else every object of the kind.
  std::vector<const Impl::Objects::value_type*> candidates;
  if (const auto* keys = impl_->PodKeysSelected(ResourceId(r), *filter)) {
    for (auto k = after ? keys->upper_bound(*after) : keys->begin(); k != keys->end(); ++k) {
      candidates.push_back(&*objs->second.find(*k));
    }
  } else {
    for (auto it = after ? objs->second.upper_bound(*after) : objs->second.begin();
         it != objs->second.end(); ++it) {
      candidates.push_back(&*it);
    }
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!filter->Matches(*candidates[i]->second)) continue;
    if (options.limit > 0 && static_cast<int64_t>(list.items.size()) == options.limit) {
      // Full page and at least one more match: hand out where to go on from.
      const auto& last = candidates[i - 1]->first;
      list.continue_token =
          EncodeContinueToken({std::stoull(list.resource_version), last.first, last.second});
      for (; i < candidates.size(); ++i) {
        list.remaining_item_count += filter->Matches(*candidates[i]->second) ? 1 : 0;
      }
      break;
    }
    list.items.push_back(*candidates[i]->second);
  }
  return list;
}

std::vector<size_t> ObjectStore::PodCountsOn(const std::set<std::string>& nodes) const {
  std::vector<size_t> counts;
  counts.reserve(nodes.size());
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const std::string& node : nodes) {
    auto it = node.empty() ? impl_->pods_by_node.end() : impl_->pods_by_node.find(node);
    counts.push_back(it == impl_->pods_by_node.end() ? 0 : it->second.size());
  }
  return counts;
}

StatusOr<Json> ObjectStore::Create(const kube::Resource& r, const std::string& ns, Json object,
                                   bool dry_run) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const ResourceInfo* info = impl_->Info(r);
  if (info == nullptr) return NotFoundError("the server could not find the requested resource");
  if (!object.is_object()) return InvalidArgumentError("the body must be a JSON object");
  std::string name = NameOf(object);
  const std::string generate_name = GenerateNameOf(object);
  const bool generated = name.empty() && !generate_name.empty();
  if (generated) name = GenerateNameFrom(generate_name);
  if (auto errors = MetadataNameErrors(r, name, generate_name); !errors.empty()) {
    // As a custom resource's validator does, the schema's complaints follow the name's.
    if (!name.empty()) {
      object["metadata"]["name"] = Json::string(name);
      const Status schema = impl_->Validate(r, object);
      const auto more = ParseInvalidMessage(schema.message()).field_errors;
      if (!schema.ok()) errors.insert(errors.end(), more.begin(), more.end());
    }
    return InvalidObjectError(r, name, errors);
  }
  Json& meta = object["metadata"];
  std::string object_ns = ns;
  if (r.namespaced) {
    if (object_ns.empty() && meta.has_string_field("namespace")) {
      object_ns = meta.at("namespace").as_string();
    }
    if (object_ns.empty()) object_ns = "default";
    if (meta.has_string_field("namespace") && meta.at("namespace").as_string() != object_ns) {
      return InvalidArgumentError(
          "metadata.namespace: the namespace of the object does not "
          "match the namespace on the request");
    }
    meta["namespace"] = Json::string(object_ns);
  } else if (meta.has_field("namespace")) {
    meta.erase("namespace");
  }
  auto& objs = impl_->objects[ResourceId(r)];
  // A generated name that is taken is drawn again, as the API server retries it.
  for (int draw = 1; generated && draw < 8 && objs.count(impl_->Key(r, object_ns, name)); ++draw) {
    name = GenerateNameFrom(generate_name);
  }
  meta["name"] = Json::string(name);
  auto key = impl_->Key(r, object_ns, name);
  if (objs.count(key)) {
    return AlreadyExistsError(r.plural + (r.group.empty() ? "" : "." + r.group) + " \"" + name +
                              "\" already exists");
  }
  if (info->status_subresource && r.group == "kcau.io" && object.has_field("status")) {
    // Custom resources with a status subresource ignore status on create.
    object.erase("status");
  }
  if (Status valid = impl_->Validate(r, object); !valid.ok()) return valid;
  meta["uid"] = Json::string(RandomUid());
  meta["creationTimestamp"] = Json::string(FormatRfc3339(impl_->clock.Now()));
  meta["generation"] = Json::number(1);
  if (meta.has_field("resourceVersion")) meta.erase("resourceVersion");
  if (dry_run) return object;
  ++impl_->rv;
  impl_->Stamp(object, r);
  auto created = std::make_shared<const Json>(std::move(object));
  impl_->Stored(ResourceId(r), key, created);
  impl_->Record(ResourceId(r), "ADDED", created, nullptr);
  impl_->AfterChange(r, *created);
  return *created;
}

StatusOr<Json> ObjectStore::Update(const kube::Resource& r, const kube::ObjectKey& key, Json object,
                                   bool status_subresource, bool dry_run) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const ResourceInfo* info = impl_->Info(r);
  if (info == nullptr) return NotFoundError("the server could not find the requested resource");
  if (!object.is_object()) return InvalidArgumentError("the body must be a JSON object");
  if (!NameOf(object).empty() && NameOf(object) != key.name) {
    return InvalidArgumentError(
        "metadata.name: the name of the object does not match the "
        "name on the URL");
  }
  auto k = impl_->Key(r, key.ns, key.name);
  auto& objs = impl_->objects[ResourceId(r)];
  if (!objs.count(k)) {
    return NotFoundError(r.plural + (r.group.empty() ? "" : "." + r.group) + " \"" + key.name +
                         "\" not found");
  }
  return impl_->Replace(r, *info, k, std::move(object), status_subresource, true, dry_run);
}

StatusOr<Json> ObjectStore::Patch(const kube::Resource& r, const kube::ObjectKey& key,
                                  kube::PatchType type, const Json& patch, bool status_subresource,
                                  bool dry_run) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const ResourceInfo* info = impl_->Info(r);
  if (info == nullptr) return NotFoundError("the server could not find the requested resource");
  auto k = impl_->Key(r, key.ns, key.name);
  auto& objs = impl_->objects[ResourceId(r)];
  auto it = objs.find(k);
  if (it == objs.end()) {
    return NotFoundError(r.plural + (r.group.empty() ? "" : "." + r.group) + " \"" + key.name +
                         "\" not found");
  }
  StatusOr<Json> next = InvalidArgumentError("unsupported patch type");
  switch (type) {
    case kube::PatchType::kMerge:
      if (!patch.is_object()) return InvalidArgumentError("merge patch must be a JSON object");
      next = ApplyMergePatch(*it->second, patch);
      break;
    case kube::PatchType::kJson:
      next = ApplyJsonPatch(*it->second, patch);
      break;
    case kube::PatchType::kStrategicMerge:
      if (r.group == "kcau.io") {
        return Status(StatusCode::kInvalidArgument,
                      "strategic merge patch is not supported for custom resources; use "
                      "--type=merge");
      }
      next = ApplyStrategicMergePatch(*it->second, patch);
      break;
  }
  if (!next.ok()) return next.status();
  // A patch that carries a resourceVersion is a precondition, as on the API server.
  const bool check_rv = patch.is_object() && patch.has_object_field("metadata") &&
                        patch.at("metadata").has_string_field("resourceVersion");
  if (!check_rv && next->has_object_field("metadata")) {
    (*next)["metadata"]["resourceVersion"] = it->second->at("metadata").at("resourceVersion");
  }
  return impl_->Replace(r, *info, k, std::move(*next), status_subresource, check_rv, dry_run);
}

StatusOr<Json> ObjectStore::Delete(const kube::Resource& r, const kube::ObjectKey& key,
                                   bool dry_run) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->Info(r) == nullptr)
    return NotFoundError("the server could not find the requested resource");
  auto& objs = impl_->objects[ResourceId(r)];
  auto it = objs.find(impl_->Key(r, key.ns, key.name));
  if (it == objs.end()) {
    return NotFoundError(r.plural + (r.group.empty() ? "" : "." + r.group) + " \"" + key.name +
                         "\" not found");
  }
  if (dry_run) return *it->second;
  if (Impl::HasFinalizers(*it->second)) {
    // As the API server does: an object with finalizers is only marked; it goes when the
    // last finalizer is removed (Replace).
    if (Impl::Terminating(*it->second)) return *it->second;
    auto marked = std::make_shared<Json>(*it->second);
    (*marked)["metadata"]["deletionTimestamp"] = Json::string(FormatRfc3339(impl_->clock.Now()));
    (*marked)["metadata"]["deletionGracePeriodSeconds"] = Json::number(0);
    ++impl_->rv;
    impl_->Stamp(*marked, r);
    Impl::Object previous = std::exchange(it->second, marked);  // the pod index is unchanged
    impl_->Record(ResourceId(r), "MODIFIED", marked, std::move(previous));
    impl_->AfterChange(r, *marked);
    return *marked;
  }
  auto gone = std::make_shared<Json>(*it->second);
  impl_->Erased(ResourceId(r), impl_->Key(r, key.ns, key.name));
  ++impl_->rv;
  impl_->Stamp(*gone, r);
  impl_->Record(ResourceId(r), "DELETED", gone, gone);
  impl_->AfterChange(r, *gone);
  return *gone;
}

Status ObjectStore::Evict(const kube::ObjectKey& pod) {
  const kube::Resource& pods = kube::resources::Pods();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto& objs = impl_->objects[ResourceId(pods)];
    auto it = objs.find({pod.ns, pod.name});
    if (it == objs.end()) return NotFoundError("pods \"" + pod.name + "\" not found");
    // As the API server does, an eviction spends one of the budget's disruptionsAllowed on
    // the spot; the full recount (every pod of the namespace) runs only when the budget
    // looks spent, so a thousand evictions do not cost a thousand recounts.
    const bool healthy = PodHealthy(*it->second);
    // The budgets' slots in the store: a recount below stores new budget objects in them.
    std::vector<Impl::Object*> budgets;
    for (auto& [key, pdb] : impl_->objects[ResourceId(kube::resources::PodDisruptionBudgets())]) {
      if (key.first == pod.ns && PdbSelector(*pdb).MatchesLabelsOf(*it->second)) {
        budgets.push_back(&pdb);
      }
    }
    for (const Impl::Object* pdb : budgets) {
      if (IntOr(**pdb, "status", "disruptionsAllowed", 0) <= 0 && healthy) {
        impl_->RefreshDirtyPdbs();
        break;
      }
    }
    for (const Impl::Object* pdb : budgets) {
      // An unhealthy pod may always go: evicting it cannot lower availability.
      if (IntOr(**pdb, "status", "disruptionsAllowed", 0) <= 0 && healthy) {
        return TooManyRequestsError(kube::WithDisruptionBudgetCause(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            kube::DisruptionBudgetCauseMessage((*pdb)->at("metadata").at("name").as_string(),
                                               IntOr(**pdb, "status", "desiredHealthy", 0),
                                               IntOr(**pdb, "status", "currentHealthy", 0))));
      }
    }
    if (healthy) {
      for (Impl::Object* pdb : budgets) {
        auto spent = std::make_shared<Json>(**pdb);
        (*spent)["status"]["disruptionsAllowed"] =
            Json::number(IntOr(**pdb, "status", "disruptionsAllowed", 0) - 1);
        *pdb = std::move(spent);
      }
    }
  }
  auto deleted = Delete(pods, pod);
  return deleted.ok() ? Status::Ok() : deleted.status();
}

StatusOr<std::shared_ptr<WatchQueue>> ObjectStore::Watch(const kube::Resource& r,
                                                         const std::string& ns,
                                                         const kube::ListOptions& options,
                                                         const std::string& resource_version) {
  auto filter = MakeFilter(r.namespaced ? ns : "", options);
  if (!filter.ok()) return filter.status();
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (IsPdb(r)) impl_->RefreshDirtyPdbs();
  if (impl_->Info(r) == nullptr)
    return NotFoundError("the server could not find the requested resource");
  auto w = std::make_shared<Watcher>();
  w->resource_id = ResourceId(r);
  w->filter = std::move(*filter);
  w->queue = std::make_shared<WatchQueue>();
  if (resource_version.empty() || resource_version == "0") {
    for (const auto& [_, o] : impl_->objects[w->resource_id]) {
      if (w->filter.Matches(*o)) w->queue->Push({"ADDED", o});
    }
  } else {
    uint64_t from = 0;
    try {
      from = std::stoull(resource_version);
    } catch (const std::exception&) {
      return InvalidArgumentError("resourceVersion: invalid value \"" + resource_version + "\"");
    }
    const uint64_t oldest = impl_->history.empty() ? impl_->rv + 1 : impl_->history.front().rv;
    if (from + 1 < oldest && from < impl_->rv) {
      return GoneError("too old resource version: " + resource_version + " (" +
                       std::to_string(oldest - 1) + ")");
    }
    for (const auto& e : impl_->history) {
      if (e.rv > from) impl_->Deliver(*w, e);
    }
  }
  impl_->watchers.push_back(w);
  return w->queue;
}

void ObjectStore::StopWatch(const std::shared_ptr<WatchQueue>& queue) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& ws = impl_->watchers;
  ws.erase(std::remove_if(ws.begin(), ws.end(),
                          [&](const std::shared_ptr<Watcher>& w) { return w->queue == queue; }),
           ws.end());
  queue->Close();
}

uint64_t ObjectStore::CurrentResourceVersion() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->rv;
}

}  // namespace kcau::sim

namespace kcau::sim {

Json ObjectStore::ExportState() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Json state = Json::object();
  state["resourceVersion"] = Json::number(impl_->rv);
  std::vector<Json> entries;
  for (const auto& [resource_id, objs] : impl_->objects) {
    for (const auto& [key, object] : objs) {
      Json entry = Json::object();
      entry["resource"] = Json::string(resource_id);
      entry["object"] = *object;
      entries.push_back(entry);
    }
  }
  state["objects"] = Json::array(entries);
  return state;
}

Status ObjectStore::ImportState(const Json& state) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  try {
    for (const auto& entry : state.at("objects").as_array()) {
      const std::string resource_id = entry.at("resource").as_string();
      if (!impl_->resources.count(resource_id)) {
        return InvalidArgumentError("state: unknown resource " + resource_id);
      }
      const Json& object = entry.at("object");
      const Json& meta = object.at("metadata");
      const std::string ns =
          meta.has_string_field("namespace") ? meta.at("namespace").as_string() : "";
      impl_->Stored(resource_id, {ns, meta.at("name").as_string()},
                    std::make_shared<const Json>(object));
    }
    impl_->rv = state.at("resourceVersion").as_number().to_uint64();
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("state: malformed: ") + e.what());
  }
  // A saved budget's status may be stale (evictions spend it on the spot, the recount is
  // lazy, and which namespaces needed one is not saved): recount every budget on first use.
  for (const auto& [key, _] : impl_->objects[ResourceId(kube::resources::PodDisruptionBudgets())]) {
    impl_->pdbs_dirty.insert(key.first);
  }
  return Status::Ok();
}

}  // namespace kcau::sim
