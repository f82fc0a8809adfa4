#include "kube/label_selector.h"

#include <algorithm>
#include <cctype>

namespace kcau::kube {

namespace {

std::string Trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Splits on commas outside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"].
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> terms;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty() || !terms.empty()) terms.push_back(cur);
  return terms;
}

StatusOr<SelectorRequirement> ParseTerm(const std::string& raw, bool set_based) {
  const std::string term = Trim(raw);
  if (term.empty()) return InvalidArgumentError("empty selector term");
  SelectorRequirement r;
  size_t pos;
  if ((pos = term.find("!=")) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.op = SelectorRequirement::Op::kNotEquals;
    r.values = {Trim(term.substr(pos + 2))};
  } else if ((pos = term.find("==")) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.values = {Trim(term.substr(pos + 2))};
  } else if ((pos = term.find('=')) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.values = {Trim(term.substr(pos + 1))};
  } else if (set_based && (pos = term.find(" notin ")) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.op = SelectorRequirement::Op::kNotIn;
  } else if (set_based && (pos = term.find(" in ")) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.op = SelectorRequirement::Op::kIn;
  } else if (set_based && term[0] == '!') {
    r.key = Trim(term.substr(1));
    r.op = SelectorRequirement::Op::kDoesNotExist;
  } else if (set_based) {
    r.key = term;
    r.op = SelectorRequirement::Op::kExists;
  } else {
    return InvalidArgumentError("invalid field selector term \"" + term + "\"");
  }
  if (r.op == SelectorRequirement::Op::kIn || r.op == SelectorRequirement::Op::kNotIn) {
    const size_t open = term.find('(');
    const size_t close = term.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
      return InvalidArgumentError("selector term \"" + term + "\": expected (values)");
    }
    for (const auto& v : SplitTerms(term.substr(open + 1, close - open - 1))) {
      r.values.push_back(Trim(v));
    }
  }
  if (r.key.empty()) return InvalidArgumentError("selector term \"" + term + "\": empty key");
  return r;
}

StatusOr<Selector> Parse(const std::string& text, bool set_based) {
  Selector s;
  if (Trim(text).empty()) return s;
  for (const auto& term : SplitTerms(text)) {
    auto r = ParseTerm(term, set_based);
    if (!r.ok()) return r.status();
    s.requirements.push_back(std::move(*r));
  }
  return s;
}

std::string StringAt(const web::json::value& obj, const char* a, const char* b) {
  if (!obj.has_object_field(a)) return "";
  const auto& inner = obj.at(a);
  return inner.has_string_field(b) ? inner.at(b).as_string() : "";
}

}  // namespace

namespace {

// `find(key)` returns the label's value, or nullptr when the object has no such label.
template <typename Find>
bool AllHold(const std::vector<SelectorRequirement>& requirements, Find find) {
  for (const auto& r : requirements) {
    const std::string* value = find(r.key);
    const bool has = value != nullptr;
    const bool in = has && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    switch (r.op) {
      case SelectorRequirement::Op::kEquals:
      case SelectorRequirement::Op::kIn:
        if (!in) return false;
        break;
      case SelectorRequirement::Op::kNotEquals:
      case SelectorRequirement::Op::kNotIn:
        if (in) return false;
        break;
      case SelectorRequirement::Op::kExists:
        if (!has) return false;
        break;
      case SelectorRequirement::Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace

bool Selector::Matches(const std::map<std::string, std::string>& labels) const {
  return AllHold(requirements, [&](const std::string& key) -> const std::string* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  });
}

bool Selector::MatchesLabelsOf(const web::json::value& object) const {
  if (requirements.empty()) return true;
  const web::json::value* labels = nullptr;
  if (object.has_object_field("metadata") && object.at("metadata").has_object_field("labels")) {
    labels = &object.at("metadata").at("labels");
  }
  return AllHold(requirements, [&](const std::string& key) -> const std::string* {
    if (labels == nullptr || !labels->has_string_field(key)) return nullptr;
    return &labels->at(key).as_string();
  });
}

StatusOr<Selector> ParseLabelSelector(const std::string& text) { return Parse(text, true); }

namespace {

const std::vector<std::string>& SelectablePaths() {
  // Events' involvedObject.* and reason/type: `kubectl get events --field-selector
  // involvedObject.name=RUN` is how a user finds one run's Events, and `kubectl describe`
  // selects an object's Events by involvedObject name, namespace, kind and uid.
  static const std::vector<std::string> paths = {"metadata.name",
                                                 "metadata.namespace",
                                                 "spec.nodeName",
                                                 "status.phase",
                                                 "spec.unschedulable",
                                                 "involvedObject.name",
                                                 "involvedObject.namespace",
                                                 "involvedObject.kind",
                                                 "involvedObject.uid",
                                                 "involvedObject.apiVersion",
                                                 "involvedObject.resourceVersion",
                                                 "involvedObject.fieldPath",
                                                 "reason",
                                                 "type"};
  return paths;
}

// One selectable field's value ("" when absent, as the API server compares it).
std::string SelectableField(const web::json::value& object, const std::string& path) {
  if (path == "metadata.name") return StringAt(object, "metadata", "name");
  if (path == "metadata.namespace") return StringAt(object, "metadata", "namespace");
  if (path == "spec.nodeName") return StringAt(object, "spec", "nodeName");
  if (path == "status.phase") return StringAt(object, "status", "phase");
  if (path == "involvedObject.name") return StringAt(object, "involvedObject", "name");
  if (path == "involvedObject.kind") return StringAt(object, "involvedObject", "kind");
  if (path == "involvedObject.uid") return StringAt(object, "involvedObject", "uid");
  if (path == "involvedObject.namespace") return StringAt(object, "involvedObject", "namespace");
  if (path == "involvedObject.apiVersion") return StringAt(object, "involvedObject", "apiVersion");
  if (path == "involvedObject.resourceVersion") {
    return StringAt(object, "involvedObject", "resourceVersion");
  }
  if (path == "involvedObject.fieldPath") return StringAt(object, "involvedObject", "fieldPath");
  if (path == "reason" && object.has_string_field("reason")) return object.at("reason").as_string();
  if (path == "type" && object.has_string_field("type")) return object.at("type").as_string();
  if (path == "spec.unschedulable") {
    const bool unschedulable = object.has_object_field("spec") &&
                               object.at("spec").has_boolean_field("unschedulable") &&
                               object.at("spec").at("unschedulable").as_bool();
    return unschedulable ? "true" : "false";
  }
  return "";
}

}  // namespace

StatusOr<Selector> ParseFieldSelector(const std::string& text) {
  auto s = Parse(text, false);
  if (!s.ok()) return s;
  for (const auto& r : s->requirements) {
    const auto& paths = SelectablePaths();
    if (std::find(paths.begin(), paths.end(), r.key) == paths.end()) {
      return InvalidArgumentError("field label not supported: " + r.key);
    }
  }
  return s;
}

std::map<std::string, std::string> SelectableFields(const web::json::value& object) {
  std::map<std::string, std::string> f;
  for (const auto& path : SelectablePaths()) f[path] = SelectableField(object, path);
  return f;
}

bool Selector::MatchesFieldsOf(const web::json::value& object) const {
  std::string value;
  return AllHold(requirements, [&](const std::string& path) -> const std::string* {
    const auto& paths = SelectablePaths();
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) return nullptr;
    value = SelectableField(object, path);
    return &value;
  });
}

std::map<std::string, std::string> LabelsOf(const web::json::value& object) {
  std::map<std::string, std::string> labels;
  if (object.has_object_field("metadata") && object.at("metadata").has_object_field("labels")) {
    for (const auto& [k, v] : object.at("metadata").at("labels").as_object()) {
      if (v.is_string()) labels[k] = v.as_string();
    }
  }
  return labels;
}

}  // namespace kcau::kube
