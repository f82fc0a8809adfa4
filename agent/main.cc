// kcau-agent: the node agent the privileged DaemonSet runs on every node. It answers the
// update, scan and hook requests the controller writes on its own Node (agent/protocol.h),
// acting only on those the controller signed for this node (docs/security.md), and serves
// /metrics, /healthz and /readyz on --metrics-addr.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "agent/agent_options.h"
#include "agent/chroot_host.h"
#include "agent/measured_plugin.h"
#include "agent/node_agent.h"
#include "agent/nsenter_host.h"
#include "agent/plugin.h"
#include "agent/plugins/packages_plugin.h"
#include "agent/plugins/reboot_required_plugin.h"
#include "agent/plugins/script_plugin.h"
#include "common/logging.h"
#include "common/stop_signals.h"
#include "common/verbosity.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "kube/rest_client.h"
#include "metrics/agent_metrics.h"
#include "metrics/callback_collector.h"
#include "metrics/http_endpoint.h"
#include "metrics/process_metrics.h"
#include "metrics/rest_client_metrics.h"

namespace {

using namespace kcau;  // NOLINT: a main() in a .cc

// Test hosts (kcau-sim's real agents): the boot ID is a file kcau-sim writes in the root, and
// a reboot is asked of kcau-sim by writing the kind to another; kcau-sim then stops this
// agent, boots the node anew and starts the agent again, as a real reboot does.
std::unique_ptr<agent::Host> MakeHost(const agent::AgentOptions& o, const Clock& clock) {
  if (o.test_root.empty()) return std::make_unique<agent::NsenterHost>(clock, o.host_mount);
  const std::string sim_dir = o.test_root + "/run/kcau-sim";
  return std::make_unique<agent::ChrootHost>(
      clock, o.test_root, sim_dir + "/boot_id", [sim_dir](agent::RebootKind kind) {
        std::ofstream out(sim_dir + "/reboot.tmp");
        out << agent::RebootKindName(kind) << "\n";
        out.close();
        if (!out || std::rename((sim_dir + "/reboot.tmp").c_str(), (sim_dir + "/reboot").c_str())) {
          return InternalError("asking kcau-sim to reboot: cannot write " + sim_dir + "/reboot");
        }
        return Status::Ok();
      });
}

}  // namespace

int main(int argc, char** argv) {
  auto options = agent::ParseAgentOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::cerr << "kcau-agent: " << options.status().message() << "\n" << agent::AgentUsage();
    return 2;
  }
  if (options->show_help) {
    std::cout << agent::AgentUsage();
    return 0;
  }
  if (options->show_version) {
    std::cout << "kcau-agent " << KCAU_VERSION << "\n";
    return 0;
  }
  auto keys = agent::RequestVerifyKeys::FromPemFile(options->request_verify_key);
  if (!keys.ok()) {
    std::cerr << "kcau-agent: --request-verify-key " << keys.status().message() << "\n";
    return 2;
  }
  // Every line names the node: a log pipeline gathers all the DaemonSet's pods' lines.
  if (Status logging = ConfigureLogging(options->log_format, options->log_level,
                                        {"kcau-agent", {{"node", options->node}}});
      !logging.ok()) {
    std::cerr << "kcau-agent: " << logging.message() << "\n";
    return 2;
  }
  SetVerbosity(options->verbosity);
  const StopSignals stop_signals;

  auto config = options->kubeconfig.empty()
                    ? kube::InClusterConfig()
                    : kube::LoadKubeconfig(options->kubeconfig, options->context);
  if (!config.ok()) {
    spdlog::error("cluster configuration: {}", config.status().message());
    return 1;
  }
  config->user_agent = "kcau-agent/" KCAU_VERSION;
  auto registry = std::make_shared<prometheus::Registry>();
  metrics::RestClientMetrics rest_metrics(*registry);
  config->request_observer = &rest_metrics;
  auto client = kube::RestClient::Create(*config);
  if (!client.ok()) {
    spdlog::error("kubernetes client: {}", client.status().message());
    return 1;
  }

  RealClock clock;
  std::unique_ptr<agent::Host> host = MakeHost(*options, clock);
  metrics::AgentMetrics agent_metrics(
      *registry, KCAU_VERSION,
      {agent::kPackagesPlugin, agent::kRebootRequiredPlugin, agent::kScriptPlugin});
  agent::NodeAgent node_agent(**client, options->node, *host, *keys,
                              agent::MeasuredPlugins(agent::MakePlugin, clock, agent_metrics),
                              options->state_dir, &agent_metrics);
  auto process = std::make_shared<metrics::CallbackCollector>();
  metrics::AddProcessMetrics(*process);

  std::atomic<bool> announced{false};
  metrics::MetricsServer server(
      options->metrics_addr, {registry, process},
      {{"announced", [&] { return std::string(announced ? "" : "version not announced yet"); }}});
  if (Status started = server.Start(); !started.ok()) {
    spdlog::error("metrics endpoint: {}", started.message());
    return 1;
  }

  // Its own Node only (a field selector): the agent needs nothing else from the cluster.
  kube::ListOptions own;
  own.field_selector = "metadata.name=" + options->node;
  kube::Informer informer(**client, kube::resources::Nodes(), "", own,
                          [&](const std::string&, const kube::Json&) { node_agent.Wake(); });
  informer.Start();
  std::thread worker([&] {
    while (!announced) {
      Status s = node_agent.Announce(KCAU_VERSION);
      if (s.ok()) {
        announced = true;
        break;
      }
      spdlog::warn("announcing kcau.io/agent-version on node {}: {}", options->node, s.ToString());
      clock.Sleep(std::chrono::seconds(2));
    }
    spdlog::info("kcau-agent {} on node {}", KCAU_VERSION, options->node);
    node_agent.Wake();  // answer what was asked while no agent ran (a restart, a reboot)
    node_agent.Run(std::chrono::seconds(30));
  });
  spdlog::info("signal {}: shutting down", stop_signals.Wait());
  node_agent.Stop();
  informer.Stop();
  worker.join();
  // Stopped above; ending without destructors is deliberate (see kcau-controller's main:
  // cpprestsdk's threads may still run continuations of the cancelled watch).
  spdlog::default_logger()->flush();
  std::_Exit(0);
}
