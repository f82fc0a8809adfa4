#include "reconcilers/node_store.h"

#include <optional>

#include "kube/object_meta.h"
#include "reconcilers/object_views.h"

namespace kcau::reconcilers {

void NodeStore::Apply(const std::string& type, const kube::Json& node) {
  const std::string name = kube::NameOf(node);
  std::optional<NodeView> view;
  std::string why;
  if (type != "DELETED") {
    try {
      view = NodeViewFromJson(node);  // outside the lock: it parses annotations
    } catch (const std::exception& e) {
      why = e.what();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  if (!view) {
    if (views_.erase(name) > 0) membership_ = generation_;
    if (why.empty()) {
      malformed_.erase(name);
    } else {
      malformed_.insert_or_assign(name, why);
    }
    return;
  }
  auto [it, added] = views_.insert_or_assign(name, Entry{std::move(*view), generation_});
  if (added) membership_ = generation_;
  malformed_.erase(name);
}

Status NodeStore::MalformedLocked() const {
  if (malformed_.empty()) return Status::Ok();
  const auto& [name, why] = *malformed_.begin();
  return InternalError("malformed Node \"" + name + "\" in cache: " + why);
}

StatusOr<std::vector<NodeView>> NodeStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = MalformedLocked(); !s.ok()) return s;
  std::vector<NodeView> views;
  views.reserve(views_.size());
  for (const auto& [_, entry] : views_) views.push_back(entry.view);
  return views;
}

Status NodeStore::Refresh(NodeSnapshot& snapshot) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = MalformedLocked(); !s.ok()) return s;
  if (snapshot.generation < membership_ || snapshot.views.size() != views_.size()) {
    snapshot.views.clear();
    snapshot.views.reserve(views_.size());
    for (const auto& [_, entry] : views_) snapshot.views.push_back(entry.view);
  } else {
    // The same nodes in the same (name) order: only the changed ones are copied.
    size_t i = 0;
    for (const auto& [_, entry] : views_) {
      NodeView& view = snapshot.views[i++];
      if (entry.changed > snapshot.generation) {
        view = entry.view;
      } else {
        ClearPassFields(view);
      }
    }
  }
  snapshot.generation = generation_;
  return Status::Ok();
}

size_t NodeStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.size();
}

}  // namespace kcau::reconcilers
