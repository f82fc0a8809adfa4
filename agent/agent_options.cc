#include "agent/agent_options.h"

#include <stdexcept>

namespace kcau::agent {

namespace {

// "--flag value" or "--flag=value".
bool TakeValue(const std::vector<std::string>& args, size_t& i, const std::string& flag,
               std::string& out, Status& error) {
  const std::string& a = args[i];
  if (a.rfind(flag + "=", 0) == 0) {
    out = a.substr(flag.size() + 1);
    return true;
  }
  if (a != flag) return false;
  if (i + 1 >= args.size()) {
    error = InvalidArgumentError(flag + ": needs a value");
    return true;
  }
  out = args[++i];
  return true;
}

}  // namespace

std::string AgentUsage() {
  return "usage: kcau-agent --node NAME --request-verify-key FILE [flags]\n"
         "  --node NAME               this agent's node (the DaemonSet passes spec.nodeName)\n"
         "  --request-verify-key FILE the controller's PEM public key(s): requests not signed\n"
         "                            with one of them for this node are refused\n"
         "  --kubeconfig FILE         default: the in-cluster service account\n"
         "  --context NAME            kubeconfig context\n"
         "  --host-mount DIR          the host's / as mounted in the pod (default /host)\n"
         "  --state-dir DIR           on the host: what the agent is doing, kept across restarts\n"
         "                            and reboots (default /var/lib/kcau)\n"
         "  --metrics-addr ADDR       /metrics, /healthz, /readyz (default 127.0.0.1:8081)\n"
         "  --log-format text|json, --log-level LEVEL, --v N\n"
         "  --test-root DIR           tests: act chrooted into DIR, not on the host\n"
         "  --version, --help\n";
}

StatusOr<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args) {
  AgentOptions o;
  Status error;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--version") {
      o.show_version = true;
    } else if (a == "--help" || a == "-h") {
      o.show_help = true;
    } else if (TakeValue(args, i, "--node", o.node, error) ||
               TakeValue(args, i, "--request-verify-key", o.request_verify_key, error) ||
               TakeValue(args, i, "--kubeconfig", o.kubeconfig, error) ||
               TakeValue(args, i, "--context", o.context, error) ||
               TakeValue(args, i, "--host-mount", o.host_mount, error) ||
               TakeValue(args, i, "--state-dir", o.state_dir, error) ||
               TakeValue(args, i, "--metrics-addr", o.metrics_addr, error) ||
               TakeValue(args, i, "--log-format", o.log_format, error) ||
               TakeValue(args, i, "--log-level", o.log_level, error) ||
               TakeValue(args, i, "--test-root", o.test_root, error)) {
      if (!error.ok()) return error;
    } else if (TakeValue(args, i, "--v", v, error)) {
      if (!error.ok()) return error;
      try {
        size_t used = 0;
        o.verbosity = std::stoi(v, &used);
        if (used != v.size() || o.verbosity < 0) throw std::invalid_argument(v);
      } catch (const std::exception&) {
        return InvalidArgumentError("--v: expected a whole number from 0, got \"" + v + "\"");
      }
    } else {
      return InvalidArgumentError("unknown flag \"" + a + "\"");
    }
  }
  if (o.show_help || o.show_version) return o;
  if (o.node.empty()) return InvalidArgumentError("--node: required (this agent's node)");
  if (o.request_verify_key.empty()) {
    return InvalidArgumentError(
        "--request-verify-key: required: the agent acts only on requests the controller signed");
  }
  return o;
}

}  // namespace kcau::agent
