#include "controller/options.h"

#include <stdexcept>

namespace kcau::controller {

namespace {

// Accepts "--flag=value" and "--flag value".
bool TakeValue(const std::vector<std::string>& args, size_t& i, const std::string& flag,
               std::string& value) {
  const std::string& arg = args[i];
  if (arg == flag) {
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + ": needs a value");
    value = args[++i];
    return true;
  }
  if (arg.rfind(flag + "=", 0) == 0) {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

int ParsePositiveInt(const std::string& flag, const std::string& text) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 1) {
    throw std::invalid_argument(flag + ": \"" + text + "\" is not a positive integer");
  }
  return v;
}

}  // namespace

std::string ControllerUsage() {
  return "usage: kcau-controller [flags]\n"
         "  --kubeconfig PATH       kubeconfig to use (default: in-cluster service account)\n"
         "  --context NAME          kubeconfig context (default: current-context)\n"
         "  --metrics-addr ADDR     serve /metrics, /healthz, /readyz on ADDR (default :8080;\n"
         "                          127.0.0.1:PORT for loopback only)\n"
         "  --workers N             runs reconciled in parallel (default 2)\n"
         "  --resync-seconds N      look at every run at least this often (default 60)\n"
         "  --log-level LEVEL       trace|debug|info|warn|error (default info)\n"
         "  --log-format FORMAT     text|json (default text)\n"
         "  --v N                   detail, as Kubernetes components: 2 status writes, 4 "
         "reconcile\n"
         "                          decisions, 6 every API request (default 0)\n"
         "  --kube-api-qps N        API requests per second, client side (default 20)\n"
         "  --kube-api-burst N      burst above the QPS (default 30)\n"
         "  --namespace NS          the controller's namespace: run-lock Leases, hook\n"
         "                          ConfigMaps (default default)\n"
         "  --leader-elect          elect a leader on a Lease; only the leader acts\n"
         "  --leader-elect-namespace NS   the Lease's namespace (default default)\n"
         "  --leader-elect-id ID    this replica's identity (default hostname_pid)\n"
         "  --leader-elect-lease-duration-seconds N  (default 15)\n"
         "  --leader-elect-renew-deadline-seconds N  (default 10)\n"
         "  --leader-elect-retry-period-seconds N    (default 2)\n"
         "  --request-signing-key FILE  PEM Ed25519 private key that signs every request to\n"
         "                          the node agents (required; make one with\n"
         "                          openssl genpkey -algorithm ed25519 -out key.pem)\n"
         "  --version               print the version and exit\n";
}

StatusOr<ControllerOptions> ParseControllerOptions(const std::vector<std::string>& args) {
  ControllerOptions o;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      std::string v;
      if (args[i] == "--help" || args[i] == "-h") {
        o.show_help = true;
      } else if (args[i] == "--version") {
        o.show_version = true;
      } else if (TakeValue(args, i, "--kubeconfig", v)) {
        o.kubeconfig = v;
      } else if (TakeValue(args, i, "--context", v)) {
        o.context = v;
      } else if (TakeValue(args, i, "--metrics-addr", v)) {
        o.metrics_addr = v;
      } else if (TakeValue(args, i, "--workers", v)) {
        o.workers = ParsePositiveInt("--workers", v);
      } else if (TakeValue(args, i, "--resync-seconds", v)) {
        o.resync_period = std::chrono::seconds(ParsePositiveInt("--resync-seconds", v));
      } else if (args[i] == "--leader-elect" || args[i] == "--leader-elect=true") {
        o.leader_elect = true;
      } else if (TakeValue(args, i, "--namespace", v)) {
        o.controller_namespace = v;
      } else if (TakeValue(args, i, "--leader-elect-namespace", v)) {
        o.leader_elect_namespace = v;
      } else if (TakeValue(args, i, "--leader-elect-id", v)) {
        o.leader_elect_id = v;
      } else if (TakeValue(args, i, "--leader-elect-lease-duration-seconds", v)) {
        o.lease_duration =
            std::chrono::seconds(ParsePositiveInt("--leader-elect-lease-duration-seconds", v));
      } else if (TakeValue(args, i, "--leader-elect-renew-deadline-seconds", v)) {
        o.renew_deadline =
            std::chrono::seconds(ParsePositiveInt("--leader-elect-renew-deadline-seconds", v));
      } else if (TakeValue(args, i, "--leader-elect-retry-period-seconds", v)) {
        o.retry_period =
            std::chrono::seconds(ParsePositiveInt("--leader-elect-retry-period-seconds", v));
      } else if (TakeValue(args, i, "--kube-api-qps", v)) {
        o.kube_api_qps = ParsePositiveInt("--kube-api-qps", v);
      } else if (TakeValue(args, i, "--kube-api-burst", v)) {
        o.kube_api_burst = ParsePositiveInt("--kube-api-burst", v);
      } else if (TakeValue(args, i, "--request-signing-key", v)) {
        o.request_signing_key = v;
      } else if (TakeValue(args, i, "--log-format", v)) {
        if (v != "text" && v != "json") {
          throw std::invalid_argument("--log-format: \"" + v + "\" is not one of text, json");
        }
        o.log_format = v;
      } else if (TakeValue(args, i, "--v", v) || TakeValue(args, i, "-v", v)) {
        o.verbosity = v == "0" ? 0 : ParsePositiveInt("--v", v);
      } else if (TakeValue(args, i, "--log-level", v)) {
        if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error") {
          throw std::invalid_argument("--log-level: \"" + v +
                                      "\" is not one of trace, debug, info, warn, error");
        }
        o.log_level = v;
      } else {
        throw std::invalid_argument("unknown flag \"" + args[i] + "\"");
      }
    }
  } catch (const std::invalid_argument& e) {
    return InvalidArgumentError(e.what());
  }
  // client-go refuses these too: a leader must give up before a standby may take over.
  if (o.leader_elect &&
      !(o.retry_period < o.renew_deadline && o.renew_deadline < o.lease_duration)) {
    return InvalidArgumentError(
        "leader election needs retry period < renew deadline < lease duration");
  }
  return o;
}

}  // namespace kcau::controller
