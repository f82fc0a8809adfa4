#include "controller/options.h"

#include <set>
#include <stdexcept>

#include "crd/k8s_names.h"

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

// "--flag" or "--flag=true|false".
bool TakeSwitch(const std::string& arg, const std::string& flag, bool& value) {
  if (arg == flag || arg == flag + "=true") {
    value = true;
    return true;
  }
  if (arg == flag + "=false") {
    value = false;
    return true;
  }
  return false;
}

int64_t ParseUid(const std::string& flag, const std::string& text) {
  auto ranges = reconcilers::ParseUidRanges(text);
  if (!ranges.ok() || ranges->size() != 1 || (*ranges)[0].first != (*ranges)[0].last) {
    throw std::invalid_argument(flag + ": " + crd::Quoted(text) + " is not a uid");
  }
  return (*ranges)[0].first;
}

// "a,b" -> {a, b}; "" -> {}. The names are checked with the rest of the hook policy.
std::set<std::string> SplitNames(const std::string& text) {
  std::set<std::string> names;
  if (text.empty()) return names;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    names.insert(
        text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (comma == std::string::npos) return names;
    begin = comma + 1;
  }
}

}  // namespace

std::string ControllerUsage() {
  return "usage: kcau-controller [flags]\n"
         "  --kubeconfig PATH       kubeconfig to use (default: in-cluster service account)\n"
         "  --context NAME          kubeconfig context (default: current-context)\n"
         "  --metrics-addr ADDR     serve /metrics, /healthz, /readyz on ADDR (default\n"
         "                          127.0.0.1:8080, loopback only; :PORT for every interface)\n"
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
         "                          ConfigMaps (default kcau-system)\n"
         "  --hook-allowed-users LIST  uids hooks may run as (spec.hookRunner.runAsUser):\n"
         "                          uids and ranges, e.g. 1000-65535,70000 (default 1000-65535)\n"
         "  --hook-allow-root       let hooks run as uid 0 (default false; no range lets root in)\n"
         "  --hook-default-user UID uid of hooks whose run names none (default 65534); must\n"
         "                          be allowed\n"
         "  --hook-allowed-service-accounts LIST  service accounts a run may name for its\n"
         "                          hooks, comma-separated (default none: only the default)\n"
         "  --hook-default-service-account NAME  service account of hooks whose run names\n"
         "                          none (default none named: the agent's own)\n"
         "                          A run asking for a user or service account not allowed\n"
         "                          ends Failed (HookRunnerNotAllowed) before any node is "
         "touched.\n"
         "  --node-phase-events     an Event at every node phase change (NodeStatusNotification),\n"
         "                          node start and staged updates (default false: one Event\n"
         "                          per node outcome, plus warnings and installed updates)\n"
         "  --leader-elect          elect a leader on a Lease; only the leader acts\n"
         "  --leader-elect-namespace NS   the Lease's namespace (default kcau-system)\n"
         "  --leader-elect-id ID    this replica's identity (default hostname_pid)\n"
         "  --pod-namespace NS, --pod-name NAME\n"
         "                          this controller's own pod (default $POD_NAMESPACE,\n"
         "                          $POD_NAME): a drain moves it last, and hands the lead to\n"
         "                          another replica first (--leader-elect)\n"
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
      } else if (args[i] == "--node-phase-events" || args[i] == "--node-phase-events=true") {
        o.node_phase_events = true;
      } else if (args[i] == "--node-phase-events=false") {
        o.node_phase_events = false;
      } else if (args[i] == "--leader-elect" || args[i] == "--leader-elect=true") {
        o.leader_elect = true;
      } else if (TakeValue(args, i, "--hook-allowed-users", v)) {
        auto ranges = reconcilers::ParseUidRanges(v);
        if (!ranges.ok()) {
          throw std::invalid_argument("--hook-allowed-users: " + ranges.status().message());
        }
        o.hook_runner.allowed_users = *ranges;
      } else if (TakeSwitch(args[i], "--hook-allow-root", o.hook_runner.allow_root)) {
        // set by TakeSwitch
      } else if (TakeValue(args, i, "--hook-default-user", v)) {
        o.hook_runner.default_user = ParseUid("--hook-default-user", v);
      } else if (TakeValue(args, i, "--hook-allowed-service-accounts", v)) {
        o.hook_runner.allowed_service_accounts = SplitNames(v);
      } else if (TakeValue(args, i, "--hook-default-service-account", v)) {
        o.hook_runner.default_service_account = v;
      } else if (TakeValue(args, i, "--namespace", v)) {
        o.controller_namespace = v;
      } else if (TakeValue(args, i, "--leader-elect-namespace", v)) {
        o.leader_elect_namespace = v;
      } else if (TakeValue(args, i, "--leader-elect-id", v)) {
        o.leader_elect_id = v;
      } else if (TakeValue(args, i, "--pod-name", v)) {
        o.pod_name = v;
      } else if (TakeValue(args, i, "--pod-namespace", v)) {
        o.pod_namespace = v;
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
  if (Status policy = reconcilers::CheckHookRunnerPolicy(o.hook_runner); !policy.ok()) {
    return policy;
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
