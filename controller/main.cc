// kcau-controller: reconciles UpdateRuns against the cluster in --kubeconfig (or the
// in-cluster service account), serving /metrics, /healthz and /readyz on --metrics-addr.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>

// After <utility>: boost asio, which it includes, needs std::exchange declared.
#include <pplx/threadpool.h>

#include "agent/request_signature.h"
#include "common/logging.h"
#include "common/stop_signals.h"
#include "common/thread_name.h"
#include "common/verbosity.h"
#include "controller/leader_election.h"
#include "controller/malloc_tuning.h"
#include "controller/options.h"
#include "controller/updaterun_controller.h"
#include "kube/kubeconfig.h"
#include "kube/rest_client.h"
#include "metrics/callback_collector.h"
#include "metrics/http_endpoint.h"
#include "metrics/kcau_metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/rest_client_metrics.h"

namespace {

std::string DefaultIdentity() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

// cpprestsdk's I/O threads (its default is 40): the informers' watches and the workers'
// requests wait on futures from their own threads, so a few suffice. They are made on main()'s
// thread, before any other: a thread starts at its creator's nice value, and these serve the
// nodes going back into service too, so they must not inherit a bulk thread's
// (common/thread_priority.h).
constexpr size_t kHttpThreads = 4;

int main(int argc, char** argv) {
  using namespace kcau;  // NOLINT: a main() in a .cc
  controller::StartWithSmallerThreadCaches(argv);
  controller::TuneArenas();
  crossplat::threadpool::initialize_with_threads(kHttpThreads);
  auto options =
      controller::ParseControllerOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::cerr << "kcau-controller: " << options.status().message() << "\n"
              << controller::ControllerUsage();
    return 2;
  }
  if (options->show_help) {
    std::cout << controller::ControllerUsage();
    return 0;
  }
  if (options->show_version) {
    std::cout << "kcau-controller " << KCAU_VERSION << "\n";
    return 0;
  }
  // Agents act only on requests signed with this key (docs/security.md): without it the
  // controller could not drive a single node, so it does not start.
  if (options->request_signing_key.empty()) {
    std::cerr << "kcau-controller: --request-signing-key FILE is required: every request to a "
                 "node agent is signed with it, and agents refuse unsigned ones. Make a key with\n"
                 "  openssl genpkey -algorithm ed25519 -out key.pem\n"
                 "and give the agents its public half:\n"
                 "  openssl pkey -in key.pem -pubout -out key.pub.pem\n";
    return 2;
  }
  auto signing_key = agent::RequestSigningKey::FromPemFile(options->request_signing_key);
  if (!signing_key.ok()) {
    std::cerr << "kcau-controller: --request-signing-key " << signing_key.status().message()
              << "\n";
    return 2;
  }
  if (Status logging =
          ConfigureLogging(options->log_format, options->log_level, {"kcau-controller", {}});
      !logging.ok()) {
    std::cerr << "kcau-controller: " << logging.message() << "\n";
    return 2;
  }
  SetVerbosity(options->verbosity);
  const StopSignals stop_signals;  // before any thread starts

  auto config = options->kubeconfig.empty()
                    ? kube::InClusterConfig()
                    : kube::LoadKubeconfig(options->kubeconfig, options->context);
  if (!config.ok()) {
    spdlog::error("cluster configuration: {}", config.status().message());
    return 1;
  }
  spdlog::info("kcau-controller {} talking to {}", KCAU_VERSION, kube::Describe(*config));
  config->qps = options->kube_api_qps;
  config->burst = options->kube_api_burst;
  config->user_agent = "kcau-controller/" KCAU_VERSION;
  auto registry = std::make_shared<prometheus::Registry>();
  metrics::RestClientMetrics rest_metrics(*registry);
  config->request_observer = &rest_metrics;
  auto client = kube::RestClient::Create(*config);
  if (!client.ok()) {
    spdlog::error("kubernetes client: {}", client.status().message());
    return 1;
  }

  RealClock clock;
  metrics::KcauMetrics kcau_metrics(*registry, KCAU_VERSION, "updaterun", options->workers);
  controller::UpdateRunController updateruns(**client, clock, &kcau_metrics, options->workers,
                                             options->resync_period, *signing_key,
                                             options->controller_namespace, options->hook_runner);
  updateruns.SetNodePhaseEvents(options->node_phase_events);
  // Read at each scrape: this process, and the informers' relists and watch restarts.
  auto scraped = std::make_shared<metrics::CallbackCollector>();
  metrics::AddProcessMetrics(*scraped);
  updateruns.AddInformerMetrics(*scraped);
  std::unique_ptr<controller::LeaderElector> elector;
  const char* env_pod = std::getenv("POD_NAME");
  const char* env_ns = std::getenv("POD_NAMESPACE");
  const std::string pod_name = !options->pod_name.empty() ? options->pod_name
                               : env_pod                  ? env_pod
                                                          : "";
  const std::string pod_ns = !options->pod_namespace.empty() ? options->pod_namespace
                             : env_ns                        ? env_ns
                                                             : "";
  if (!pod_name.empty() && !pod_ns.empty()) {
    std::function<void()> hand_over;
    if (options->leader_elect) {
      hand_over = [&] {
        // Give the lease up so a standby leads at once, then stop acting; the restarted
        // process campaigns again as a standby, and the new leader evicts this pod.
        elector->Stop();
        Status released = elector->Release();
        if (!released.ok()) spdlog::warn("releasing the leader lease: {}", released.ToString());
        spdlog::default_logger()->flush();
        std::_Exit(0);
      };
    }
    updateruns.SetOwnPod({pod_ns, pod_name}, hand_over);
  }
  std::atomic<bool> leading{!options->leader_elect};
  std::vector<metrics::ReadinessCheck> checks = {
      {"informers-synced", [&] { return updateruns.NotReadyReason(); }}};
  if (options->leader_elect) {
    checks.push_back(
        {"leader-election", [&] { return std::string(leading ? "leading" : "standby"); }, true});
  }
  metrics::MetricsServer server(options->metrics_addr, {registry, scraped}, std::move(checks));
  Status started = server.Start();
  if (!started.ok()) {
    spdlog::error("metrics endpoint: {}", started.message());
    return 1;
  }

  spdlog::info("serving /metrics, /healthz, /readyz on {}", options->metrics_addr);
  std::thread election;
  if (options->leader_elect) {
    controller::LeaderElectionConfig le;
    le.lease_namespace = options->leader_elect_namespace;
    le.identity = options->leader_elect_id.empty() ? DefaultIdentity() : options->leader_elect_id;
    le.lease_duration = options->lease_duration;
    le.renew_deadline = options->renew_deadline;
    le.retry_period = options->retry_period;
    elector = std::make_unique<controller::LeaderElector>(**client, clock, le);
    kcau_metrics.leader.Add({{"name", le.lease_name}}).Set(0);
    updateruns.StartInformers();
    election = std::thread([&, lease_name = le.lease_name] {
      NameThisThread("leader-elect");
      elector->Run(
          [&] {
            kcau_metrics.leader.Add({{"name", lease_name}}).Set(1);
            leading = true;
            updateruns.StartWorkers();
          },
          [] {
            // Another replica may be acting already: stop at once, as client-go does; the
            // restarted process campaigns again as a standby.
            spdlog::default_logger()->flush();
            std::_Exit(1);
          });
    });
  } else {
    updateruns.Start();
  }
  spdlog::info("signal {}: shutting down", stop_signals.Wait());
  if (elector) elector->Stop();
  updateruns.Stop();
  if (election.joinable()) election.join();
  if (elector) {
    Status released = elector->Release();
    if (!released.ok()) spdlog::warn("releasing the leader lease: {}", released.ToString());
  }
  server.Stop();
  // Everything that matters is stopped and released above. Ending here without running
  // destructors is deliberate: cpprestsdk's thread pool can still be running continuations
  // of the cancelled watches, and destroying the client under them crashed the process at
  // exit (a SEGV in the library's epoll reactor, seen under AddressSanitizer).
  spdlog::default_logger()->flush();
  std::_Exit(0);
}
