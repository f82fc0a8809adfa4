#include "reconcilers/spec_edits.h"

#include <algorithm>
#include <set>

#include "crd/updaterun_fields.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

constexpr size_t kValueShown = 80;  // a long nodeOrder is not worth repeating in a message

std::string Show(const Json& object, const std::string& key) {
  if (!object.is_object() || !object.has_field(key)) return "(unset)";
  std::string text = object.at(key).serialize();
  if (text.size() > kValueShown) text = text.substr(0, kValueShown) + "...";
  return text;
}

bool SameField(const Json& a, const Json& b, const std::string& key) {
  const bool in_a = a.is_object() && a.has_field(key);
  const bool in_b = b.is_object() && b.has_field(key);
  if (in_a != in_b) return false;
  return !in_a || a.at(key) == b.at(key);
}

bool IsLive(const std::string& key) {
  const auto& live = LiveSpecFields();
  return std::find(live.begin(), live.end(), key) != live.end();
}

void Put(Json& object, const std::string& key, const Json& from) {
  if (from.is_object() && from.has_field(key)) {
    object[key] = from.at(key);
  } else if (object.has_field(key)) {
    object.erase(key);
  }
}

}  // namespace

const std::vector<std::string>& LiveSpecFields() {
  static const std::vector<std::string> fields = [] {
    std::vector<std::string> live;
    for (const auto& field : crd::SpecFields()) {
      if (field.mid_run_edit == crd::MidRunEdit::kApplied) live.push_back(field.json_name);
    }
    return live;
  }();
  return fields;
}

SpecEdit ReconcileSpecEdit(const Json& written, const Json& applied) {
  SpecEdit edit;
  edit.effective = applied.is_object() ? applied : Json::object();
  std::set<std::string> keys;
  for (const Json* side : {&written, &applied}) {
    if (!side->is_object()) continue;
    for (const auto& [key, value] : side->as_object()) keys.insert(key);
  }
  for (const auto& key : keys) {
    if (SameField(written, applied, key)) continue;
    FieldChange change{"spec." + key, Show(applied, key), Show(written, key), ""};
    if (IsLive(key)) {
      Put(edit.effective, key, written);
      edit.applied.push_back(change);
    } else {
      change.why = "fixed when the run started";
      edit.ignored.push_back(change);
    }
  }
  return edit;
}

void RefuseInvalidChanges(SpecEdit& edit, const Json& applied,
                          const std::vector<crd::FieldError>& errors) {
  std::vector<FieldChange> kept;
  for (auto& change : edit.applied) {
    std::string why;
    for (const auto& e : errors) {
      // "spec.maxFailedNodes" refuses "spec.maxFailedNodes" and "spec.settle.delay" "spec.settle".
      if (e.field == change.field || e.field.rfind(change.field + ".", 0) == 0 ||
          e.field.rfind(change.field + "[", 0) == 0) {
        why += (why.empty() ? "" : "; ") + e.problem;
      }
    }
    if (why.empty()) {
      kept.push_back(change);
      continue;
    }
    Put(edit.effective, change.field.substr(5), applied);
    change.why = "invalid: " + why;
    edit.ignored.push_back(change);
  }
  edit.applied = kept;
}

std::string DescribeChanges(const std::vector<FieldChange>& changes, bool with_why) {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += "; ";
    out += c.field + ": " + c.from + " -> " + c.to;
    if (with_why && !c.why.empty()) out += " (" + c.why + ")";
  }
  return out;
}

}  // namespace kcau::reconcilers
