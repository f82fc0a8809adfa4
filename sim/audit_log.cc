#include "sim/audit_log.h"

#include <cpprest/json.h>

#include <cstdio>

namespace kcau::sim {

std::string AuditVerb(const std::string& method, bool has_name, bool watch) {
  if (method == "GET") return has_name ? "get" : (watch ? "watch" : "list");
  if (method == "POST") return "create";  // on a collection, or a subresource (eviction)
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return has_name ? "delete" : "deletecollection";
  return "";
}

namespace {

// RFC 3339 in UTC with microseconds, as the API server's audit events carry their times.
std::string FormatMicros(TimePoint t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - seconds).count();
  std::string text = FormatRfc3339(seconds);  // "...:SSZ"
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros));
  text.insert(text.size() - 1, fraction);
  return text;
}

}  // namespace

AuditEntry KubeletStatusEntry(const std::string& node, bool ready, const std::string& new_boot_id,
                              TimePoint when) {
  AuditEntry entry;
  entry.user_agent = "kubelet/v1.32.0 (linux/amd64) kcau-sim";
  entry.verb = "patch";
  entry.resource = "nodes";
  entry.subresource = "status";
  entry.name = node;
  entry.user = "system:node:" + node;
  entry.user_node = node;
  entry.received = when;
  entry.annotations[kReadyAnnotation] = ready ? "True" : "False";
  if (!new_boot_id.empty()) entry.annotations[kBootIdAnnotation] = new_boot_id;
  return entry;
}

AuditEntry AgentResultEntry(const std::string& node, const std::string& state, bool reboot_required,
                            TimePoint when) {
  AuditEntry entry;
  entry.user_agent = std::string("kcau-agent/") + KCAU_VERSION + " (simulated) kcau-sim";
  entry.verb = "patch";
  entry.resource = "nodes";
  entry.name = node;
  entry.user = kAgentUser;
  entry.user_node = node;
  entry.received = when;
  entry.annotations[kAgentStateAnnotation] = state;
  entry.annotations[kRebootRequiredAnnotation] = reboot_required ? "true" : "false";
  return entry;
}

std::string AuditLine(const AuditEntry& entry) {
  auto line = web::json::value::object();
  line["userAgent"] = web::json::value::string(entry.user_agent);
  line["verb"] = web::json::value::string(entry.verb);
  line["apiGroup"] = web::json::value::string(entry.group);
  line["resource"] = web::json::value::string(entry.resource);
  line["subresource"] = web::json::value::string(entry.subresource);
  line["namespace"] = web::json::value::string(entry.ns);
  line["name"] = web::json::value::string(entry.name);
  line["user"] = web::json::value::string(entry.user);
  // As a bound service-account token's authentication.kubernetes.io/node-name.
  line["userNode"] = web::json::value::string(entry.user_node);
  if (entry.received != TimePoint{}) {
    line["requestReceivedTimestamp"] = web::json::value::string(FormatMicros(entry.received));
  }
  if (!entry.annotations.empty()) {
    auto& annotations = line["annotations"] = web::json::value::object();
    for (const auto& [k, v] : entry.annotations) annotations[k] = web::json::value::string(v);
  }
  return line.serialize();
}

Status AuditLog::Open(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  out_.open(path, std::ios::app);
  if (!out_) return InvalidArgumentError("--audit-log " + path + ": cannot open it for writing");
  return Status::Ok();
}

void AuditLog::Record(const AuditEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!out_.is_open()) return;
  // Flushed at once: a test reads the log while the server runs, and a SIGKILL loses nothing.
  out_ << AuditLine(entry) << '\n' << std::flush;
}

}  // namespace kcau::sim
