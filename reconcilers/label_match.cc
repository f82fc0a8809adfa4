#include "reconcilers/label_match.h"

#include <algorithm>

namespace kcau::reconcilers {

namespace {

bool RequirementMatches(const crd::LabelSelectorRequirement& req, const NodeLabels& labels) {
  const std::optional<std::string_view> value = labels.Find(req.key);
  const bool has = value.has_value();
  auto in_values = [&] {
    return has && std::find(req.values.begin(), req.values.end(), *value) != req.values.end();
  };
  if (req.op == "In") return in_values();
  if (req.op == "NotIn") return !in_values();
  if (req.op == "Exists") return has;
  if (req.op == "DoesNotExist") return !has;
  // Validation refuses other operators; a selector that cannot be understood selects nothing,
  // which is the safe reading for a tool that reboots what it selects.
  return false;
}

}  // namespace

bool SelectorMatches(const crd::LabelSelector& selector, const NodeLabels& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    if (labels.Find(key) != std::optional<std::string_view>(value)) return false;
  }
  for (const auto& req : selector.match_expressions) {
    if (!RequirementMatches(req, labels)) return false;
  }
  return true;
}

}  // namespace kcau::reconcilers
