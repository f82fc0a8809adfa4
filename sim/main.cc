// kcau-sim: a simulated Kubernetes cluster — an API server on loopback over an in-memory
// store, plus N simulated nodes whose agents install updates and reboot.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
// After <utility>: boost asio, which it includes, needs std::exchange declared.
#include <pplx/threadpool.h>

#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "common/stop_signals.h"
#include "sim/api_server.h"
#include "sim/audit_log.h"
#include "sim/crd_validation.h"
#include "sim/kubeconfig_file.h"
#include "sim/node_simulator.h"
#include "sim/real_agents.h"
#include "sim/scenario.h"
#include "sim/server_identity.h"

namespace {

constexpr char kUsage[] =
    "usage: kcau-sim [flags]\n"
    "  --scenario FILE.yaml      the cluster and faults to simulate (docs/sim.md); the flags\n"
    "                            below adjust it\n"
    "  --nodes N                 simulated nodes, without --scenario (default 3)\n"
    "  --listen HOST:PORT        where the API server listens (default 127.0.0.1:8001)\n"
    "  --write-kubeconfig PATH   write a kubeconfig for this cluster to PATH\n"
    "  --token TOKEN             require this bearer token (default: a random one)\n"
    "  --token-file PATH         require the token in PATH, re-read when it changes (rotation)\n"
    "  --insecure-http           plain HTTP and no token, for debugging with curl\n"
    "  --pods-per-node N         web pods per node, without --scenario (default 2)\n"
    "  --updates-per-node N      updates each node's agent installs (default 3)\n"
    "  --update-delay-ms MS      how long an update takes (default 1000)\n"
    "  --reboot-delay-ms MS      how long a reboot takes (default 2000)\n"
    "  --fail-update NODE:K      NODE's first K update attempts fail (repeatable)\n"
    "  --never-return NODE       NODE never comes back from its reboot (repeatable)\n"
    "  --fail-requests FRACTION  answer this fraction of API requests with an error\n"
    "  --fail-code CODES         the injected error: 500 (default), 429 (adds Retry-After),\n"
    "                            or a mix drawn at random per failure, e.g. 500,429\n"
    "  --cut-watches-every SECS  end every watch stream after SECS seconds\n"
    "  --bookmark-every MS       BOOKMARK events to watches that ask (default 60000)\n"
    "  --audit-log PATH          append every resource request to PATH, one JSON line each\n"
    "                            (user agent, RBAC verb, group, resource, namespace, name)\n"
    "  --state-file PATH         load the cluster from PATH if it exists; save it there on\n"
    "                            SIGTERM/SIGINT (an API server restart that keeps its state,\n"
    "                            its CA, certificates and token: old kubeconfigs still work)\n"
    "  --agent-verify-key FILE   the controller's PEM public key(s): the simulated agents act\n"
    "                            only on requests it signed (kcau-controller\n"
    "                            --request-signing-key); without it they refuse every request\n"
    "  --real-agents PATH        the kcau-agent binary: it answers for the scenario's nodes\n"
    "                            with `agent: real`, each in a root of its own (docs/sim.md)\n"
    "  --agent-roots DIR         where those nodes' roots, kubeconfigs and agent logs live\n"
    "  --agent-log-format FMT    the real agents' --log-format: text (default) or json\n";

struct Flags {
  std::string scenario_file;
  int nodes = 3;
  int pods_per_node = 2;
  // Adjustments to every node / named nodes, applied over the scenario.
  std::optional<int> updates_per_node;
  std::optional<int> update_delay_ms;
  std::optional<int> reboot_delay_ms;
  std::map<std::string, int> fail_updates;
  std::set<std::string> never_return;
  std::optional<double> fail_fraction_flag;
  std::optional<std::vector<int>> fail_codes_flag;
  std::optional<int> cut_watches_flag;
  int bookmark_ms = 60000;
  std::string state_file;
  std::string audit_log;
  std::string agent_verify_key;
  std::string real_agents;
  std::string agent_roots;
  std::string agent_log_format;
  std::string host = "127.0.0.1";
  int port = 8001;
  std::string kubeconfig;
  std::string token;
  std::string token_file;
  bool insecure_http = false;
};

int ParseInt(const std::string& flag, const std::string& v, int min) {
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || n < min) {
    throw std::invalid_argument(flag + ": \"" + v +
                                "\" is not an integer >= " + std::to_string(min));
  }
  return n;
}

// The CRDs in a saved state are served before its objects are loaded: their custom
// resources are among them.
kcau::Status ServeSavedCrds(kcau::sim::ObjectStore& store, const kcau::kube::Json& state) {
  if (!state.has_array_field("objects")) return kcau::Status::Ok();  // ImportState says why
  for (const auto& entry : state.at("objects").as_array()) {
    if (!entry.has_string_field("resource") || !entry.has_object_field("object") ||
        entry.at("resource").as_string() != "apiextensions.k8s.io/customresourcedefinitions") {
      continue;
    }
    if (kcau::Status served = kcau::sim::ServeCrd(store, entry.at("object")); !served.ok()) {
      return served;
    }
  }
  return kcau::Status::Ok();
}

Flags Parse(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + ": needs a value");
      return args[++i];
    };
    if (a == "--nodes") {
      f.nodes = ParseInt(a, value(), 1);
    } else if (a == "--scenario") {
      f.scenario_file = value();
    } else if (a == "--state-file") {
      f.state_file = value();
    } else if (a == "--audit-log") {
      f.audit_log = value();
    } else if (a == "--agent-verify-key") {
      f.agent_verify_key = value();
    } else if (a == "--real-agents") {
      f.real_agents = value();
    } else if (a == "--agent-roots") {
      f.agent_roots = value();
    } else if (a == "--agent-log-format") {
      f.agent_log_format = value();
      if (f.agent_log_format != "text" && f.agent_log_format != "json") {
        throw std::invalid_argument("--agent-log-format: \"" + f.agent_log_format +
                                    "\" is not one of text, json");
      }
    } else if (a == "--bookmark-every") {
      f.bookmark_ms = ParseInt(a, value(), 1);
    } else if (a == "--listen") {
      const std::string v = value();
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--listen: expected HOST:PORT");
      f.host = v.substr(0, colon);
      f.port = ParseInt(a, v.substr(colon + 1), 1);
    } else if (a == "--write-kubeconfig") {
      f.kubeconfig = value();
    } else if (a == "--token") {
      f.token = value();
    } else if (a == "--token-file") {
      f.token_file = value();
    } else if (a == "--insecure-http") {
      f.insecure_http = true;
    } else if (a == "--pods-per-node") {
      f.pods_per_node = ParseInt(a, value(), 0);
    } else if (a == "--updates-per-node") {
      f.updates_per_node = ParseInt(a, value(), 0);
    } else if (a == "--update-delay-ms") {
      f.update_delay_ms = ParseInt(a, value(), 0);
    } else if (a == "--reboot-delay-ms") {
      f.reboot_delay_ms = ParseInt(a, value(), 0);
    } else if (a == "--fail-update") {
      const std::string v = value();
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--fail-update: expected NODE:K");
      f.fail_updates[v.substr(0, colon)] = ParseInt(a, v.substr(colon + 1), 1);
    } else if (a == "--fail-requests") {
      const std::string v = value();
      char* end = nullptr;
      f.fail_fraction_flag = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || *f.fail_fraction_flag < 0 ||
          *f.fail_fraction_flag > 1) {
        throw std::invalid_argument("--fail-requests: \"" + v + "\" is not a fraction in [0, 1]");
      }
    } else if (a == "--fail-code") {
      auto codes = kcau::sim::ParseFailCodes(value());
      if (!codes.ok()) throw std::invalid_argument(codes.status().message());
      f.fail_codes_flag = *codes;
    } else if (a == "--cut-watches-every") {
      f.cut_watches_flag = ParseInt(a, value(), 1);
    } else if (a == "--never-return") {
      f.never_return.insert(value());
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown flag \"" + a + "\"");
    }
  }
  return f;
}

// The scenario file (or the default one the flags describe), with the flags' adjustments.
kcau::StatusOr<kcau::sim::Scenario> BuildScenario(const Flags& f) {
  kcau::sim::Scenario scenario = kcau::sim::DefaultScenario(f.nodes, f.pods_per_node);
  if (!f.scenario_file.empty()) {
    auto loaded = kcau::sim::LoadScenario(f.scenario_file);
    if (!loaded.ok()) return loaded.status();
    scenario = std::move(*loaded);
  }
  std::set<std::string> names;
  for (auto& node : scenario.nodes) {
    names.insert(node.name);
    if (f.updates_per_node) {
      for (auto& [plugin, count] : node.updates) count = *f.updates_per_node;
    }
    if (f.update_delay_ms) node.update_duration = std::chrono::milliseconds(*f.update_delay_ms);
    if (f.reboot_delay_ms) node.reboot_duration = std::chrono::milliseconds(*f.reboot_delay_ms);
    if (f.fail_updates.count(node.name)) {
      if (node.agent == kcau::sim::AgentKind::kReal) {
        return kcau::InvalidArgumentError("--fail-update: node " + node.name +
                                          " has a real agent, which runs the real plug-ins");
      }
      node.fail_updates = f.fail_updates.at(node.name);
    }
    if (f.never_return.count(node.name)) node.never_returns = true;
  }
  for (const auto& [node, k] : f.fail_updates) {
    if (!names.count(node)) return kcau::InvalidArgumentError("--fail-update: no node " + node);
  }
  for (const auto& node : f.never_return) {
    if (!names.count(node)) return kcau::InvalidArgumentError("--never-return: no node " + node);
  }
  if (f.fail_fraction_flag) scenario.api.fail_fraction = *f.fail_fraction_flag;
  if (f.fail_codes_flag) scenario.api.fail_codes = *f.fail_codes_flag;
  if (f.cut_watches_flag) scenario.api.cut_watches_seconds = *f.cut_watches_flag;
  return scenario;
}

// The nodes whose agent is the real kcau-agent: the flags it needs must be there and usable.
kcau::StatusOr<std::vector<std::string>> RealAgentNodes(const Flags& f,
                                                        const kcau::sim::Scenario& scenario) {
  std::vector<std::string> real;
  for (const auto& node : scenario.nodes) {
    if (node.agent == kcau::sim::AgentKind::kReal) real.push_back(node.name);
  }
  if (real.empty()) {
    if (!f.real_agents.empty())
      spdlog::warn("--real-agents: no node of the scenario has agent: real");
    return real;
  }
  const std::string which =
      "node " + real.front() +
      (real.size() > 1 ? " (and " + std::to_string(real.size() - 1) + " more)" : "") +
      " has agent: real";
  if (f.real_agents.empty()) {
    return kcau::InvalidArgumentError(which + ": give --real-agents PATH (the kcau-agent binary)");
  }
  if (access(f.real_agents.c_str(), X_OK) != 0) {
    return kcau::InvalidArgumentError("--real-agents " + f.real_agents +
                                      ": not an executable file");
  }
  if (f.agent_roots.empty()) {
    return kcau::InvalidArgumentError(which + ": give --agent-roots DIR (where their roots live)");
  }
  if (f.agent_verify_key.empty()) {
    return kcau::InvalidArgumentError(
        which + ": give --agent-verify-key FILE (kcau-agent acts only on signed requests)");
  }
  std::error_code ec;
  std::filesystem::create_directories(f.agent_roots, ec);
  if (ec) return kcau::InvalidArgumentError("--agent-roots " + f.agent_roots + ": " + ec.message());
  if (geteuid() != 0) {
    spdlog::warn(
        "kcau-sim runs as uid {}: the real agents cannot chroot to run hooks and "
        "scripts (run it as root)",
        geteuid());
  }
  return real;
}

// Each real agent's root, with the boot ID its Node has now (new, or from --state-file).
// `real_nodes`: node -> its scenario (the files it puts in its root, its root template).
kcau::Status PrepareRealAgentRoots(kcau::sim::RealAgents& agents,
                                   const kcau::sim::ObjectStore& store,
                                   const std::map<std::string, kcau::sim::NodeScenario>& real_nodes,
                                   bool state_loaded) {
  for (const auto& [node, scenario] : real_nodes) {
    auto object = store.Get(kcau::kube::resources::Nodes(), {"", node});
    if (!object.ok()) return object.status();
    const std::string boot_id = object->at("status").at("nodeInfo").at("bootID").as_string();
    if (kcau::Status s =
            agents.PrepareRoot(node, scenario.files, boot_id, state_loaded, scenario.root_template);
        !s.ok()) {
      return kcau::Status(s.code(), "node " + node + ": " + s.message());
    }
  }
  return kcau::Status::Ok();
}

// cpprestsdk's I/O threads (its default is 40). Requests are handled once their bodies have
// arrived and each watch streams from a thread of its own (api_server.h), so no handler holds
// a pool thread waiting: a few keep two cores busy.
constexpr size_t kHttpThreads = 4;

}  // namespace

int main(int argc, char** argv) {
  crossplat::threadpool::initialize_with_threads(kHttpThreads);
  Flags flags;
  try {
    flags = Parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& e) {
    std::cerr << "kcau-sim: " << e.what() << "\n" << kUsage;
    return 2;
  }
  const kcau::StopSignals stop_signals;  // before any thread starts

  kcau::RealClock clock;
  kcau::sim::ObjectStore store(clock);
  if (kcau::Status crd =
          kcau::sim::InstallCrdValidation(store, kcau::sim::BuiltinUpdateRunCrdYaml());
      !crd.ok()) {
    spdlog::error("built-in UpdateRun CRD: {}", crd.ToString());
    return 1;
  }
  auto scenario = BuildScenario(flags);
  if (!scenario.ok()) {
    spdlog::error("{}", scenario.status().message());
    return 2;
  }
  kcau::agent::RequestVerifyKeys verify_keys;
  if (!flags.agent_verify_key.empty()) {
    auto loaded = kcau::agent::RequestVerifyKeys::FromPemFile(flags.agent_verify_key);
    if (!loaded.ok()) {
      spdlog::error("--agent-verify-key {}", loaded.status().message());
      return 2;
    }
    verify_keys = std::move(*loaded);
  } else {
    spdlog::warn(
        "no --agent-verify-key: the simulated agents refuse every request (they act only on "
        "requests the controller signed)");
  }
  const size_t node_count = scenario->nodes.size();
  const kcau::sim::ApiFaults api_faults = scenario->api;
  auto real_nodes = RealAgentNodes(flags, *scenario);
  if (!real_nodes.ok()) {
    spdlog::error("{}", real_nodes.status().message());
    return 2;
  }
  std::unique_ptr<kcau::sim::RealAgents> real_agents;
  if (!real_nodes->empty()) {
    real_agents = std::make_unique<kcau::sim::RealAgents>(
        kcau::sim::RealAgentOptions{flags.real_agents, flags.agent_roots, flags.agent_verify_key,
                                    flags.agent_log_format},
        *real_nodes);
  }
  std::map<std::string, kcau::sim::NodeScenario> real_node_scenarios;
  for (const auto& node : scenario->nodes) {
    if (node.agent == kcau::sim::AgentKind::kReal) real_node_scenarios[node.name] = node;
  }
  kcau::sim::NodeSimulator nodes(store, clock, std::move(*scenario), std::move(verify_keys),
                                 real_agents.get());
  std::ifstream saved(flags.state_file);
  const bool state_loaded = !flags.state_file.empty() && saved.is_open();
  kcau::sim::ServerIdentity saved_identity;  // the CA, certificates and token it served with
  if (state_loaded) {
    std::stringstream text;
    text << saved.rdbuf();
    kcau::Status loaded = kcau::InvalidArgumentError("not JSON");
    try {
      const auto state = kcau::kube::Json::parse(text.str());
      auto identity = kcau::sim::ServerIdentityFromState(state);
      loaded = identity.ok() ? ServeSavedCrds(store, state) : identity.status();
      if (loaded.ok()) loaded = store.ImportState(state);
      if (loaded.ok()) saved_identity = std::move(*identity);
    } catch (const std::exception& e) {
      loaded = kcau::InvalidArgumentError(e.what());
    }
    if (!loaded.ok()) {
      spdlog::error("--state-file {}: {}", flags.state_file, loaded.message());
      return 1;
    }
    spdlog::info("kcau-sim: state loaded from {} (resourceVersion {})", flags.state_file,
                 store.CurrentResourceVersion());
  } else if (kcau::Status populated = nodes.Populate(); !populated.ok()) {
    spdlog::error("populating the cluster: {}", populated.ToString());
    return 1;
  }
  if (real_agents) {
    if (kcau::Status prepared =
            PrepareRealAgentRoots(*real_agents, store, real_node_scenarios, state_loaded);
        !prepared.ok()) {
      spdlog::error("{}", prepared.message());
      return 1;
    }
  }
  kcau::sim::ApiServerOptions options{
      flags.host, flags.port, flags.token,
      api_faults.cut_watches_seconds > 0 ? api_faults.cut_watches_seconds : 1800, std::nullopt};
  options.bookmark_interval = std::chrono::milliseconds(flags.bookmark_ms);
  options.bearer_token_file = flags.token_file;
  options.audit_log = flags.audit_log;
  if (!flags.token_file.empty()) {
    std::ifstream in(flags.token_file);
    if (!(in >> options.bearer_token)) {
      spdlog::error("--token-file {}: cannot read a token from it", flags.token_file);
      return 1;
    }
  }
  if (real_agents) {
    for (const auto& [token, node] : real_agents->Tokens()) {
      options.client_tokens[token] = {kcau::sim::kAgentUser, node};
    }
  }
  options.fail_fraction = api_faults.fail_fraction;
  options.fail_codes = api_faults.fail_codes;
  if (!flags.insecure_http) {
    // Like a real cluster: HTTPS with a CA the kubeconfig carries, and a bearer token; both
    // kept across a --state-file restart, so clients configured before it still connect.
    auto tls = kcau::sim::ServingTls(saved_identity.tls, clock.Now());
    if (!tls.ok()) {
      spdlog::error("{}: {}", saved_identity.tls ? "--state-file " + flags.state_file : "TLS",
                    tls.status().message());
      return 1;
    }
    options.tls = *tls;
    if (options.bearer_token.empty()) {
      options.bearer_token = saved_identity.bearer_token.empty() ? kcau::sim::RandomBearerToken()
                                                                 : saved_identity.bearer_token;
    }
  }
  kcau::sim::ApiServer server(store, clock, options);
  kcau::Status started = server.Start();
  if (!started.ok()) {
    spdlog::error("{}", started.message());
    return 1;
  }
  const std::string ca_pem = options.tls ? options.tls->ca_cert_pem : "";
  if (real_agents) {
    if (kcau::Status written = real_agents->WriteKubeconfigs(server.Url(), ca_pem); !written.ok()) {
      spdlog::error("{}", written.message());
      return 1;
    }
  }
  if (!flags.kubeconfig.empty() &&
      !kcau::sim::WriteKubeconfig(flags.kubeconfig, server.Url(), options.bearer_token, ca_pem)) {
    spdlog::error("cannot write kubeconfig {}", flags.kubeconfig);
    return 1;
  }
  nodes.OnKubeletWrite([&server](const std::string& node, bool ready,
                                 const std::string& new_boot_id, kcau::TimePoint made) {
    server.RecordAudit(kcau::sim::KubeletStatusEntry(node, ready, new_boot_id, made));
  });
  nodes.OnAgentResult(
      [&server](const std::string& node, const kcau::agent::AgentResult& r, kcau::TimePoint made) {
        server.RecordAudit(kcau::sim::AgentResultEntry(node, kcau::agent::AgentStateName(r.state),
                                                       r.reboot_required, made));
      });
  nodes.Start();
  spdlog::info("kcau-sim listening on {} with {} nodes", server.Url(), node_count);
  spdlog::info("kcau-sim: signal {}, stopping", stop_signals.Wait());
  nodes.Stop();
  // The real agents go first (SIGTERM, then SIGKILL after 5 s): the _Exit below runs no
  // destructor, RealAgents' included.
  if (real_agents) real_agents->StopAll(std::chrono::seconds(5));
  // Quiesced, not stopped: see ApiServer::Quiesce. The _Exit below ends the listener.
  if (!server.Quiesce()) spdlog::warn("kcau-sim: some answers were still unsent after 5 s");
  if (!flags.state_file.empty()) {
    // Written whole to a temporary file, then renamed: a crash never leaves half a state.
    // Only its owner may read it: it holds the CA's key and the bearer token.
    const std::string tmp = flags.state_file + ".tmp";
    kcau::kube::Json state = store.ExportState();
    // A token from --token-file is the file's to keep, not the state's.
    state["server"] = kcau::sim::ServerIdentityToJson(
        {options.tls, flags.token_file.empty() ? options.bearer_token : ""});
    {
      std::ofstream out(tmp);
      std::error_code ignored;  // a file that could not be made fails the write below
      std::filesystem::permissions(
          tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ignored);
      out << state.serialize();
      if (!out) {
        spdlog::error("--state-file {}: cannot write", tmp);
        return 1;
      }
    }
    std::rename(tmp.c_str(), flags.state_file.c_str());
    spdlog::info("kcau-sim: state saved to {}", flags.state_file);
  }
  // Everything is saved. Ending without destructors is deliberate: the listener is still open
  // (ApiServer::Quiesce), and cpprestsdk's thread pool may still be serving its connections.
  spdlog::default_logger()->flush();
  std::_Exit(0);
}
