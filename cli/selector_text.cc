#include "cli/selector_text.h"

#include "kube/label_selector.h"

namespace kcau::cli {

namespace {

std::string Join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

StatusOr<crd::LabelSelector> SelectorFromText(const std::string& text) {
  auto parsed = kube::ParseLabelSelector(text);
  if (!parsed.ok()) return parsed.status();
  using Op = kube::SelectorRequirement::Op;
  crd::LabelSelector selector;
  for (const auto& r : parsed->requirements) {
    switch (r.op) {
      case Op::kEquals:
        if (selector.match_labels.count(r.key) && selector.match_labels[r.key] != r.values[0]) {
          return InvalidArgumentError("label " + r.key + " is required to equal two values");
        }
        selector.match_labels[r.key] = r.values.at(0);
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        selector.match_expressions.push_back({r.key, "NotIn", r.values});
        break;
      case Op::kIn:
        selector.match_expressions.push_back({r.key, "In", r.values});
        break;
      case Op::kExists:
        selector.match_expressions.push_back({r.key, "Exists", {}});
        break;
      case Op::kDoesNotExist:
        selector.match_expressions.push_back({r.key, "DoesNotExist", {}});
        break;
    }
  }
  return selector;
}

std::string SelectorQuery(const crd::LabelSelector& selector) {
  std::vector<std::string> terms;
  for (const auto& [key, value] : selector.match_labels) terms.push_back(key + "=" + value);
  for (const auto& e : selector.match_expressions) {
    if (e.op == "In") terms.push_back(e.key + " in (" + Join(e.values) + ")");
    if (e.op == "NotIn") terms.push_back(e.key + " notin (" + Join(e.values) + ")");
    if (e.op == "Exists") terms.push_back(e.key);
    if (e.op == "DoesNotExist") terms.push_back("!" + e.key);
  }
  return Join(terms);
}

}  // namespace kcau::cli
