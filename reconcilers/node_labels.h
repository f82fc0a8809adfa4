// A Node's labels as the controller's node cache keeps them: every key and value packed in
// one allocation, sorted by key, shared by the copies every reconcile pass makes. A std::map
// of them cost ~150 bytes a label (a tree node and a heap string per key); five thousand
// nodes' labels were 3 MB of the controller's 48 MiB budget (docs/bench.md).
//
// Immutable once made: Set() builds a new packing (for tests and builders, not hot paths).
// Thread-safety: as for a const value; copies may be used from different threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kcau::reconcilers {

class NodeLabels {
 public:
  NodeLabels() = default;
  explicit NodeLabels(const std::map<std::string, std::string>& labels);

  // The value of `key`, or nullopt when the node has no such label (an empty value is a
  // label: node-role.kubernetes.io/control-plane has one).
  std::optional<std::string_view> Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key).has_value(); }
  size_t size() const;
  std::map<std::string, std::string> ToMap() const;

  // These labels with `key` set to `value`.
  void Set(const std::string& key, const std::string& value);

  bool operator==(const NodeLabels& other) const;

 private:
  // For each label by key: the key, a NUL, the value, a NUL. Keys and values of Kubernetes
  // labels hold no NUL (names and values are restricted to [A-Za-z0-9._/-]).
  std::shared_ptr<const char[]> packed_;
  uint32_t bytes_ = 0;

  std::string_view Packed() const { return {packed_.get(), bytes_}; }
};

}  // namespace kcau::reconcilers
