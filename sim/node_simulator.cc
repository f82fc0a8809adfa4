#include "sim/node_simulator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "agent/protocol.h"
#include "kube/resource.h"
#include "sim/agent_root.h"
#include "sim/real_agents.h"

namespace kcau::sim {

namespace {

using kube::Json;
namespace res = kube::resources;
using SteadyTime = std::chrono::steady_clock::time_point;

const kube::Resource kDaemonSets{"apps", "v1", "daemonsets", "DaemonSet", true};
const kube::Resource kReplicaSets{"apps", "v1", "replicasets", "ReplicaSet", true};
const kube::Resource kDeployments{"apps", "v1", "deployments", "Deployment", true};
const kube::Resource kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet", true};

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

Json NodeConditions(bool ready, const std::string& now, const std::string& ready_message,
                    bool disk_pressure = false) {
  Json conds = Json::array();
  conds[0] = Condition("MemoryPressure", false, "KubeletHasSufficientMemory",
                       "kubelet has sufficient memory available", now);
  conds[1] = disk_pressure ? Condition("DiskPressure", true, "KubeletHasDiskPressure",
                                       "kubelet has disk pressure", now)
                           : Condition("DiskPressure", false, "KubeletHasNoDiskPressure",
                                       "kubelet has no disk pressure", now);
  conds[2] = Condition("PIDPressure", false, "KubeletHasSufficientPID",
                       "kubelet has sufficient PID available", now);
  conds[3] =
      Condition("Ready", ready, ready ? "KubeletReady" : "KubeletNotReady", ready_message, now);
  return conds;
}

Json MakeNode(const NodeScenario& spec, int index, const std::string& now) {
  Json n = Json::object();
  n["apiVersion"] = Json::string("v1");
  n["kind"] = Json::string("Node");
  Json& meta = n["metadata"];
  const std::string& name = spec.name;
  meta["name"] = Json::string(name);
  meta["labels"]["kubernetes.io/hostname"] = Json::string(name);
  meta["labels"]["kubernetes.io/os"] = Json::string("linux");
  meta["labels"]["kubernetes.io/arch"] = Json::string("amd64");
  if (!spec.zone.empty()) meta["labels"]["topology.kubernetes.io/zone"] = Json::string(spec.zone);
  for (const auto& [k, v] : spec.labels) meta["labels"][k] = Json::string(v);
  meta["annotations"] = Json::object();
  // A real agent says so itself when it starts (kcau-agent announces its version).
  if (!spec.no_agent && spec.agent == AgentKind::kSimulated) {
    meta["annotations"][agent::kAgentVersionAnnotation] = Json::string(spec.agent_version);
  }
  if (spec.control_plane) {
    meta["labels"]["node-role.kubernetes.io/control-plane"] = Json::string("");
    Json taint = Json::object();
    taint["key"] = Json::string("node-role.kubernetes.io/control-plane");
    taint["effect"] = Json::string("NoSchedule");
    n["spec"]["taints"] = Json::array({taint});
  }
  n["spec"]["podCIDR"] = Json::string("10.244." + std::to_string(index % 256) + ".0/24");
  Json& st = n["status"];
  st["conditions"] =
      NodeConditions(true, now, "kubelet is posting ready status", spec.disk_pressure);
  st["addresses"][0]["type"] = Json::string("InternalIP");
  st["addresses"][0]["address"] =
      Json::string("10.0." + std::to_string(index / 250) + "." + std::to_string(10 + index % 250));
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

bool NodeIsReady(const Json& node) {
  if (!node.has_object_field("status") || !node.at("status").has_array_field("conditions")) {
    return false;
  }
  for (const auto& c : node.at("status").at("conditions").as_array()) {
    if (c.at("type").as_string() == "Ready") return c.at("status").as_string() == "True";
  }
  return false;
}

bool IsControlPlane(const Json& node) {
  return node.at("metadata").has_object_field("labels") &&
         node.at("metadata").at("labels").has_field("node-role.kubernetes.io/control-plane");
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

// The label failbackMode Policy selects: pods that want to spread back onto updated nodes.
constexpr char kFailbackLabel[] = "kcau.io/failback";

Json MakePod(const std::string& ns, const std::string& name, const std::string& app,
             const Json& owner, const std::string& node, const std::string& now,
             bool failback = false) {
  Json p = Json::object();
  p["apiVersion"] = Json::string("v1");
  p["kind"] = Json::string("Pod");
  p["metadata"]["name"] = Json::string(name);
  p["metadata"]["namespace"] = Json::string(ns);
  p["metadata"]["labels"]["app"] = Json::string(app);
  if (failback) p["metadata"]["labels"][kFailbackLabel] = Json::string("true");
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

// Pods of a workload are named owner-<5 random hex>, as generateName does; with 50,000 pods
// names do collide, and like a controller we then try another suffix.
StatusOr<Json> CreateGeneratedPod(ObjectStore& store, const std::string& ns,
                                  const std::string& prefix, const std::string& app,
                                  const Json& owner, const std::string& node,
                                  const std::string& now, bool failback = false) {
  for (int attempt = 0;; ++attempt) {
    auto created = store.Create(
        res::Pods(), ns, MakePod(ns, prefix + RandomHex(5), app, owner, node, now, failback));
    if (created.ok() || created.status().code() != StatusCode::kAlreadyExists || attempt == 9) {
      return created;
    }
  }
}

// A string of status.nodeInfo ("osImage", "bootID"); empty when the Node has none.
std::string NodeInfoField(const Json& node, const char* field) {
  if (!node.has_object_field("status") || !node.at("status").has_object_field("nodeInfo")) {
    return "";
  }
  const Json& info = node.at("status").at("nodeInfo");
  return info.has_string_field(field) ? info.at(field).as_string() : "";
}

std::string OsImage(const Json& node) { return NodeInfoField(node, "osImage"); }

// The simulated node's record of the plug-ins whose updates it installed.
constexpr char kInstalledAnnotation[] = "sim.kcau.io/installed-plugins";
// The simulated agent's record of every request token it acted on (a JSON array), so that
// a replayed request is not acted on again after a kcau-sim restart either.
constexpr char kTakenAnnotation[] = "sim.kcau.io/taken-requests";

// The Ready condition's message while a node reboots; a node left with it by a previous
// kcau-sim (--state-file) is taken as still rebooting.
constexpr char kRebootingMessage[] = "node is rebooting";
// How long a crashed real agent stays down before it is started again.
constexpr std::chrono::milliseconds kAgentRestartDelay{1000};

std::string ReadyMessage(const Json& node) {
  if (!node.has_object_field("status") || !node.at("status").has_array_field("conditions")) {
    return "";
  }
  for (const auto& c : node.at("status").at("conditions").as_array()) {
    if (c.at("type").as_string() == "Ready" && c.has_string_field("message")) {
      return c.at("message").as_string();
    }
  }
  return "";
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
  const Scenario scenario;
  const agent::RequestVerifyKeys verify_keys;
  std::map<std::string, NodeScenario> nodes;  // by name
  std::atomic<bool> stopping{false};
  std::thread thread;
  mutable std::mutex mu;
  std::map<std::string, int> reboots;           // guarded by mu
  std::map<std::string, std::string> answered;  // node -> last request token taken
  std::map<std::string, int> failures_left;
  std::set<std::string> booting;                     // nodes with a Boot pending
  std::map<std::string, bool> extras_pending;        // node -> updatesAfterReboot not taken yet
  std::map<std::string, std::string> hook_answered;  // node -> last hook token taken
  std::set<std::string> os_upgrading;                // nodes rebooting into a new OS image
  // node -> the re-scan round its agent took itself after a reboot (the request's
  // kRescanRequestAnnotation) and the result of the round before it, which the re-scan
  // round's results carry (AgentResult::previous).
  std::map<std::string, std::pair<std::string, agent::AgentResult>> rescan_rounds;
  std::map<std::string, std::string> boot_ids;  // node -> its boot ID, as last read or set
  std::string rolled_to;                        // the agent version the DaemonSet last rolled to
  std::vector<Json> to_place;                   // evicted pods whose replacement is due
  // Workers a replacement pod may go to (not cordoned, Ready, not control plane), kept from
  // the node watch so that placing a burst looks at no node that did not change.
  std::set<std::string> schedulable;
  SteadyTime next_placement{};
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  uint64_t seq = 0;
  // node -> request tokens (update and hook) its agent acted on since this kcau-sim started
  std::map<std::string, std::set<std::string>> taken;
  RealAgents* const real_agents;                 // null: every agent is simulated
  std::map<std::string, SteadyTime> restart_at;  // real agents to start again, and when
  SteadyTime next_agent_poll{};
  KubeletWriteObserver kubelet_observer;  // set before the thread starts
  AgentResultObserver agent_observer;     // set before the thread starts

  Impl(ObjectStore& s, const Clock& c, Scenario sc, agent::RequestVerifyKeys keys, RealAgents* real)
      : store(s),
        clock(c),
        scenario(std::move(sc)),
        verify_keys(std::move(keys)),
        real_agents(real) {
    for (const auto& n : scenario.nodes) {
      nodes[n.name] = n;
      failures_left[n.name] = n.fail_updates;
    }
  }

  std::string Now() const { return FormatRfc3339(clock.Now()); }

  void After(std::chrono::milliseconds d, std::function<void()> fn) {
    timers.push({std::chrono::steady_clock::now() + d, seq++, std::move(fn)});
  }

  // A node's boot ID: what the simulated kubelet last set, else what its Node says.
  std::string BootIdOf(const std::string& node) {
    auto known = boot_ids.find(node);
    if (known != boot_ids.end()) return known->second;
    auto current = store.Get(res::Nodes(), {"", node});
    if (!current.ok()) return "";
    return boot_ids[node] = NodeInfoField(*current, "bootID");
  }

  // `records`: the simulated host's own records (annotation -> value) that change with this
  // result, written in the same patch: a real agent keeps them on its disk, so they cost the
  // cluster no Node write of their own (and each write is a watch event for every client).
  void WriteResult(const std::string& node, const agent::AgentResult& r,
                   const std::map<std::string, std::string>& records = {}) {
    agent::AgentResult written = r;
    written.boot_id = BootIdOf(node);
    const auto rescan = rescan_rounds.find(node);
    if (rescan != rescan_rounds.end() && rescan->second.first == r.token) {
      written.previous = {rescan->second.second};
    }
    Json patch = Json::object();
    patch["metadata"]["annotations"][agent::kResultAnnotation] =
        Json::string(agent::EncodeAgentResult(written));
    for (const auto& [annotation, value] : records) {
      patch["metadata"]["annotations"][annotation] = Json::string(value);
    }
    const TimePoint made = clock.Now();
    auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false);
    if (!s.ok()) {
      spdlog::warn("sim: node {}: writing agent result: {}", node, s.status().ToString());
    } else if (agent_observer) {
      agent_observer(node, written, made);
    }
  }

  // `boot_id`: the node booted anew with this ID; empty: the same boot.
  void SetReady(const std::string& node, bool ready, const std::string& boot_id,
                const std::string& why) {
    Json patch = Json::object();
    patch["status"]["conditions"] = NodeConditions(ready, Now(), why, nodes[node].disk_pressure);
    if (!boot_id.empty()) {
      patch["status"]["nodeInfo"]["bootID"] = Json::string(boot_id);
      boot_ids[node] = boot_id;
    }
    const TimePoint made = clock.Now();
    auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, true);
    if (!s.ok()) {
      spdlog::warn("sim: node {}: status: {}", node, s.status().ToString());
    } else if (kubelet_observer) {
      kubelet_observer(node, ready, boot_id, made);
    }
  }

  // What one request asks of a node's agent, worked out when it arrives.
  struct Job {
    std::vector<std::string> ran;  // plug-ins that run (in order)
    int updates = 0;               // updates they find (not yet installed ones only)
    bool takes_extras = false;     // the updates that appeared after the last reboot
    std::string failed;            // the plug-in that failed, if any
    bool stopped = false;          // stopOnPluginFailure skipped the plug-ins after it
    int plugin_count = 0;
    bool os_upgrade = false;          // osRollingUpgrade: the OS image too, with a reboot
    std::vector<std::string> titles;  // one per update
  };

  // Plausible, stable titles: "packages: openssl 3.0.15-1~deb12u1" and so on.
  static std::string UpdateTitle(const std::string& plugin, int i) {
    static const char* packages[] = {"openssl 3.0.15-1~deb12u1", "linux-image-amd64 6.1.119-1",
                                     "libc6 2.36-9+deb12u9",     "openssh-server 1:9.2p1-2+deb12u4",
                                     "containerd 1.7.24~ds1-1",  "systemd 252.33-1~deb12u1"};
    if (plugin == "packages") {
      return std::string(packages[i % 6]) + (i >= 6 ? " (" + std::to_string(i / 6 + 1) + ")" : "");
    }
    return plugin + " update " + std::to_string(i + 1);
  }

  // The node's record of the plug-ins that ever ran on it (kInstalledAnnotation) with
  // `plugins` added, written with the round's result.
  std::map<std::string, std::string> InstalledRecord(const std::string& node,
                                                     const std::vector<std::string>& plugins) {
    auto current = store.Get(res::Nodes(), {"", node});
    if (!current.ok()) return {};
    std::string list = Annotation(*current, kInstalledAnnotation);
    for (const auto& p : plugins) {
      if (("," + list + ",").find("," + p + ",") == std::string::npos) {
        list += (list.empty() ? "" : ",") + p;
      }
    }
    return {{kInstalledAnnotation, list}};
  }

  Job PlanJob(const std::string& node, const Json& annotations_node) {
    const NodeScenario& spec = nodes[node];
    Job job;
    bool stop_on_failure = false;
    try {
      const std::string options = Annotation(annotations_node, agent::kOptionsAnnotation);
      if (!options.empty()) {
        const Json o = Json::parse(options);
        stop_on_failure =
            o.has_boolean_field("stopOnPluginFailure") && o.at("stopOnPluginFailure").as_bool();
        job.os_upgrade = o.has_boolean_field("osRollingUpgrade") &&
                         o.at("osRollingUpgrade").as_bool() &&
                         OsImage(annotations_node) != spec.os_upgrade_image;
        if (job.os_upgrade) {
          job.updates += 1;
          job.titles.push_back("OS image: " + spec.os_upgrade_image);
        }
      }
      const std::string list = Annotation(annotations_node, agent::kPluginsAnnotation);
      const Json plugins = Json::parse(list.empty() ? "[]" : list);
      for (const auto& p : plugins.as_array()) {
        const std::string name = p.at("name").as_string();
        ++job.plugin_count;
        if (!job.failed.empty() && stop_on_failure) {
          job.stopped = true;
          break;
        }
        if (name == spec.fail_plugin) {
          job.failed = name;
          continue;
        }
        job.ran.push_back(name);
        auto it = spec.updates.find(name);
        // The node's own memory of what it installed (its package database), kept on the
        // Node so that it survives a kcau-sim restart from --state-file.
        const std::string done = "," + Annotation(annotations_node, kInstalledAnnotation) + ",";
        if (it != spec.updates.end() && done.find("," + name + ",") == std::string::npos) {
          job.updates += it->second;
          for (int k = 0; k < it->second; ++k) job.titles.push_back(UpdateTitle(name, k));
        }
        if (extras_pending[node]) {
          job.takes_extras = true;
          job.updates += spec.updates_after_reboot;
          for (int k = 0; k < spec.updates_after_reboot; ++k) {
            job.titles.push_back("needs a restart first: update " + std::to_string(k + 1));
          }
          extras_pending[node] = false;
        }
      }
    } catch (const std::exception&) {
      // An unreadable request: the agent finds nothing to do (and says so below).
    }
    return job;
  }

  enum class Admission { kAct, kRefuse, kReplay };

  // Whether the agent on `name` acts on the request `token` of `kind` it finds on `node`:
  // only when the controller signed exactly this request for this node, and only once per
  // token. `resuming`: kcau-sim stopped while the agent was at this very request, which it
  // then finishes. A refusal's reason goes to `why`, for the agent's result. An admitted
  // request is taken: the caller writes TakenRecord before acting on it.
  Admission Admit(const std::string& name, const Json& node, agent::RequestKind kind,
                  const std::string& token, bool resuming, std::string& why) {
    const Status trusted = verify_keys.Verify(kind, name, agent::NodeAnnotations(node));
    if (!trusted.ok()) {
      why = agent::RefusalMessage(trusted);
      spdlog::warn("sim: agent on {}: refused request {}: {}", name, token, trusted.message());
      return Admission::kRefuse;
    }
    if (TakenBefore(name, node, token, resuming)) {
      spdlog::warn("sim: agent on {}: request {} was taken before; not acting on it again", name,
                   token);
      return Admission::kReplay;
    }
    taken[name].insert(token);
    return Admission::kAct;
  }

  // The tokens a node's own record (kTakenAnnotation) lists; a garbled record lists none.
  static std::set<std::string> RecordedTokens(const Json& node) {
    std::set<std::string> tokens;
    try {
      const std::string list = Annotation(node, kTakenAnnotation);
      const Json parsed = Json::parse(list.empty() ? "[]" : list);
      for (const auto& t : parsed.as_array()) {
        if (t.is_string()) tokens.insert(t.as_string());
      }
    } catch (const std::exception&) {
      tokens.clear();
    }
    return tokens;
  }

  bool TakenBefore(const std::string& name, const Json& node, const std::string& token,
                   bool resuming) {
    if (taken[name].count(token)) return true;  // never twice in this process's life
    return !resuming && RecordedTokens(node).count(token) > 0;
  }

  // The node's own record of the requests its agent took (kTakenAnnotation): what this
  // process took and what the record listed, so that a request taken before a kcau-sim
  // restart is never acted on twice.
  std::map<std::string, std::string> TakenRecord(const std::string& name) {
    std::set<std::string> tokens = taken[name];
    auto current = store.Get(res::Nodes(), {"", name});
    if (current.ok()) tokens.merge(RecordedTokens(*current));
    Json list = Json::array();
    size_t i = 0;
    for (const auto& t : tokens) list[i++] = Json::string(t);
    return {{kTakenAnnotation, list.serialize()}};
  }

  void RecordTaken(const std::string& name) {
    Json patch = Json::object();
    for (const auto& [annotation, value] : TakenRecord(name)) {
      patch["metadata"]["annotations"][annotation] = Json::string(value);
    }
    auto s = store.Patch(res::Nodes(), {"", name}, kube::PatchType::kMerge, patch, false);
    if (!s.ok()) spdlog::warn("sim: node {}: {}", name, s.status().ToString());
  }

  // Hooks: the script is the ConfigMap's key; the simulated shell understands `sleep S`
  // (seconds, fractions allowed) and `exit N`; it runs as the request's user and service
  // account (said in the result). Every other line is taken as succeeding.
  void OnHook(const std::string& name, const Json& node) {
    const auto request = agent::DecodeHookRequest(Annotation(node, agent::kHookRequestAnnotation));
    if (!request || hook_answered[name] == request->token) return;
    hook_answered[name] = request->token;
    // Already answered before a kcau-sim restart: the result annotation says so.
    const auto old = agent::DecodeHookResult(Annotation(node, agent::kHookResultAnnotation));
    if (old && old->token == request->token && !old->running) return;
    std::string why;
    const Admission admission = Admit(name, node, agent::RequestKind::kHook, request->token,
                                      old && old->token == request->token, why);
    if (admission == Admission::kRefuse) WriteHookResult(name, {request->token, false, false, why});
    if (admission != Admission::kAct) return;
    RecordTaken(name);
    WriteHookResult(name, {request->token, true, false, ""});
    const auto slash = request->config_map.find('/');
    const std::string ns = request->config_map.substr(0, slash);
    const std::string cm = slash == std::string::npos ? "" : request->config_map.substr(slash + 1);
    auto map = store.Get({"", "v1", "configmaps", "ConfigMap", true}, {ns, cm});
    std::string failure;
    std::string script;
    if (!map.ok()) {
      failure = "configmap " + request->config_map + " not found";
    } else if (!map->has_object_field("data") || !map->at("data").has_string_field(request->key)) {
      failure = "configmap " + request->config_map + " has no key " + request->key;
    } else {
      script = map->at("data").at(request->key).as_string();
    }
    double seconds = 0.1;
    int exit_code = 0;
    std::istringstream lines(script);
    for (std::string line; failure.empty() && std::getline(lines, line);) {
      std::istringstream words(line);
      std::string word;
      words >> word;
      if (word == "sleep") words >> seconds;
      if (word == "exit") {
        words >> exit_code;
        break;
      }
    }
    const std::string who =
        "as uid " +
        (request->run_as_user ? std::to_string(*request->run_as_user) : std::string("0")) +
        (request->service_account.empty() ? ""
                                          : " with service account " + request->service_account);
    const std::string token = request->token;
    const std::string hook = request->hook;
    After(std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)),
          [this, name, token, hook, failure, exit_code, who] {
            const bool ok = failure.empty() && exit_code == 0;
            const std::string message =
                !failure.empty() ? failure : "exit code " + std::to_string(exit_code) + ", " + who;
            WriteHookResult(name, {token, false, ok, message});
            spdlog::info("sim: agent on {}: {} hook: {}", name, hook, message);
          });
  }

  void WriteHookResult(const std::string& node, const agent::HookResult& r) {
    Json patch = Json::object();
    patch["metadata"]["annotations"][agent::kHookResultAnnotation] =
        Json::string(agent::EncodeHookResult(r));
    auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, false);
    if (!s.ok()) spdlog::warn("sim: node {}: hook result: {}", node, s.status().ToString());
  }

  void OnNode(const Json& node) {
    const std::string name = node.at("metadata").at("name").as_string();
    if (IsReal(name)) return;  // its own agent answers, through the API server
    if (nodes.count(name) && nodes[name].agent_silent) {
      // Hung: it reads nothing and writes nothing (said once per request).
      const std::string token = Annotation(node, agent::kRequestAnnotation);
      if (!token.empty() && answered[name] != token) {
        answered[name] = token;
        spdlog::info("sim: agent on {} is silent (injected): request {} not answered", name, token);
      }
      return;
    }
    if (nodes.count(name)) OnHook(name, node);
    const std::string requested = Annotation(node, agent::kRequestAnnotation);
    if (requested.empty() || !nodes.count(name)) return;
    const auto result = agent::DecodeAgentResult(Annotation(node, agent::kResultAnnotation));
    // Once the re-scan round the request asked for has begun, that round is the one at hand.
    const std::string rescan = Annotation(node, agent::kRescanRequestAnnotation);
    const bool in_rescan = !rescan.empty() && result && result->token == rescan;
    const std::string token = in_rescan ? rescan : requested;
    // A Node event from before the re-scan round began (the agent is past the request).
    if (answered[name] == token || (!rescan.empty() && answered[name] == rescan)) return;
    if (in_rescan && !result->previous.empty()) {
      rescan_rounds[name] = {rescan, result->previous.front()};
    }
    // The agent's memory is its result annotation: after a kcau-sim restart (--state-file)
    // a request already answered is not redone, and a reboot that was under way finishes.
    if (result && result->token == token && result->state != agent::AgentState::kInstalling) {
      answered[name] = token;
      if (result->reboot_required && !booting.count(name) && !nodes[name].never_returns &&
          !NodeIsReady(node)) {
        booting.insert(name);
        After(nodes[name].reboot_duration, [this, name] { Boot(name); });
      }
      return;
    }
    TakeUpdate(name, node, token, result && result->token == token, in_rescan);
  }

  // The re-scan round a request asked for (kRescanRequestAnnotation), begun as soon as the
  // node is back from the request's reboot, as the real agent does.
  void StartRescan(const std::string& name) {
    if (IsReal(name) || nodes[name].agent_silent) return;
    auto node = store.Get(res::Nodes(), {"", name});
    if (!node.ok()) return;
    const std::string rescan = Annotation(*node, agent::kRescanRequestAnnotation);
    const auto result = agent::DecodeAgentResult(Annotation(*node, agent::kResultAnnotation));
    if (rescan.empty() || !result || !result->reboot_required ||
        result->token != Annotation(*node, agent::kRequestAnnotation) || answered[name] == rescan) {
      return;
    }
    rescan_rounds[name] = {rescan, *result};
    TakeUpdate(name, *node, rescan, false, true);
  }

  // The agent on `name` takes the update (or scan) request `token`. `resuming`: it had
  // answered Installing before a kcau-sim restart. `rescan_round`: the round after a reboot
  // that it took itself, which forces no reboot.
  void TakeUpdate(const std::string& name, const Json& node, const std::string& token,
                  bool resuming, bool rescan_round) {
    answered[name] = token;
    std::string why;
    const Admission admission =
        Admit(name, node, agent::RequestKind::kUpdate, token, resuming, why);
    if (admission == Admission::kRefuse) {
      WriteResult(name, {token, agent::AgentState::kFailed, false, 0, why});
    }
    if (admission != Admission::kAct) return;
    spdlog::info("sim: agent on {}: update requested ({})", name, token);
    WriteResult(name, {token, agent::AgentState::kInstalling, false, 0, ""}, TakenRecord(name));
    const bool scan = Annotation(node, agent::kModeAnnotation) == agent::kScanMode;
    const bool serial =
        Annotation(node, agent::kOptionsAnnotation).find("\"runPluginsSerially\":true") !=
        std::string::npos;
    Job job = PlanJob(name, node);
    // Scanning and staging run in parallel unless runPluginsSerially: one plug-in's time,
    // or the sum of them.
    const auto duration =
        nodes[name].update_duration * (serial ? std::max(1, job.plugin_count) : 1);
    if (scan) {
      if (job.takes_extras) extras_pending[name] = true;  // a scan installs nothing
      // Invoke-CauScan: report what the plug-ins would install; change nothing.
      After(duration, [this, name, token, updates = job.updates, titles = job.titles,
                       failed = job.failed, stopped = job.stopped] {
        if (!failed.empty()) {
          // A plug-in that fails cannot tell what applies either: the scan fails.
          const std::string why = "plug-in " + failed + " failed (injected fault) while scanning" +
                                  (stopped ? "; later plug-ins skipped (stopOnPluginFailure)" : "");
          WriteResult(name, {token, agent::AgentState::kFailed, false, 0, why});
          spdlog::info("sim: agent on {}: scan: {}", name, why);
          return;
        }
        agent::AgentResult scanned{token, agent::AgentState::kScanned, false, 0, "", updates};
        scanned.titles = titles;
        WriteResult(name, scanned);
        spdlog::info("sim: agent on {}: scan: {} updates apply", name, updates);
      });
      return;
    }
    const bool force_reboot =
        Annotation(node, agent::kForceRebootAnnotation) == "true" && !rescan_round;
    const std::string reboot_mode = Annotation(node, agent::kRebootModeAnnotation);
    if (!job.titles.empty()) {
      // Downloads first (staging), installs after: half the time each.
      After(duration / 2, [this, name, token, titles = job.titles] {
        agent::AgentResult staging{token, agent::AgentState::kInstalling, false, 0, ""};
        staging.staged = titles;
        WriteResult(name, staging);
      });
    }
    After(duration, [this, name, token, job, force_reboot, reboot_mode] {
      Install(name, token, job, force_reboot, reboot_mode);
    });
  }

  void Install(const std::string& node, const std::string& token, const Job& job, bool force_reboot,
               const std::string& reboot_mode) {
    const NodeScenario& spec = nodes[node];
    if (failures_left[node] > 0) {
      --failures_left[node];
      if (job.takes_extras) extras_pending[node] = true;
      spdlog::info("sim: agent on {}: update fails (injected)", node);
      WriteResult(node, {token, agent::AgentState::kFailed, false, 0,
                         "packages: dpkg returned an error code (1) (injected fault)"});
      return;
    }
    const auto installed = InstalledRecord(node, job.ran);
    if (!job.failed.empty()) {
      const std::string why =
          "plug-in " + job.failed + " failed (injected fault)" +
          (job.stopped ? "; later plug-ins skipped (stopOnPluginFailure)" : "") + "; " +
          std::to_string(job.updates) + " updates from the others installed";
      spdlog::info("sim: agent on {}: {}", node, why);
      WriteResult(node, {token, agent::AgentState::kFailed, false, job.updates, why}, installed);
      return;
    }
    const bool reboot = (job.updates > 0 && spec.reboot_required) || force_reboot || job.os_upgrade;
    if (job.os_upgrade) os_upgrading.insert(node);
    agent::AgentResult done{token, agent::AgentState::kInstalled, reboot, job.updates, ""};
    done.titles = job.titles;
    done.staged = job.titles;  // staged first (Start), as a real agent's result keeps it
    // A soft reboot (kexec) skips the firmware: it is a quarter of a full one, but updates
    // that include firmware need the full one.
    auto reboot_duration = spec.reboot_duration;
    if (reboot) {
      done.reboot_kind = reboot_mode.empty() ? "full" : reboot_mode;
      if (reboot_mode == "soft" && spec.firmware_updates) {
        done.reboot_kind = "full";
        done.message = "soft reboot not possible: a firmware update needs a full one";
      } else if (reboot_mode == "soft") {
        reboot_duration = reboot_duration / 4;
      }
    }
    WriteResult(node, done, installed);
    spdlog::info("sim: agent on {}: {} updates installed{}", node, job.updates,
                 reboot ? ", rebooting (" + done.reboot_kind + ")" : "");
    if (!reboot) return;
    booting.insert(node);
    SetReady(node, false, "", kRebootingMessage);
    if (spec.never_returns) {
      spdlog::info("sim: node {} never comes back (injected)", node);
      return;
    }
    After(reboot_duration, [this, node] { Boot(node); });
  }

  void Boot(const std::string& node) {
    const NodeScenario& spec = nodes[node];
    booting.erase(node);
    {
      std::lock_guard<std::mutex> lock(mu);
      ++reboots[node];
      // Updates with a restart-time dependency show up after the first reboot only.
      if (reboots[node] == 1 && spec.updates_after_reboot > 0) extras_pending[node] = true;
    }
    if (os_upgrading.erase(node)) {
      // The new OS image is what the node boots into.
      Json patch = Json::object();
      patch["status"]["nodeInfo"]["osImage"] = Json::string(spec.os_upgrade_image);
      patch["status"]["nodeInfo"]["kernelVersion"] = Json::string(spec.os_upgrade_kernel);
      auto s = store.Patch(res::Nodes(), {"", node}, kube::PatchType::kMerge, patch, true);
      if (!s.ok()) spdlog::warn("sim: node {}: os image: {}", node, s.status().ToString());
    }
    // A real agent's node: the new boot ID is on its disk before the Node says so, and its
    // agent starts once both do.
    const std::string boot_id = NewBootId();
    if (IsReal(node)) {
      if (Status s = WriteRootBootId(real_agents->RootOf(node), boot_id); !s.ok()) {
        spdlog::error("sim: node {}: boot ID: {}", node, s.ToString());
      }
    }
    if (!spec.not_ready_after_reboot) {
      SetReady(node, true, boot_id, "kubelet is posting ready status");
      spdlog::info("sim: node {} is back with a new boot ID", node);
      StartRealAgent(node);
      StartRescan(node);
      return;
    }
    SetReady(node, false, boot_id, "container runtime network not ready (injected)");
    StartRealAgent(node);
    StartRescan(node);
    spdlog::info("sim: node {} is back with a new boot ID but NotReady (injected)", node);
    if (spec.not_ready_forever) return;
    After(*spec.not_ready_after_reboot, [this, node] {
      SetReady(node, true, "", "kubelet is posting ready status");
      spdlog::info("sim: node {} became Ready", node);
    });
  }

  // A workload controller puts an evicted pod back on a schedulable, Ready worker node.
  void OnPodDeleted(const Json& pod) {
    const auto& meta = pod.at("metadata");
    if (!meta.has_array_field("ownerReferences")) return;
    const std::string kind = meta.at("ownerReferences").at(0).at("kind").as_string();
    if (kind != "ReplicaSet" && kind != "StatefulSet") return;
    After(scenario.pod_restart_delay, [this, pod] { Reschedule(pod); });
  }

  // The agents' DaemonSet rolled (forceSelfUpdate): one node after another, each agent
  // restarts at the version the pod template asks for and says so on its Node.
  void OnDaemonSet(const Json& ds) {
    const auto& meta = ds.at("metadata");
    if (meta.at("name").as_string() != agent::kAgentDaemonSet) return;
    std::string version;
    try {
      version = ds.at("spec")
                    .at("template")
                    .at("metadata")
                    .at("annotations")
                    .at(agent::kAgentVersionAnnotation)
                    .as_string();
    } catch (const std::exception&) {
      return;  // a change that asks for no version
    }
    if (version == rolled_to) return;
    rolled_to = version;
    int k = 0;
    for (const auto& [name, spec] : nodes) {
      if (spec.no_agent || spec.agent == AgentKind::kReal) continue;
      After(std::chrono::milliseconds(100 * ++k), [this, name = name, version] {
        Json patch = Json::object();
        patch["metadata"]["annotations"][agent::kAgentVersionAnnotation] = Json::string(version);
        auto s = store.Patch(res::Nodes(), {"", name}, kube::PatchType::kMerge, patch, false);
        if (s.ok()) spdlog::info("sim: agent on {} restarted at version {}", name, version);
      });
    }
  }

  // Queues a replacement for `old_pod`; PlaceQueued puts every queued pod at once, so a
  // thousand evictions cost one look at the cluster, not a thousand.
  void Reschedule(const Json& old_pod) { to_place.push_back(old_pod); }

  void PlaceQueued() {
    // At most every 50 ms: evictions come in bursts, and one pass places a whole burst.
    const auto now = std::chrono::steady_clock::now();
    if (to_place.empty() || now < next_placement) return;
    next_placement = now + std::chrono::milliseconds(50);
    std::vector<Json> queued;
    queued.swap(to_place);
    // Least-loaded first, ties by name: a heap of (pods on it, worker) for every schedulable
    // worker, the counts from the store's pods-by-node index. One vector a round, not a map
    // and a set of 5,000 entries each (8% of kcau-sim's CPU at 5,000 nodes: docs/bench.md).
    using Load = std::pair<size_t, std::string>;
    const std::vector<size_t> counts = store.PodCountsOn(schedulable);
    std::vector<Load> by_load;
    by_load.reserve(schedulable.size());
    size_t i = 0;
    for (const auto& node : schedulable) by_load.emplace_back(counts[i++], node);
    const auto more_loaded = std::greater<Load>();  // a min-heap: the least loaded on top
    std::make_heap(by_load.begin(), by_load.end(), more_loaded);
    for (const Json& old_pod : queued) {
      if (by_load.empty()) {
        // Nowhere to go yet: try again, as the scheduler would keep the pod Pending.
        After(scenario.pod_restart_delay, [this, old_pod] { Reschedule(old_pod); });
        continue;
      }
      std::pop_heap(by_load.begin(), by_load.end(), more_loaded);
      Load& least = by_load.back();
      Place(old_pod, least.second);
      ++least.first;
      std::push_heap(by_load.begin(), by_load.end(), more_loaded);
    }
  }

  void TrackSchedulable(const std::string& event_type, const Json& node) {
    const std::string name = node.at("metadata").at("name").as_string();
    const bool cordoned = node.has_object_field("spec") &&
                          node.at("spec").has_boolean_field("unschedulable") &&
                          node.at("spec").at("unschedulable").as_bool();
    if (event_type != "DELETED" && !cordoned && NodeIsReady(node) && !IsControlPlane(node)) {
      schedulable.insert(name);
    } else {
      schedulable.erase(name);
    }
  }

  void Place(const Json& old_pod, const std::string& node) {
    const auto& meta = old_pod.at("metadata");
    const std::string ns = meta.at("namespace").as_string();
    const std::string app = meta.at("labels").at("app").as_string();
    const Json& owner = meta.at("ownerReferences").at(0);
    const bool failback = meta.at("labels").has_string_field(kFailbackLabel);
    if (owner.at("kind").as_string() == "StatefulSet") {
      // A StatefulSet's pod keeps its identity: the same name, on another node.
      auto s =
          store.Create(res::Pods(), ns,
                       MakePod(ns, meta.at("name").as_string(), app, owner, node, Now(), failback));
      if (!s.ok()) spdlog::warn("sim: recreating pod: {}", s.status().ToString());
      return;
    }
    auto s = CreateGeneratedPod(store, ns, owner.at("name").as_string() + "-", app, owner, node,
                                Now(), failback);
    if (!s.ok()) spdlog::warn("sim: recreating pod: {}", s.status().ToString());
  }

  // Level-triggered, as a ReplicaSet or StatefulSet controller is: every pod a workload is
  // short of gets a replacement. Run at start, this finishes replacements that were pending
  // when a previous kcau-sim stopped (--state-file), so a PDB is not left short for good.
  void RestoreMissingReplicas() {
    auto pods = store.List(res::Pods(), "", {});
    if (!pods.ok()) return;
    std::map<std::string, std::set<std::string>> owned;  // owner uid -> pod names
    for (const auto& p : pods->items) {
      const auto& meta = p.at("metadata");
      if (!meta.has_array_field("ownerReferences")) continue;
      owned[meta.at("ownerReferences").at(0).at("uid").as_string()].insert(
          meta.at("name").as_string());
    }
    for (const auto* r : {&kReplicaSets, &kStatefulSets}) {
      auto owners = store.List(*r, "", {});
      if (!owners.ok()) continue;
      for (const auto& o : owners->items) {
        const auto& meta = o.at("metadata");
        const std::string name = meta.at("name").as_string();
        const std::string uid = meta.at("uid").as_string();
        const int replicas = o.at("spec").has_number_field("replicas")
                                 ? o.at("spec").at("replicas").as_integer()
                                 : 1;
        const auto& have = owned[uid];
        const bool stateful = r == &kStatefulSets;
        Json template_pod =
            MakePod(meta.at("namespace").as_string(), "",
                    o.at("spec").at("selector").at("matchLabels").at("app").as_string(),
                    OwnerRef(stateful ? "StatefulSet" : "ReplicaSet", name, uid), "", Now());
        int missing = replicas - static_cast<int>(have.size());
        for (int i = 0; i < replicas && missing > 0; ++i) {
          const std::string pod_name = name + "-" + std::to_string(i);
          if (stateful && have.count(pod_name)) continue;
          template_pod["metadata"]["name"] = Json::string(pod_name);
          spdlog::info("sim: {} {} is short of a pod: replacing it", r->kind, name);
          After(scenario.pod_restart_delay, [this, template_pod] { Reschedule(template_pod); });
          --missing;
        }
      }
    }
  }

  // Creates one workload: its controller objects, its pods spread over `workers` (every node
  // for a DaemonSet), and its PDB.
  Status PopulateWorkload(const WorkloadScenario& w, const std::vector<std::string>& workers,
                          const std::vector<std::string>& all_nodes, const std::string& now) {
    const std::string ns = w.ns;
    auto create = [&](const kube::Resource& r, Json o) -> StatusOr<Json> {
      o["metadata"]["name"] = Json::string(o.at("metadata").at("name").as_string());
      o["spec"]["selector"]["matchLabels"]["app"] = Json::string(w.name);
      return store.Create(r, ns, o);
    };
    auto named = [](const std::string& name) {
      Json o = Json::object();
      o["metadata"]["name"] = Json::string(name);
      return o;
    };
    Json owner;
    std::string prefix;
    int replicas = w.replicas;
    std::vector<std::string> targets = workers;
    if (w.kind == WorkloadKind::kDaemonSet) {
      auto ds = create(kDaemonSets, named(w.name));
      if (!ds.ok()) return ds.status();
      owner = OwnerRef("DaemonSet", w.name, ds->at("metadata").at("uid").as_string());
      prefix = w.name + "-";
      replicas = static_cast<int>(all_nodes.size());
      targets = all_nodes;
    } else if (w.kind == WorkloadKind::kDeployment) {
      Json d = named(w.name);
      d["spec"]["replicas"] = Json::number(w.replicas);
      auto dep = create(kDeployments, d);
      if (!dep.ok()) return dep.status();
      const std::string rs_name = w.name + "-7d9f8";
      Json rs = named(rs_name);
      rs["spec"]["replicas"] = Json::number(w.replicas);
      rs["metadata"]["ownerReferences"] =
          Json::array({OwnerRef("Deployment", w.name, dep->at("metadata").at("uid").as_string())});
      auto rs_created = create(kReplicaSets, rs);
      if (!rs_created.ok()) return rs_created.status();
      owner = OwnerRef("ReplicaSet", rs_name, rs_created->at("metadata").at("uid").as_string());
      prefix = rs_name + "-";
    } else {
      Json st = named(w.name);
      st["spec"]["replicas"] = Json::number(w.replicas);
      auto sts = create(kStatefulSets, st);
      if (!sts.ok()) return sts.status();
      owner = OwnerRef("StatefulSet", w.name, sts->at("metadata").at("uid").as_string());
    }
    if (replicas > 0 && targets.empty()) {
      return InvalidArgumentError("workload " + w.name + ": no worker node to run its pods on");
    }
    for (int i = 0; i < replicas; ++i) {
      const std::string& node = targets[i % targets.size()];
      StatusOr<Json> pod =
          w.kind == WorkloadKind::kStatefulSet
              ? store.Create(res::Pods(), ns,
                             MakePod(ns, w.name + "-" + std::to_string(i), w.name, owner, node, now,
                                     w.failback))
              : CreateGeneratedPod(store, ns, prefix, w.name, owner, node, now, w.failback);
      if (!pod.ok()) return pod.status();
    }
    if (!w.pdb_min_available && !w.pdb_max_unavailable) return Status::Ok();
    Json pdb = named(w.name);
    pdb["spec"]["selector"]["matchLabels"]["app"] = Json::string(w.name);
    if (w.pdb_blocks_for > std::chrono::milliseconds::zero()) {
      // Blocking: nothing may go until the fault's time is up, then the real budget.
      pdb["spec"]["minAvailable"] = Json::string("100%");
      After(w.pdb_blocks_for, [this, w] {
        Json patch = Json::object();
        patch["spec"]["minAvailable"] = BudgetValue(w.pdb_min_available);
        patch["spec"]["maxUnavailable"] = BudgetValue(w.pdb_max_unavailable);
        auto s = store.Patch(res::PodDisruptionBudgets(), {w.ns, w.name}, kube::PatchType::kMerge,
                             patch, false);
        spdlog::info("sim: PDB {}/{} stops blocking{}", w.ns, w.name,
                     s.ok() ? "" : ": " + s.status().ToString());
      });
    } else {
      if (w.pdb_min_available) pdb["spec"]["minAvailable"] = BudgetValue(w.pdb_min_available);
      if (w.pdb_max_unavailable) pdb["spec"]["maxUnavailable"] = BudgetValue(w.pdb_max_unavailable);
    }
    auto created = store.Create(res::PodDisruptionBudgets(), ns, pdb);
    return created.ok() ? Status::Ok() : created.status();
  }

  // "3" as a number, "50%" as a string, as the API carries intstr; null when absent (which a
  // merge patch reads as "remove").
  static Json BudgetValue(const std::optional<std::string>& v) {
    if (!v) return Json::null();
    if (v->back() == '%') return Json::string(*v);
    return Json::number(std::stoi(*v));
  }

  bool IsReal(const std::string& node) const {
    return real_agents != nullptr && real_agents->Has(node);
  }

  void StartRealAgent(const std::string& node) {
    if (!IsReal(node)) return;
    restart_at.erase(node);
    if (Status s = real_agents->Start(node); !s.ok()) {
      spdlog::error("sim: real agent on {}: {}; trying again in {} ms", node, s.ToString(),
                    kAgentRestartDelay.count());
      restart_at[node] = std::chrono::steady_clock::now() + kAgentRestartDelay;
    }
  }

  // At start: every real agent runs, but on a node that was rebooting when a previous
  // kcau-sim stopped (--state-file), which boots first.
  void StartRealAgents() {
    if (real_agents == nullptr) return;
    for (const auto& [name, spec] : nodes) {
      if (!IsReal(name)) continue;
      auto node = store.Get(res::Nodes(), {"", name});
      if (node.ok() && !NodeIsReady(*node) && ReadyMessage(*node) == kRebootingMessage) {
        booting.insert(name);
        if (!spec.never_returns) After(spec.reboot_duration, [this, name = name] { Boot(name); });
        continue;
      }
      StartRealAgent(name);
    }
  }

  // A reboot the agent asked for: as a machine's, it takes every process of the node (the
  // agent with it), empties /run, and is over after the node's reboot duration (a quarter
  // of it for a soft reboot or kexec, which skip the firmware); Boot then starts the agent.
  void RebootRealNode(const std::string& node, const std::string& kind) {
    const NodeScenario& spec = nodes[node];
    spdlog::info("sim: real agent on {} asked for a {} reboot", node, kind);
    real_agents->Kill(node);
    // A reboot ends the boot that asked for it with everything that boot still had in hand:
    // a request the agent wrote again between the take above and its death (its journal says
    // "rebooting" and the boot ID has not changed yet) is not a request of the next boot.
    if (auto stale = TakeRebootRequest(real_agents->RootOf(node)); stale.ok() && *stale) {
      spdlog::info("sim: node {}: a reboot request of the ending boot discarded", node);
    }
    restart_at.erase(node);
    if (Status s = EmptyRunOnReboot(real_agents->RootOf(node)); !s.ok()) {
      spdlog::error("sim: node {}: emptying /run: {}", node, s.ToString());
    }
    booting.insert(node);
    SetReady(node, false, "", kRebootingMessage);
    if (spec.never_returns) {
      spdlog::info("sim: node {} never comes back (injected)", node);
      return;
    }
    const Millis duration = kind == "full" ? spec.reboot_duration : spec.reboot_duration / 4;
    After(duration, [this, node] { Boot(node); });
  }

  // Every 100 ms: reboots asked for, and agents that died (restarted after a second, as the
  // DaemonSet's kubelet restarts a crashed container).
  void PollRealAgents() {
    const auto now = std::chrono::steady_clock::now();
    if (real_agents == nullptr || now < next_agent_poll) return;
    next_agent_poll = now + std::chrono::milliseconds(100);
    for (const auto& node : real_agents->Reap()) {
      if (!booting.count(node)) restart_at[node] = now + kAgentRestartDelay;
    }
    for (const auto& [name, spec] : nodes) {
      if (!IsReal(name) || booting.count(name)) continue;
      auto kind = TakeRebootRequest(real_agents->RootOf(name));
      if (!kind.ok()) {
        spdlog::error("sim: node {}: reading the reboot request: {}", name,
                      kind.status().ToString());
      } else if (kind->has_value()) {
        RebootRealNode(name, **kind);
      }
    }
    for (auto it = restart_at.begin(); it != restart_at.end();) {
      const std::string node = it->first;
      if (it->second > now || booting.count(node)) {
        ++it;
        continue;
      }
      it = restart_at.erase(it);
      StartRealAgent(node);
    }
  }

  void Loop() {
    RestoreMissingReplicas();
    StartRealAgents();
    auto node_watch = store.Watch(res::Nodes(), "", {}, "0");
    auto daemonsets =
        store.Watch(kDaemonSets, "", {}, std::to_string(store.CurrentResourceVersion()));
    auto pods = store.Watch(res::Pods(), "", {}, std::to_string(store.CurrentResourceVersion()));
    if (!node_watch.ok() || !pods.ok() || !daemonsets.ok()) {
      spdlog::error("sim: cannot watch the store");
      return;
    }
    while (!stopping) {
      while (!timers.empty() && timers.top().due <= std::chrono::steady_clock::now()) {
        auto fn = timers.top().fn;
        timers.pop();
        fn();
      }
      PollRealAgents();
      bool any = false;
      while (auto e = (*node_watch)->Pop(std::chrono::milliseconds(0))) {
        any = true;
        TrackSchedulable(e->type, *e->object);
        if (e->type != "DELETED") OnNode(*e->object);
      }
      while (auto e = (*daemonsets)->Pop(std::chrono::milliseconds(0))) {
        any = true;
        if (e->type == "MODIFIED") OnDaemonSet(*e->object);
      }
      while (auto e = (*pods)->Pop(std::chrono::milliseconds(0))) {
        any = true;
        if (e->type == "DELETED") OnPodDeleted(*e->object);
      }
      // After the node events: replacements go by the nodes as they are now.
      PlaceQueued();
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
    store.StopWatch(*node_watch);
    store.StopWatch(*pods);
    store.StopWatch(*daemonsets);
    // From this thread, which started them (sim/real_agents.h).
    if (real_agents != nullptr) real_agents->StopAll(std::chrono::seconds(5));
  }
};

NodeSimulator::NodeSimulator(ObjectStore& store, const Clock& clock, Scenario scenario,
                             agent::RequestVerifyKeys verify_keys, RealAgents* real_agents)
    : impl_(std::make_unique<Impl>(store, clock, std::move(scenario), std::move(verify_keys),
                                   real_agents)) {}

NodeSimulator::~NodeSimulator() { Stop(); }

Status NodeSimulator::Populate() {
  auto& s = impl_->store;
  const auto& scenario = impl_->scenario;
  const std::string now = impl_->Now();
  std::set<std::string> namespaces = {"default", "kube-system"};
  for (const auto& w : scenario.workloads) namespaces.insert(w.ns);
  for (const auto& ns : namespaces) {
    Json n = Json::object();
    n["metadata"]["name"] = Json::string(ns);
    n["status"]["phase"] = Json::string("Active");
    auto r = s.Create({"", "v1", "namespaces", "Namespace", false}, "", n);
    if (!r.ok()) return r.status();
  }
  std::vector<std::string> workers, all_nodes;
  for (size_t i = 0; i < scenario.nodes.size(); ++i) {
    const NodeScenario& spec = scenario.nodes[i];
    auto r = s.Create(res::Nodes(), "", MakeNode(spec, static_cast<int>(i + 1), now));
    if (!r.ok()) return r.status();
    all_nodes.push_back(spec.name);
    // Control-plane nodes carry a NoSchedule taint: only DaemonSets run there.
    if (!spec.control_plane) workers.push_back(spec.name);
  }
  {
    // The agents' DaemonSet (in the default namespace, where the controller's --namespace
    // points by default): forceSelfUpdate rolls it. Its pods are not simulated.
    Json ds = Json::object();
    ds["metadata"]["name"] = Json::string(agent::kAgentDaemonSet);
    ds["spec"]["selector"]["matchLabels"]["app"] = Json::string(agent::kAgentDaemonSet);
    ds["spec"]["template"]["metadata"]["labels"]["app"] = Json::string(agent::kAgentDaemonSet);
    ds["spec"]["template"]["spec"]["containers"][0]["name"] = Json::string("agent");
    ds["spec"]["template"]["spec"]["containers"][0]["image"] =
        Json::string(std::string("kcau/agent:") + KCAU_VERSION);
    auto r = s.Create(kDaemonSets, "default", ds);
    if (!r.ok()) return r.status();
  }
  for (const auto& w : scenario.workloads) {
    Status st = impl_->PopulateWorkload(w, workers, all_nodes, now);
    if (!st.ok()) return st;
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

void NodeSimulator::OnKubeletWrite(KubeletWriteObserver observer) {
  impl_->kubelet_observer = std::move(observer);
}

void NodeSimulator::OnAgentResult(AgentResultObserver observer) {
  impl_->agent_observer = std::move(observer);
}

std::map<std::string, int> NodeSimulator::Reboots() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->reboots;
}

}  // namespace kcau::sim
