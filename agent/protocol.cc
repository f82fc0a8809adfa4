#include "agent/protocol.h"

#include <cpprest/json.h>

namespace kcau::agent {

const char* AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kInstalling:
      return "Installing";
    case AgentState::kInstalled:
      return "Installed";
    case AgentState::kFailed:
      return "Failed";
    case AgentState::kScanned:
      return "Scanned";
  }
  return "Unknown";
}

namespace {

web::json::value AgentResultJson(const AgentResult& result) {
  web::json::value v = web::json::value::object();
  v["token"] = web::json::value::string(result.token);
  v["state"] = web::json::value::string(AgentStateName(result.state));
  v["rebootRequired"] = web::json::value::boolean(result.reboot_required);
  v["updatesInstalled"] = web::json::value::number(result.updates_installed);
  if (result.state == AgentState::kScanned) {
    v["updatesFound"] = web::json::value::number(result.updates_found);
  }
  if (!result.message.empty()) v["message"] = web::json::value::string(result.message);
  if (!result.reboot_kind.empty()) v["rebootKind"] = web::json::value::string(result.reboot_kind);
  for (const auto& [key, list] :
       {std::pair{"updates", &result.titles}, std::pair{"staged", &result.staged}}) {
    if (list->empty()) continue;
    web::json::value titles = web::json::value::array(list->size());
    for (size_t i = 0; i < list->size(); ++i) titles[i] = web::json::value::string((*list)[i]);
    v[key] = titles;
  }
  if (!result.boot_id.empty()) v["bootID"] = web::json::value::string(result.boot_id);
  if (!result.previous.empty()) v["previous"] = AgentResultJson(result.previous.front());
  return v;
}

std::optional<AgentResult> AgentResultOf(const web::json::value& v) {
  if (!v.is_object() || !v.has_string_field("token") || !v.has_string_field("state")) {
    return std::nullopt;
  }
  AgentResult r;
  r.token = v.at("token").as_string();
  const std::string state = v.at("state").as_string();
  if (state == "Installing") {
    r.state = AgentState::kInstalling;
  } else if (state == "Installed") {
    r.state = AgentState::kInstalled;
  } else if (state == "Failed") {
    r.state = AgentState::kFailed;
  } else if (state == "Scanned") {
    r.state = AgentState::kScanned;
  } else {
    return std::nullopt;
  }
  if (v.has_boolean_field("rebootRequired")) r.reboot_required = v.at("rebootRequired").as_bool();
  if (v.has_integer_field("updatesInstalled")) {
    r.updates_installed = v.at("updatesInstalled").as_integer();
  }
  if (v.has_integer_field("updatesFound")) r.updates_found = v.at("updatesFound").as_integer();
  if (v.has_string_field("message")) r.message = v.at("message").as_string();
  if (v.has_string_field("rebootKind")) r.reboot_kind = v.at("rebootKind").as_string();
  for (const auto& [key, list] :
       {std::pair{"updates", &r.titles}, std::pair{"staged", &r.staged}}) {
    if (!v.has_array_field(key)) continue;
    for (const auto& t : v.at(key).as_array()) {
      if (t.is_string()) list->push_back(t.as_string());
    }
  }
  if (v.has_string_field("bootID")) r.boot_id = v.at("bootID").as_string();
  if (v.has_object_field("previous")) {
    auto previous = AgentResultOf(v.at("previous"));
    if (!previous) return std::nullopt;
    r.previous.push_back(std::move(*previous));
  }
  return r;
}

}  // namespace

std::string EncodeAgentResult(const AgentResult& result) {
  return AgentResultJson(result).serialize();
}

std::optional<AgentResult> DecodeAgentResult(const std::string& text) {
  try {
    return AgentResultOf(web::json::value::parse(text));
  } catch (const std::exception&) {
    // web::json throws on malformed text and on type mismatches: neither is an AgentResult.
    return std::nullopt;
  }
}

namespace {

using web::json::value;

std::string StringOr(const value& v, const char* key) {
  return v.has_string_field(key) ? v.at(key).as_string() : "";
}

}  // namespace

std::string EncodeHookRequest(const HookRequest& r) {
  value v = value::object();
  v["token"] = value::string(r.token);
  v["hook"] = value::string(r.hook);
  v["configMap"] = value::string(r.config_map);
  v["key"] = value::string(r.key);
  v["timeoutSeconds"] = value::number(r.timeout_seconds);
  if (!r.service_account.empty()) v["serviceAccountName"] = value::string(r.service_account);
  if (r.run_as_user) v["runAsUser"] = value::number(*r.run_as_user);
  return v.serialize();
}

std::optional<HookRequest> DecodeHookRequest(const std::string& text) {
  try {
    value v = value::parse(text);
    if (!v.is_object() || !v.has_string_field("token") || !v.has_string_field("hook")) {
      return std::nullopt;
    }
    HookRequest r;
    r.token = v.at("token").as_string();
    r.hook = v.at("hook").as_string();
    r.config_map = StringOr(v, "configMap");
    r.key = StringOr(v, "key");
    if (v.has_integer_field("timeoutSeconds"))
      r.timeout_seconds = v.at("timeoutSeconds").as_integer();
    r.service_account = StringOr(v, "serviceAccountName");
    if (v.has_integer_field("runAsUser")) {
      r.run_as_user = v.at("runAsUser").as_number().to_int64();
    }
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string EncodeHookResult(const HookResult& r) {
  value v = value::object();
  v["token"] = value::string(r.token);
  v["state"] = value::string(r.running ? "Running" : r.succeeded ? "Succeeded" : "Failed");
  if (!r.message.empty()) v["message"] = value::string(r.message);
  return v.serialize();
}

std::optional<HookResult> DecodeHookResult(const std::string& text) {
  try {
    value v = value::parse(text);
    if (!v.is_object() || !v.has_string_field("token") || !v.has_string_field("state")) {
      return std::nullopt;
    }
    HookResult r;
    r.token = v.at("token").as_string();
    const std::string state = v.at("state").as_string();
    if (state != "Running" && state != "Succeeded" && state != "Failed") return std::nullopt;
    r.running = state == "Running";
    r.succeeded = state == "Succeeded";
    r.message = StringOr(v, "message");
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace kcau::agent
