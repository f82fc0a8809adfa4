// kcau-controller's command line: flags, defaults, and the errors for bad ones.
// Pure parsing, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "reconcilers/hook_runner_policy.h"

namespace kcau::controller {

struct ControllerOptions {
  std::string kubeconfig;  // empty: in-cluster configuration
  std::string context;     // kubeconfig context; empty: current-context
  // /metrics, /healthz, /readyz. Loopback unless asked otherwise: the pod's manifest names
  // the address the kubelet and Prometheus reach.
  std::string metrics_addr = "127.0.0.1:8080";
  int workers = 2;  // runs reconciled in parallel (never one run twice)
  Duration resync_period = std::chrono::seconds(60);  // look at every run this often anyway
  std::string log_level = "info";                     // trace, debug, info, warn, error
  std::string log_format = "text";                    // text, json
  int verbosity = 0;                                  // --v: see common/verbosity.h
  bool leader_elect = false;                          // run as one of several replicas, one acting
  // kcau's own namespace (deploy/), never a shared one: run authors must not be able to put
  // hook scripts where the controller reads them.
  std::string leader_elect_namespace = "kcau-system";
  std::string controller_namespace = "kcau-system";    // run-lock Leases, hook ConfigMaps
  std::string leader_elect_id;                         // empty: hostname_pid
  Duration lease_duration = std::chrono::seconds(15);  // client-go's defaults
  Duration renew_deadline = std::chrono::seconds(10);
  Duration retry_period = std::chrono::seconds(2);
  double kube_api_qps = 20;  // client-side throttling of API calls
  int kube_api_burst = 30;
  reconcilers::HookRunnerPolicy hook_runner;  // --hook-*: whom hooks may run as
  std::string request_signing_key;            // PEM Ed25519 private key that signs agent requests
  // The controller's own pod (--pod-namespace/--pod-name, else $POD_NAMESPACE/$POD_NAME from
  // the downward API): drains move it last and hand the lead over first.
  std::string pod_namespace;
  std::string pod_name;
  // --node-phase-events: an Event for every node phase change (CAU's NodeStatusNotification),
  // the start of each node and its staged updates; off, a node tells its story in one Event
  // (NodeUpdated, NodeFailed, NodeSkipped) plus its warnings and installed updates.
  bool node_phase_events = false;
  bool show_version = false;
  bool show_help = false;
};

StatusOr<ControllerOptions> ParseControllerOptions(const std::vector<std::string>& args);
std::string ControllerUsage();

}  // namespace kcau::controller
