// kcau-agent's command line: flags, defaults and the errors for bad ones. Pure parsing,
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::agent {

struct AgentOptions {
  std::string node;                // --node (the DaemonSet passes spec.nodeName)
  std::string request_verify_key;  // PEM public key(s) of the controller
  std::string kubeconfig;          // empty: in-cluster service account
  std::string context;
  std::string host_mount = "/host";         // the host's / as mounted in the pod
  std::string state_dir = "/var/lib/kcau";  // on the host: the journal
  std::string metrics_addr = "127.0.0.1:8081";
  std::string log_format = "text";
  std::string log_level = "info";
  int verbosity = 0;
  // Test hosts (kcau-sim's real agents): act chrooted into this directory instead of
  // entering PID 1's namespaces; a reboot is asked of kcau-sim through files under it.
  std::string test_root;
  bool show_version = false;
  bool show_help = false;
};

StatusOr<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args);
std::string AgentUsage();

}  // namespace kcau::agent
