// kcau-sim's audit log: one JSON object per line for every request that reaches a resource,
// saying who asked (the user its credentials name, the node they are bound to, its
// User-Agent) and what, in RBAC's own terms (verb, apiGroup, resource, subresource,
// namespace, name). Tests read it to prove that kcau's install manifests grant the controller
// and the agents every permission they use — a real API server would refuse the rest with 403.
//
// Thread-safety: Record may be called from any thread; lines are never interleaved.
#pragma once

#include <fstream>
#include <mutex>
#include <string>

#include "common/status.h"

namespace kcau::sim {

struct AuditEntry {
  std::string user_agent;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string user;       // whom the request's credentials name (sim/api_server.h's ClientIdentity)
  std::string user_node;  // the node those credentials are bound to, if any
};

// The RBAC verb for an HTTP method on a collection (name empty) or an object, as the API
// server's request-info resolver names it; empty for a method RBAC has no verb for.
std::string AuditVerb(const std::string& method, bool has_name, bool watch);

// One entry as the line the log holds (no trailing newline).
std::string AuditLine(const AuditEntry& entry);

class AuditLog {
 public:
  // Appends to `path` (created if missing).
  Status Open(const std::string& path);
  bool IsOpen() const { return out_.is_open(); }
  void Record(const AuditEntry& entry);

 private:
  std::mutex mu_;
  std::ofstream out_;  // guarded by mu_
};

}  // namespace kcau::sim
