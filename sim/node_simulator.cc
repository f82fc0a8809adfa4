#include "sim/node_simulator.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <queue>
#include <random>

#include "agent/protocol.h"
#include "kube/resource.h"

namespace kcau::sim {

namespace {

using kube::Json;
namespace res = kube::resources;
using SteadyTime = std::chrono::steady_clock::time_point;

const kube::Resource kDaemonSets{"apps", "v1", "daemonsets", "DaemonSet", true};
const kube::Resource kReplicaSets{"apps", "v1", "replicasets", "ReplicaSet", true};

std::string RandomHex(int n) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += hex[rng() % 16];
  return s;
}

std::string NewBootId() {
  return RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" +
         RandomHex(12);
}

Json Condition(const std::string& type, bool status, const std::string& reason,
               const std::string& message, const std::string& now) {
  Json c = Json::object();
  c["type"] = Json::string(type);
  c["status"] = Json::string(status ? "True" : "False");
  c["reason"] = Json::string(reason);
  c["message"] = Json::string(message);
  c["lastHeartbeatTime"] = Json::string(now);
  c["lastTransitionTime"] = Json::string(now);
  return c;
}

Json NodeConditions(bool ready, const std::string& now, const std::string& ready_message) {
  Json conds = Json::array();
  conds[0] = Condition("MemoryPressure", false, "KubeletHasSufficientMemory",
                       "kubelet has sufficient memory available", now);
  conds[1] = Condition("DiskPressure", false, "KubeletHasNoDiskPressure",
                       "kubelet has no disk pressure", now);
  conds[2] = Condition("PIDPressure", false, "KubeletHasSufficientPID",
                       "kubelet has sufficient PID available", now);
  conds[3] =
      Condition("Ready", ready, ready ? "KubeletReady" : "KubeletNotReady", ready_message, now);
  return conds;
}

Json MakeNode(const std::string& name, int index, const std::string& now) {
  static const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  Json n = Json::object();
  n["apiVersion"] = Json::string("v1");
  n["kind"] = Json::string("Node");
  Json& meta = n["metadata"];
  meta["name"] = Json::string(name);
  meta["labels"]["kubernetes.io/hostname"] = Json::string(name);
  meta["labels"]["kubernetes.io/os"] = Json::string("linux");
  meta["labels"]["kubernetes.io/arch"] = Json::string("amd64");
  meta["labels"]["topology.kubernetes.io/zone"] = Json::string(zones[(index - 1) % 3]);
  meta["annotations"] = Json::object();
  n["spec"]["podCIDR"] = Json::string("10.244." + std::to_string(index) + ".0/24");
  Json& st = n["status"];
  st["conditions"] = NodeConditions(true, now, "kubelet is posting ready status");
  st["addresses"][0]["type"] = Json::string("InternalIP");
  st["addresses"][0]["address"] = Json::string("10.0.0." + std::to_string(10 + index));
  st["addresses"][1]["type"] = Json::string("Hostname");
  st["addresses"][1]["address"] = Json::string(name);
  for (const char* k : {"capacity", "allocatable"}) {
    st[k]["cpu"] = Json::string("4");
    st[k]["memory"] = Json::string("16365128Ki");
    st[k]["pods"] = Json::string("110");
    st[k]["ephemeral-storage"] = Json::string("102687672Ki");
  }
  Json& info = st["nodeInfo"];
  info["architecture"] = Json::string("amd64");
  info["bootID"] = Json::string(NewBootId());
  info["containerRuntimeVersion"] = Json::string("containerd://1.7.24");
  info["kernelVersion"] = Json::string("6.1.0-28-amd64");
  info["kubeProxyVersion"] = Json::string("v1.32.0");
  info["kubeletVersion"] = Json::string("v1.32.0");
  info["machineID"] = Json::string(RandomHex(32));
  info["operatingSystem"] = Json::string("linux");
  info["osImage"] = Json::string("Debian GNU/Linux 12 (bookworm)");
  info["systemUUID"] = Json::string(NewBootId());
  st["daemonEndpoints"]["kubeletEndpoint"]["Port"] = Json::number(10250);
  return n;
}

Json OwnerRef(const std::string& kind, const std::string& name, const std::string& uid) {
  Json o = Json::object();
  o["apiVersion"] = Json::string("apps/v1");
  o["kind"] = Json::string(kind);
  o["name"] = Json::string(name);
  o["uid"] = Json::string(uid);
  o["controller"] = Json::boolean(true);
  o["blockOwnerDeletion"] = Json::boolean(true);
  return o;
}

Json MakePod(const std::string& ns, const std::string& name, const std::string& app,
             const Json& owner, const std::string& node, const std::string& now) {
  Json p = Json::object();
  p["apiVersion"] = Json::string("v1");
  p["kind"] = Json::string("Pod");
  p["metadata"]["name"] = Json::string(name);
  p["metadata"]["namespace"] = Json::string(ns);
  p["metadata"]["labels"]["app"] = Json::string(app);
  p["metadata"]["ownerReferences"][0] = owner;
  p["spec"]["nodeName"] = Json::string(node);
  p["spec"]["containers"][0]["name"] = Json::string(app);
  p["spec"]["containers"][0]["image"] = Json::string("registry.k8s.io/pause:3.10");
  p["status"]["phase"] = Json::string("Running");
  p["status"]["conditions"][0]["type"] = Json::string("Ready");
  p["status"]["conditions"][0]["status"] = Json::string("True");
  p["status"]["startTime"] = Json::string(now);
  return p;
}

std::string Annotation(const Json& node, const char* key) {
  if (!node.has_object_field("metadata") || !node.at("metadata").has_object_field("annotations")) {
    return "";
  }
  const Json& a = node.at("metadata").at("annotations");
  return a.has_string_field(key) ? a.at(key).as_string() : "";
}

}  // namespace

struct NodeSimulator::Impl {
  struct Timer {
    SteadyTime due;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  ObjectStore& store;
  const Clock& clock;
  SimulationConfig config;
  std::string web_rs_uid;
  std::atomic<bool> stopping{false};
  std::thread thread;
  mutable std::mutex mu;
  std::map<std::string, int> reboots;           // guarded by mu
  std::map<std::string, std::string> answered;  // node -> last request token taken
  std::map<std::string, int> failures_left;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  uint64_t seq = 0;

  Impl(ObjectStore& s, const Clock& c, SimulationConfig cfg)
      : store(s), clock(c), config(std::move(cfg)), failures_left(config.fail_updates) {}

  std::string Now() const { return FormatRfc3339(clock.Now()); }

  void After(std::chrono::milliseconds d, std::function<void()> fn) {
    timers.push({std::chrono::steady_clock::now() + d, seq++, std::move(fn)});
  }

  void WriteResult(const std::string& node, const agent::AgentResult& r) {
    Json patch = Json::object();
    patch["metadata"]["annotations"][agent::kResultAnnotation] =
        Json::string(agent::EncodeAgentResult(r));
    auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false);
    if (!s.ok())
      spdlog::warn("sim: node {}: writing agent result: {}", node, s.status().ToString());
  }

  void SetReady(const std::string& node, bool ready, bool new_boot) {
    Json patch = Json::object();
    patch["status"]["conditions"] = NodeConditions(
        ready, Now(), ready ? "kubelet is posting ready status" : "node is rebooting");
    if (new_boot) patch["status"]["nodeInfo"]["bootID"] = Json::string(NewBootId());
    auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, true);
    if (!s.ok()) spdlog::warn("sim: node {}: status: {}", node, s.status().ToString());
  }

  void OnNode(const Json& node) {
    const std::string name = node.at("metadata").at("name").as_string();
    const std::string token = Annotation(node, agent::kRequestAnnotation);
    if (token.empty() || answered[name] == token) return;
    answered[name] = token;
    spdlog::info("sim: agent on {}: update requested ({})", name, token);
    WriteResult(name, {token, agent::AgentState::kInstalling, false, 0, ""});
    After(config.update_delay, [this, name, token] { Install(name, token); });
  }

  void Install(const std::string& node, const std::string& token) {
    if (failures_left[node] > 0) {
      --failures_left[node];
      spdlog::info("sim: agent on {}: update fails (injected)", node);
      WriteResult(node, {token, agent::AgentState::kFailed, false, 0,
                         "packages: dpkg returned an error code (1) (injected fault)"});
      return;
    }
    WriteResult(node, {token, agent::AgentState::kInstalled, true, config.updates_per_node, ""});
    spdlog::info("sim: agent on {}: {} updates installed, rebooting", node,
                 config.updates_per_node);
    SetReady(node, false, false);
    if (config.never_return.count(node)) {
      spdlog::info("sim: node {} never comes back (injected)", node);
      return;
    }
    After(config.reboot_delay, [this, node] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++reboots[node];
      }
      SetReady(node, true, true);
      spdlog::info("sim: node {} is back with a new boot ID", node);
    });
  }

  // A ReplicaSet puts an evicted pod back on a schedulable, Ready node.
  void OnPodDeleted(const Json& pod) {
    const auto& meta = pod.at("metadata");
    if (!meta.has_array_field("ownerReferences")) return;
    const Json& owner = meta.at("ownerReferences").at(0);
    if (owner.at("kind").as_string() != "ReplicaSet") return;
    After(config.pod_restart_delay, [this, pod] { Reschedule(pod); });
  }

  void Reschedule(const Json& old_pod) {
    auto nodes = store.List(res::Nodes(), "", {});
    auto pods = store.List(res::Pods(), "", {});
    if (!nodes.ok() || !pods.ok()) return;
    std::map<std::string, int> load;
    for (const auto& p : pods->items) {
      if (p.at("spec").has_string_field("nodeName"))
        ++load[p.at("spec").at("nodeName").as_string()];
    }
    std::string best;
    for (const auto& n : nodes->items) {
      const std::string name = n.at("metadata").at("name").as_string();
      const bool cordoned = n.at("spec").has_boolean_field("unschedulable") &&
                            n.at("spec").at("unschedulable").as_bool();
      bool ready = false;
      for (const auto& c : n.at("status").at("conditions").as_array()) {
        if (c.at("type").as_string() == "Ready") ready = c.at("status").as_string() == "True";
      }
      if (cordoned || !ready) continue;
      if (best.empty() || load[name] < load[best]) best = name;
    }
    if (best.empty()) {
      // Nowhere to go yet: try again, as the scheduler would keep the pod Pending.
      After(config.pod_restart_delay, [this, old_pod] { Reschedule(old_pod); });
      return;
    }
    const auto& meta = old_pod.at("metadata");
    const std::string app = meta.at("labels").at("app").as_string();
    Json pod = MakePod(meta.at("namespace").as_string(), app + "-" + RandomHex(5), app,
                       meta.at("ownerReferences").at(0), best, Now());
    auto s = store.Create(res::Pods(), meta.at("namespace").as_string(), pod);
    if (!s.ok()) spdlog::warn("sim: recreating pod: {}", s.status().ToString());
  }

  void Loop() {
    auto nodes = store.Watch(res::Nodes(), "", {}, "0");
    auto pods = store.Watch(res::Pods(), "", {}, std::to_string(store.CurrentResourceVersion()));
    if (!nodes.ok() || !pods.ok()) {
      spdlog::error("sim: cannot watch the store");
      return;
    }
    while (!stopping) {
      while (!timers.empty() && timers.top().due <= std::chrono::steady_clock::now()) {
        auto fn = timers.top().fn;
        timers.pop();
        fn();
      }
      bool any = false;
      while (auto e = (*nodes)->Pop(std::chrono::milliseconds(0))) {
        any = true;
        if (e->type != "DELETED") OnNode(e->object);
      }
      while (auto e = (*pods)->Pop(std::chrono::milliseconds(0))) {
        any = true;
        if (e->type == "DELETED") OnPodDeleted(e->object);
      }
      if (!any) {
        // Sleep until the next timer or 20 ms, whichever is first.
        auto wait = std::chrono::milliseconds(20);
        if (!timers.empty()) {
          auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
              timers.top().due - std::chrono::steady_clock::now());
          wait = std::max(std::chrono::milliseconds(0), std::min(wait, until));
        }
        std::this_thread::sleep_for(wait);
      }
    }
    store.StopWatch(*nodes);
    store.StopWatch(*pods);
  }
};

NodeSimulator::NodeSimulator(ObjectStore& store, const Clock& clock, SimulationConfig config)
    : impl_(std::make_unique<Impl>(store, clock, std::move(config))) {}

NodeSimulator::~NodeSimulator() { Stop(); }

Status NodeSimulator::Populate() {
  auto& s = impl_->store;
  const std::string now = impl_->Now();
  for (const char* ns : {"default", "kube-system", "web"}) {
    Json n = Json::object();
    n["metadata"]["name"] = Json::string(ns);
    n["status"]["phase"] = Json::string("Active");
    auto r = s.Create({"", "v1", "namespaces", "Namespace", false}, "", n);
    if (!r.ok()) return r.status();
  }
  for (int i = 1; i <= impl_->config.nodes; ++i) {
    auto r = s.Create(res::Nodes(), "", MakeNode(NodeName(i), i, now));
    if (!r.ok()) return r.status();
  }
  Json ds = Json::object();
  ds["metadata"]["name"] = Json::string("node-exporter");
  ds["spec"]["selector"]["matchLabels"]["app"] = Json::string("node-exporter");
  auto ds_created = s.Create(kDaemonSets, "kube-system", ds);
  if (!ds_created.ok()) return ds_created.status();
  Json rs = Json::object();
  rs["metadata"]["name"] = Json::string("web-7d9f8");
  rs["spec"]["replicas"] = Json::number(impl_->config.nodes * impl_->config.pods_per_node);
  rs["spec"]["selector"]["matchLabels"]["app"] = Json::string("web");
  auto rs_created = s.Create(kReplicaSets, "web", rs);
  if (!rs_created.ok()) return rs_created.status();
  const Json ds_owner =
      OwnerRef("DaemonSet", "node-exporter", ds_created->at("metadata").at("uid").as_string());
  const Json rs_owner =
      OwnerRef("ReplicaSet", "web-7d9f8", rs_created->at("metadata").at("uid").as_string());
  Json pdb = Json::object();
  pdb["metadata"]["name"] = Json::string("web");
  pdb["spec"]["maxUnavailable"] = Json::number(1);
  pdb["spec"]["selector"]["matchLabels"]["app"] = Json::string("web");
  auto pdb_created = s.Create(res::PodDisruptionBudgets(), "web", pdb);
  if (!pdb_created.ok()) return pdb_created.status();
  for (int i = 1; i <= impl_->config.nodes; ++i) {
    const std::string node = NodeName(i);
    auto r = s.Create(res::Pods(), "kube-system",
                      MakePod("kube-system", "node-exporter-" + RandomHex(5), "node-exporter",
                              ds_owner, node, now));
    if (!r.ok()) return r.status();
    for (int p = 0; p < impl_->config.pods_per_node; ++p) {
      auto w = s.Create(res::Pods(), "web",
                        MakePod("web", "web-7d9f8-" + RandomHex(5), "web", rs_owner, node, now));
      if (!w.ok()) return w.status();
    }
  }
  return Status::Ok();
}

void NodeSimulator::Start() {
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void NodeSimulator::Stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::map<std::string, int> NodeSimulator::Reboots() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->reboots;
}

}  // namespace kcau::sim
