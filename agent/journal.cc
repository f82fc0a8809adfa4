#include "agent/journal.h"

#include <cpprest/json.h>

namespace kcau::agent {

namespace {

using web::json::value;

std::optional<JournalStep> ParseStep(const std::string& name) {
  for (JournalStep s : {JournalStep::kInstalling, JournalStep::kRebooting, JournalStep::kDone}) {
    if (name == JournalStepName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace

const char* JournalStepName(JournalStep step) {
  switch (step) {
    case JournalStep::kInstalling:
      return "installing";
    case JournalStep::kRebooting:
      return "rebooting";
    case JournalStep::kDone:
      return "done";
  }
  return "done";
}

Journal::Journal(Host& host, std::string name, std::string directory)
    : host_(host), path_(directory + "/" + name + ".json") {}

StatusOr<std::optional<JournalEntry>> Journal::Load() {
  auto info = host_.Stat(path_);
  if (!info.ok()) return info.status();
  if (!info->exists) return std::optional<JournalEntry>();
  auto text = host_.ReadFile(path_);
  if (!text.ok()) return text.status();
  try {
    const value v = value::parse(*text);
    JournalEntry e;
    e.token = v.at("token").as_string();
    auto step = ParseStep(v.at("step").as_string());
    if (!step) return InternalError(path_ + ": unknown step \"" + v.at("step").as_string() + "\"");
    e.step = *step;
    if (v.has_string_field("bootID")) e.boot_id = v.at("bootID").as_string();
    if (v.has_string_field("rebootKind")) e.reboot_kind = v.at("rebootKind").as_string();
    if (v.has_string_field("message")) e.message = v.at("message").as_string();
    if (v.has_string_field("previous")) e.previous = v.at("previous").as_string();
    if (v.has_array_field("titles")) {
      for (const auto& t : v.at("titles").as_array()) e.titles.push_back(t.as_string());
    }
    return std::optional<JournalEntry>(e);
  } catch (const std::exception& ex) {
    return InternalError(path_ + ": unreadable journal: " + ex.what());
  }
}

Status Journal::Save(const JournalEntry& e) {
  value v = value::object();
  v["token"] = value::string(e.token);
  v["step"] = value::string(JournalStepName(e.step));
  if (!e.boot_id.empty()) v["bootID"] = value::string(e.boot_id);
  if (!e.reboot_kind.empty()) v["rebootKind"] = value::string(e.reboot_kind);
  if (!e.message.empty()) v["message"] = value::string(e.message);
  if (!e.previous.empty()) v["previous"] = value::string(e.previous);
  if (!e.titles.empty()) {
    value titles = value::array(e.titles.size());
    for (size_t i = 0; i < e.titles.size(); ++i) titles[i] = value::string(e.titles[i]);
    v["titles"] = titles;
  }
  return host_.WriteFile(path_, v.serialize() + "\n", 0600);
}

}  // namespace kcau::agent
