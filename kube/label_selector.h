// Label and field selectors in their query-string form, as the API server parses them:
// "app=web,tier!=db,env in (a,b),!legacy" and "spec.nodeName=node-1,metadata.name!=x".
// Used by the simulated API server to filter lists and watches.
// Pure values and functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::kube {

struct SelectorRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

struct Selector {
  std::vector<SelectorRequirement> requirements;  // all must hold; empty selects everything
  bool Matches(const std::map<std::string, std::string>& labels) const;
  // The same over an object's metadata.labels, read in place: no map is built, which is
  // what makes counting a budget's pods among 50,000 cheap.
  bool MatchesLabelsOf(const web::json::value& object) const;
  // A field selector over the object's selectable fields, read in place.
  bool MatchesFieldsOf(const web::json::value& object) const;
};

StatusOr<Selector> ParseLabelSelector(const std::string& text);

// Field selectors support = / == / != on the paths kcau and kubectl use.
StatusOr<Selector> ParseFieldSelector(const std::string& text);
// The field values of an object that field selectors can refer to.
std::map<std::string, std::string> SelectableFields(const web::json::value& object);
// metadata.labels as a map (empty when absent).
std::map<std::string, std::string> LabelsOf(const web::json::value& object);

}  // namespace kcau::kube
