// Scale benchmark for kcau-sim and the controller's caches. Prints:
//   - load: how long kcau-sim takes to create N nodes and their pods, and the memory held;
//   - cache: heap bytes per pod held as the full object vs. as the controller's slimmed copy;
//   - list: objects per second through the HTTP API (one response, and pages of 500);
//   - watch: events per second replayed to a watch over HTTP.
// Figures only: nothing here passes or fails on time. Goals from the issues are printed next
// to the figures.
//
// Usage: scale_bench [--nodes N] [--pods-per-node P]   (default 5,000 nodes x 10 pods)
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "kube/informer.h"
#include "kube/rest_client.h"
#include "reconcilers/node_store.h"
#include "reconcilers/object_views.h"
#include "reconcilers/pod_store.h"
#include "sim/api_server.h"
#include "sim/node_simulator.h"
#include "sim/object_store.h"
#include "sim/store_client.h"

namespace {

using kcau::kube::Json;
namespace res = kcau::kube::resources;
using Seconds = std::chrono::duration<double>;

double ResidentMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024 * 1024);
}

size_t HeapInUse() { return mallinfo2().uordblks; }

double Since(std::chrono::steady_clock::time_point start) {
  return Seconds(std::chrono::steady_clock::now() - start).count();
}

// Heap bytes per object of holding `objects` as transformed by `keep`, in a map keyed as the
// informer's cache is.
double BytesPerObject(const std::vector<Json>& objects, Json (*keep)(const Json&)) {
  const size_t before = HeapInUse();
  {
    std::map<std::string, Json> cache;
    for (const auto& o : objects) {
      const auto& meta = o.at("metadata");
      cache[meta.at("namespace").as_string() + "/" + meta.at("name").as_string()] = keep(o);
    }
    const size_t held = HeapInUse() - before;
    return static_cast<double>(held) / objects.size();
  }
}

Json Identity(const Json& o) { return o; }

}  // namespace

// Heap the controller's cache of `resource` holds per object: the informer's handler feeding
// a `Store` that keeps the informer's keys and versions too (Informer::KeysKeptBy), as the
// controller sets them up (here listing the store in-process).
template <typename Store>
double CachedBytesPerObject(kcau::sim::ObjectStore& store, const kcau::kube::Resource& resource,
                            size_t objects) {
  kcau::sim::StoreClient in_process(store);
  const size_t before = HeapInUse();
  Store cache;
  kcau::kube::Informer informer(
      in_process, resource, "", {},
      [&](const std::string& type, const Json& object) { cache.Apply(type, object); });
  informer.KeysKeptBy(cache);
  informer.Start();
  while (!informer.HasSynced()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  informer.Stop();
  return static_cast<double>(HeapInUse() - before) / objects;
}

int main(int argc, char** argv) {
  int nodes = 5000;
  int pods_per_node = 10;  // 9 workload pods + 1 DaemonSet pod
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--nodes") nodes = std::atoi(argv[i + 1]);
    if (flag == "--pods-per-node") pods_per_node = std::atoi(argv[i + 1]);
  }
  if (nodes < 1 || pods_per_node < 1) {
    std::fprintf(stderr, "usage: scale_bench [--nodes N] [--pods-per-node P>=1]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  kcau::RealClock clock;

  // ---- load
  const double rss_before = ResidentMiB();
  kcau::sim::ObjectStore store(clock, 200000);
  kcau::sim::NodeSimulator simulator(store, clock,
                                     kcau::sim::DefaultScenario(nodes, pods_per_node - 1));
  auto started = std::chrono::steady_clock::now();
  if (auto s = simulator.Populate(); !s.ok()) {
    std::fprintf(stderr, "populate: %s\n", s.ToString().c_str());
    return 1;
  }
  const double load_s = Since(started);
  const double held_mib = ResidentMiB() - rss_before;
  const size_t pod_count = store.List(res::Pods(), "", {})->items.size();
  std::printf(
      "load:  %d nodes + %zu pods in %.2f s (goal < 10 s); resident +%.0f MiB "
      "(goal < 1024 MiB)\n",
      nodes, pod_count, load_s, held_mib);

  // ---- cache memory per pod (goal: well under 2 KiB)
  {
    const auto pods = store.List(res::Pods(), "", {})->items;
    const double full = BytesPerObject(pods, Identity);
    const double per_pod =
        CachedBytesPerObject<kcau::reconcilers::PodStore>(store, res::Pods(), pods.size());
    std::printf(
        "cache: %.0f bytes/pod as stored, %.0f bytes/pod in the controller (PodStore with the "
        "informer's keys; %.1fx smaller; goal < 2048)\n",
        full, per_pod, full / per_pod);
    const double per_node =
        CachedBytesPerObject<kcau::reconcilers::NodeStore>(store, res::Nodes(), nodes);
    std::printf("cache: %.0f bytes/node in the controller (NodeStore with the informer's keys)\n",
                per_node);
  }

  // ---- list and watch throughput over HTTP
  kcau::sim::ApiServerOptions options;
  options.port = kcau::sim::FindFreePort();
  kcau::sim::ApiServer server(store, clock, options);
  if (auto s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "server: %s\n", s.ToString().c_str());
    return 1;
  }
  kcau::kube::ClientConfig client_config;
  client_config.server = server.Url();
  client_config.qps = 1e6;  // measure the server, not the client's throttle
  client_config.burst = 1000000;
  auto client = kcau::kube::RestClient::Create(client_config);
  if (!client.ok()) return 1;
  for (int64_t limit : {int64_t{0}, int64_t{500}}) {
    kcau::kube::ListOptions list_options;
    list_options.limit = limit;
    started = std::chrono::steady_clock::now();
    auto list = (*client)->List(res::Pods(), "", list_options);
    const double s = Since(started);
    if (!list.ok()) return 1;
    std::printf("list:  %zu pods in %.2f s = %.0f objects/s (%s)\n", list->items.size(), s,
                list->items.size() / s, limit ? "pages of 500" : "one response");
  }
  {
    // Replay every pod creation to a watch from the beginning of history.
    started = std::chrono::steady_clock::now();
    auto watch = (*client)->Watch(res::Pods(), "", {}, "1");
    if (!watch.ok()) return 1;
    size_t events = 0;
    while (events < pod_count) {
      auto e = (*watch)->Next();
      if (!e.ok() || !e->has_value()) break;
      if ((*e)->type != "BOOKMARK") ++events;
    }
    const double s = Since(started);
    (*watch)->Stop();
    std::printf("watch: %zu events in %.2f s = %.0f events/s\n", events, s, events / s);
  }
  server.Stop();
  std::printf("peak resident: %.0f MiB\n", ResidentMiB());
  return 0;
}
