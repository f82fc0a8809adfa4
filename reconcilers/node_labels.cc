#include "reconcilers/node_labels.h"

#include <cstring>

namespace kcau::reconcilers {

namespace {

// Calls visit(key, value) for each label in `packed`, in key order, until it returns false.
template <typename Visit>
void ForEachLabel(std::string_view packed, Visit&& visit) {
  size_t at = 0;
  while (at < packed.size()) {
    const size_t key_end = packed.find('\0', at);
    const size_t value_end = packed.find('\0', key_end + 1);
    if (!visit(packed.substr(at, key_end - at),
               packed.substr(key_end + 1, value_end - key_end - 1))) {
      return;
    }
    at = value_end + 1;
  }
}

}  // namespace

NodeLabels::NodeLabels(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return;
  size_t bytes = 0;
  for (const auto& [key, value] : labels) bytes += key.size() + value.size() + 2;
  std::shared_ptr<char[]> packed = std::make_shared_for_overwrite<char[]>(bytes);
  char* out = packed.get();
  for (const auto& [key, value] : labels) {
    std::memcpy(out, key.data(), key.size());
    out += key.size();
    *out++ = '\0';
    std::memcpy(out, value.data(), value.size());
    out += value.size();
    *out++ = '\0';
  }
  packed_ = std::move(packed);
  bytes_ = static_cast<uint32_t>(bytes);
}

std::optional<std::string_view> NodeLabels::Find(std::string_view key) const {
  std::optional<std::string_view> found;
  ForEachLabel(Packed(), [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
    return !found && k < key;  // sorted: past `key`, it is not there
  });
  return found;
}

size_t NodeLabels::size() const {
  size_t n = 0;
  ForEachLabel(Packed(), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

std::map<std::string, std::string> NodeLabels::ToMap() const {
  std::map<std::string, std::string> labels;
  ForEachLabel(Packed(), [&](std::string_view k, std::string_view v) {
    labels.emplace(k, v);
    return true;
  });
  return labels;
}

void NodeLabels::Set(const std::string& key, const std::string& value) {
  std::map<std::string, std::string> labels = ToMap();
  labels[key] = value;
  *this = NodeLabels(labels);
}

bool NodeLabels::operator==(const NodeLabels& other) const {
  return packed_ == other.packed_ || Packed() == other.Packed();
}

}  // namespace kcau::reconcilers
