#include "sim/audit_log.h"

#include <cpprest/json.h>

namespace kcau::sim {

std::string AuditVerb(const std::string& method, bool has_name, bool watch) {
  if (method == "GET") return has_name ? "get" : (watch ? "watch" : "list");
  if (method == "POST") return "create";  // on a collection, or a subresource (eviction)
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return has_name ? "delete" : "deletecollection";
  return "";
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
