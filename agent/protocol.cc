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

std::string EncodeAgentResult(const AgentResult& result) {
  web::json::value v = web::json::value::object();
  v["token"] = web::json::value::string(result.token);
  v["state"] = web::json::value::string(AgentStateName(result.state));
  v["rebootRequired"] = web::json::value::boolean(result.reboot_required);
  v["updatesInstalled"] = web::json::value::number(result.updates_installed);
  if (result.state == AgentState::kScanned) {
    v["updatesFound"] = web::json::value::number(result.updates_found);
  }
  if (!result.message.empty()) v["message"] = web::json::value::string(result.message);
  return v.serialize();
}

std::optional<AgentResult> DecodeAgentResult(const std::string& text) {
  try {
    web::json::value v = web::json::value::parse(text);
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
    return r;
  } catch (const std::exception&) {
    // web::json throws on malformed text and on type mismatches: neither is an AgentResult.
    return std::nullopt;
  }
}

}  // namespace kcau::agent
