// kcau-sim's audit log: one JSON object per line for every request that reaches a resource,
// saying who asked (the user its credentials name, the node they are bound to, its
// User-Agent) and what, in RBAC's own terms (verb, apiGroup, resource, subresource,
// namespace, name), and when it arrived (to the microsecond). Tests read it to prove that
// kcau's install manifests grant the controller and the agents every permission they use — a
// real API server would refuse the rest with 403; the benchmarks (bench/) count the
// controller's writes and time its reactions with it. The simulated kubelets' Node status
// writes reach the store without HTTP and are recorded too (KubeletStatusEntry), as a real
// API server logs a kubelet's, so a reader can tell when a node came back; so are the
// simulated agents' result writes (AgentResultEntry), so a reader can tell when a node's
// update ended.
//
// Thread-safety: Record may be called from any thread; lines are never interleaved.
#pragma once

#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
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
  TimePoint received{};   // requestReceivedTimestamp; the epoch: not written
  // As an audit event's annotations: facts about the request beyond RBAC's terms.
  std::map<std::string, std::string> annotations;
};

// Annotations of a simulated kubelet's status write: the node's Ready condition ("True" or
// "False"), and its new boot ID when it booted anew.
inline constexpr char kReadyAnnotation[] = "sim.kcau.io/ready";
inline constexpr char kBootIdAnnotation[] = "sim.kcau.io/new-boot-id";

// A simulated kubelet's write of its Node's status, as a real one appears in an API server's
// audit log (user system:node:NAME, a patch of nodes/NAME/status).
AuditEntry KubeletStatusEntry(const std::string& node, bool ready, const std::string& new_boot_id,
                              TimePoint when);

// Annotations of a simulated agent's result write: its state (agent/protocol.h's names:
// Installing, Installed, Failed, Scanned) and whether a reboot follows ("true", "false").
inline constexpr char kAgentStateAnnotation[] = "sim.kcau.io/agent-state";
inline constexpr char kRebootRequiredAnnotation[] = "sim.kcau.io/reboot-required";

// The user the agents' service-account tokens name.
inline constexpr char kAgentUser[] = "system:serviceaccount:kcau-system:kcau-agent";

// A simulated agent's write of its result on its own Node, as a real agent's patch appears
// (the agents' service account, bound to the node).
AuditEntry AgentResultEntry(const std::string& node, const std::string& state, bool reboot_required,
                            TimePoint when);

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
