#include "reconcilers/node_store.h"

#include "kube/object_meta.h"
#include "reconcilers/object_views.h"

namespace kcau::reconcilers {

namespace {

// Stored keeps every field NodeViewFromJson fills: a field added to NodeView must be added
// there too (and to View()), or the cache would drop it. NodeStoreTest.KeepsEveryField
// round-trips a Node that sets them all.
static_assert(sizeof(NodeView) == 400, "NodeView changed: keep NodeStore::Stored in step");

}  // namespace

NodeStore::Stored::Stored(const NodeView& view)
    : labels(view.labels),
      agent_result(view.agent_result),
      hook_result(view.hook_result),
      pressure(view.pressure),
      boot_id(view.boot_id),
      request_token(view.request_token),
      rescan_request_token(view.rescan_request_token),
      cordoned_by(view.cordoned_by),
      agent_version(view.agent_version),
      hook_request_token(view.hook_request_token),
      resource_version(view.resource_version),
      ready(view.ready),
      unschedulable(view.unschedulable) {}

NodeView NodeStore::Stored::View(const std::string& name) const {
  NodeView v;
  v.name = name;
  v.labels = labels;
  v.ready = ready;
  v.unschedulable = unschedulable;
  v.boot_id = boot_id.view();
  v.request_token = request_token.view();
  v.rescan_request_token = rescan_request_token.view();
  v.cordoned_by = cordoned_by.view();
  v.agent_version = agent_version.view();
  v.pressure = pressure;
  v.agent_result = agent_result;
  v.hook_request_token = hook_request_token.view();
  v.hook_result = hook_result;
  v.resource_version = resource_version.view();
  return v;
}

void NodeStore::Apply(const std::string& type, const kube::Json& node,
                      const std::function<void(const NodeView&)>& seen) {
  const std::string name = kube::NameOf(node);
  if (type == "DELETED") {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(name);
    malformed_.erase(name);
    return;
  }
  try {
    NodeView view = NodeViewFromJson(node);  // outside the lock: it parses annotations
    {
      std::lock_guard<std::mutex> lock(mu_);
      views_.insert_or_assign(name, Stored(view));
      malformed_.erase(name);
    }
    if (seen) seen(view);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    views_.erase(name);
    malformed_.insert_or_assign(name, Malformed{e.what(), kube::ResourceVersionOf(node)});
  }
}

StatusOr<std::vector<NodeView>> NodeStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!malformed_.empty()) {
    const auto& [name, malformed] = *malformed_.begin();
    return InternalError("malformed Node \"" + name + "\" in cache: " + malformed.why);
  }
  std::vector<NodeView> views;
  views.reserve(views_.size());
  for (const auto& [name, stored] : views_) views.push_back(stored.View(name));
  return views;
}

std::optional<std::string> NodeStore::VersionOf(const std::string& key) const {
  if (key.empty() || key[0] != '/') return std::nullopt;
  const std::string name = key.substr(1);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = views_.find(name); it != views_.end()) {
    return std::string(it->second.resource_version.view());
  }
  if (auto it = malformed_.find(name); it != malformed_.end()) return it->second.resource_version;
  return std::nullopt;
}

void NodeStore::ForEachKey(
    const std::function<void(const std::string& key, const std::string& version)>& visit) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, stored] : views_) {
    visit("/" + name, std::string(stored.resource_version.view()));
  }
  for (const auto& [name, malformed] : malformed_) visit("/" + name, malformed.resource_version);
}

size_t NodeStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.size() + malformed_.size();
}

}  // namespace kcau::reconcilers
