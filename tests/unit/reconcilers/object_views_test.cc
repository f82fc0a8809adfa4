// The controller's caches keep slimmed objects: what the planner reads from a slimmed object
// must equal what it reads from the full one, or a cache would silently change decisions.
#include "reconcilers/object_views.h"

#include <gtest/gtest.h>

#include "agent/protocol.h"
#include "reconcilers/node_store.h"
#include "reconcilers/pod_rules.h"
#include "reconcilers/pod_store.h"

namespace kcau::reconcilers {
namespace {

using kube::Json;

// Shaped like `kubectl get node -o json` on a kubeadm node (trimmed images list).
const char* kFullNode = R"json({
  "apiVersion": "v1", "kind": "Node",
  "metadata": {
    "name": "worker-7", "uid": "5c1e", "resourceVersion": "8812",
    "creationTimestamp": "2026-01-01T00:00:00Z",
    "labels": {"kubernetes.io/hostname": "worker-7", "topology.kubernetes.io/zone": "zone-b",
               "node-role.kubernetes.io/worker": ""},
    "annotations": {"kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd.sock",
                    "node.alpha.kubernetes.io/ttl": "0",
                    "kcau.io/update-request": "run-1/worker-7/1",
                    "kcau.io/update-result": "{\"token\":\"run-1/worker-7/1\",\"state\":\"Installed\",\"rebootRequired\":true,\"updatesInstalled\":3,\"message\":\"\"}"}
  },
  "spec": {"podCIDR": "10.244.7.0/24", "unschedulable": true,
           "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]},
  "status": {
    "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
    "allocatable": {"cpu": "4", "memory": "15Gi", "pods": "110"},
    "conditions": [
      {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
      {"type": "Ready", "status": "True", "reason": "KubeletReady",
       "message": "kubelet is posting ready status", "lastHeartbeatTime": "2026-01-01T00:00:00Z"}
    ],
    "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
    "nodeInfo": {"bootID": "b-42", "machineID": "m", "kubeletVersion": "v1.32.0",
                 "osImage": "Debian GNU/Linux 12 (bookworm)"},
    "images": [{"names": ["registry.k8s.io/pause:3.9"], "sizeBytes": 321520}]
  }
})json";

Json Pod(const std::string& owner_kind, bool mirror, bool terminating) {
  Json pod = Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "web", "uid": "u", "resourceVersion": "77",
                 "labels": {"app": "web", "pod-template-hash": "5d8f"},
                 "annotations": {"kubectl.kubernetes.io/restartedAt": "x"}},
    "spec": {"nodeName": "worker-7",
             "containers": [{"name": "web", "image": "nginx:1.25",
                             "resources": {"requests": {"cpu": "100m"}}}]},
    "status": {"phase": "Running", "podIP": "10.244.7.9"}
  })");
  if (!owner_kind.empty()) {
    Json ref = Json::object();
    ref["kind"] = Json::string(owner_kind);
    ref["name"] = Json::string("owner");
    ref["apiVersion"] = Json::string("apps/v1");
    ref["uid"] = Json::string("o-uid");
    pod["metadata"]["ownerReferences"] = Json::array({ref});
  }
  if (mirror) pod["metadata"]["annotations"]["kubernetes.io/config.mirror"] = Json::string("h");
  if (terminating) {
    pod["metadata"]["deletionTimestamp"] = Json::string("2026-01-01T00:00:01Z");
  }
  return pod;
}

TEST(ObjectViewsTest, NodeViewReadsWhatThePlannerNeeds) {
  const Json full = Json::parse(kFullNode);
  const NodeView view = NodeViewFromJson(full);
  EXPECT_EQ(view.name, "worker-7");
  EXPECT_TRUE(view.ready);
  EXPECT_TRUE(view.unschedulable);
  EXPECT_EQ(view.boot_id, "b-42");
  EXPECT_EQ(view.request_token, "run-1/worker-7/1");
  ASSERT_TRUE(view.agent_result.has_value());
  EXPECT_EQ(view.agent_result->updates_installed, 3);
  EXPECT_EQ(view.labels.Find("topology.kubernetes.io/zone"), "zone-b");
  EXPECT_EQ(view.resource_version, "8812");
}

// Whether the agent staged updates is all the planner reads of `staged`: one title is kept,
// in the round's result and in the round before it carries.
TEST(ObjectViewsTest, NodeViewKeepsWhetherUpdatesWereStaged) {
  agent::AgentResult before{"t/1", agent::AgentState::kInstalled, true, 2, ""};
  before.staged = {"openssl 3.0.15", "libc6 2.36"};
  agent::AgentResult result{"t/2", agent::AgentState::kInstalled, false, 0, ""};
  result.previous = {before};
  result.staged = {"a 1", "b 2", "c 3"};
  Json node = Json::parse(kFullNode);
  node["metadata"]["annotations"][agent::kResultAnnotation] =
      Json::string(agent::EncodeAgentResult(result));
  const NodeView view = NodeViewFromJson(node);
  ASSERT_TRUE(view.agent_result.has_value());
  EXPECT_EQ(view.agent_result->staged, std::vector<std::string>{"a 1"});
  ASSERT_EQ(view.agent_result->previous.size(), 1u);
  EXPECT_EQ(view.agent_result->previous.front().staged, std::vector<std::string>{"openssl 3.0.15"});
  EXPECT_EQ(view.agent_result->previous.front().updates_installed, 2);
}

TEST(NodeStoreTest, KeepsEachNodesViewAsItsEventsSay) {
  NodeStore store;
  const Json full = Json::parse(kFullNode);
  store.Apply("ADDED", full);
  Json other = Json::object();
  other["metadata"]["name"] = Json::string("a-node");
  store.Apply("ADDED", other);
  auto all = store.All();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a-node") << "in name order";
  EXPECT_EQ((*all)[1], NodeViewFromJson(full));

  Json cordoned = full;
  cordoned["spec"]["unschedulable"] = Json::boolean(false);
  store.Apply("MODIFIED", cordoned);
  EXPECT_FALSE(store.All()->at(1).unschedulable) << "read as the last event says";

  Json nameless = Json::object();
  nameless["metadata"]["namespace"] = Json::string("");
  store.Apply("ADDED", nameless);
  EXPECT_FALSE(store.All().ok()) << "a Node that cannot be read is an error, not left out";
  store.Apply("DELETED", nameless);
  // A DELETED event may carry only the key (a relist's, from a keys-only informer).
  Json key_only = Json::object();
  key_only["metadata"]["name"] = Json::string("a-node");
  store.Apply("DELETED", key_only);
  ASSERT_TRUE(store.All().ok());
  EXPECT_EQ(store.size(), 1u);
}

// The store keeps its views compact and makes them whole when read: a Node that sets every
// field NodeViewFromJson reads comes back from it as it went in.
TEST(NodeStoreTest, KeepsEveryField) {
  Json node = Json::parse(kFullNode);
  Json& ann = node["metadata"]["annotations"];
  ann[agent::kRescanRequestAnnotation] = Json::string("run-1/worker-7/1/2");
  ann[agent::kCordonedByAnnotation] = Json::string("run-1/7f6e2c1a-4d3b-4e5f-9a8b-1c2d3e4f5a6b");
  ann[agent::kAgentVersionAnnotation] = Json::string("0.9.0");
  agent::AgentResult result;
  result.token = "run-1/worker-7/1/2";
  result.state = agent::AgentState::kInstalled;
  result.titles = {"openssl 3.0.15-1~deb12u1"};
  result.boot_id = "b-43";
  agent::AgentResult before = result;
  before.token = "run-1/worker-7/1";
  before.reboot_required = true;
  result.previous = {before};
  ann[agent::kResultAnnotation] = Json::string(agent::EncodeAgentResult(result));
  agent::HookRequest hook;
  hook.token = "run-1/worker-7/pre/1";
  hook.hook = "pre";
  hook.config_map = "kcau-system/hooks";
  hook.key = "pre.sh";
  ann[agent::kHookRequestAnnotation] = Json::string(agent::EncodeHookRequest(hook));
  ann[agent::kHookResultAnnotation] =
      Json::string(agent::EncodeHookResult({hook.token, false, true, "exit 0"}));
  node["status"]["conditions"][0]["status"] = Json::string("True");  // MemoryPressure

  const NodeView view = NodeViewFromJson(node);
  EXPECT_FALSE(view.rescan_request_token.empty());
  EXPECT_FALSE(view.cordoned_by.empty());
  EXPECT_FALSE(view.agent_version.empty());
  EXPECT_FALSE(view.hook_request_token.empty());
  EXPECT_TRUE(view.hook_result.has_value());
  ASSERT_TRUE(view.agent_result.has_value());
  EXPECT_EQ(view.agent_result->previous.size(), 1u);
  EXPECT_EQ(view.pressure, std::vector<std::string>{"MemoryPressure"});
  NodeStore store;
  store.Apply("ADDED", node);
  auto all = store.All();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], view);

  // A later event changes some fields, drops others and leaves the rest: read as it says.
  node["metadata"]["resourceVersion"] = Json::string("8813");
  node["metadata"]["labels"]["topology.kubernetes.io/zone"] = Json::string("zone-c");
  node["metadata"]["annotations"].erase(agent::kCordonedByAnnotation);
  node["metadata"]["annotations"].erase(agent::kHookResultAnnotation);
  result.state = agent::AgentState::kFailed;
  node["metadata"]["annotations"][agent::kResultAnnotation] =
      Json::string(agent::EncodeAgentResult(result));
  node["spec"]["unschedulable"] = Json::boolean(false);
  store.Apply("MODIFIED", node);
  const NodeView changed = NodeViewFromJson(node);
  EXPECT_TRUE(changed.cordoned_by.empty());
  EXPECT_EQ(store.All()->at(0), changed);
  EXPECT_EQ(store.VersionOf("/worker-7"), "8813");
}

TEST(ObjectViewsTest, PodViewKeepsWhatDrainsAndCountsRead) {
  struct Case {
    std::string owner;
    bool mirror;
    bool terminating;
  };
  for (const Case& c : std::vector<Case>{{"ReplicaSet", false, false},
                                         {"DaemonSet", false, false},
                                         {"", true, false},
                                         {"StatefulSet", false, true},
                                         {"", false, false}}) {
    SCOPED_TRACE(c.owner + (c.mirror ? " mirror" : "") + (c.terminating ? " terminating" : ""));
    const Json full = Pod(c.owner, c.mirror, c.terminating);
    const PodView view = PodViewFromJson(full);
    EXPECT_EQ(view.daemon_set_or_mirror, IsDaemonSetOrMirrorPod(full));
    EXPECT_EQ(view.terminating, IsTerminating(full));
    EXPECT_EQ(view.has_controller, HasController(full));
    EXPECT_EQ(view.node, "worker-7");
    EXPECT_EQ(view.Key(), PodKey(full));
  }
}

Json NamedPod(const std::string& name, const std::string& node, const std::string& owner) {
  Json pod = Json::object();
  pod["metadata"]["name"] = Json::string(name);
  pod["metadata"]["namespace"] = Json::string("web");
  if (!owner.empty()) {
    Json ref = Json::object();
    ref["kind"] = Json::string(owner);
    ref["controller"] = Json::boolean(true);
    pod["metadata"]["ownerReferences"] = Json::array({ref});
  }
  if (!node.empty()) pod["spec"]["nodeName"] = Json::string(node);
  return pod;
}

TEST(PodStoreTest, FollowsSchedulingAndDeletionAndCountsByNode) {
  PodStore store;
  store.Apply("ADDED", NamedPod("a", "n1", "ReplicaSet"));
  store.Apply("ADDED", NamedPod("ds", "n1", "DaemonSet"));
  store.Apply("ADDED", NamedPod("pending", "", "ReplicaSet"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.On("n1").size(), 2u);
  EXPECT_EQ(store.EvictablePerNode(), (std::map<std::string, int>{{"n1", 1}}))
      << "DaemonSet pods and unscheduled ones are not counted";
  store.Apply("MODIFIED", NamedPod("pending", "n2", "ReplicaSet"));  // scheduled
  EXPECT_EQ(store.EvictablePerNode(), (std::map<std::string, int>{{"n1", 1}, {"n2", 1}}));
  ASSERT_EQ(store.On("n2").size(), 1u);
  EXPECT_EQ(store.On("n2")[0], PodViewFromJson(NamedPod("pending", "n2", "ReplicaSet")))
      << "read back whole, though kept as its key, its node and its traits";
  EXPECT_EQ(store.On("n1")[1], PodViewFromJson(NamedPod("ds", "n1", "DaemonSet")));
  // A DELETED event may carry only the key (a relist's from the informer's cache).
  Json key_only = Json::object();
  key_only["metadata"]["name"] = Json::string("a");
  key_only["metadata"]["namespace"] = Json::string("web");
  store.Apply("DELETED", key_only);
  ASSERT_EQ(store.On("n1").size(), 1u);
  EXPECT_EQ(store.On("n1")[0].name, "ds");
  EXPECT_EQ(store.EvictablePerNode(), (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(store.size(), 2u);
}

// The store is its informer's record of keys and versions (Informer::KeysKeptBy).
TEST(PodStoreTest, KeepsEachPodsVersionForItsInformer) {
  PodStore store;
  auto at = [](Json pod, const std::string& version) {
    pod["metadata"]["resourceVersion"] = Json::string(version);
    return pod;
  };
  store.Apply("ADDED", at(NamedPod("a", "", "ReplicaSet"), "10"));
  store.Apply("ADDED", at(NamedPod("b", "n1", "ReplicaSet"), "11"));
  EXPECT_EQ(store.VersionOf("web/a"), "10");
  store.Apply("MODIFIED", at(NamedPod("a", "n1", "ReplicaSet"), "12"));  // scheduled
  EXPECT_EQ(store.VersionOf("web/a"), "12");
  store.Apply("MODIFIED", at(NamedPod("b", "n1", "ReplicaSet"), "13"));  // same node
  ASSERT_EQ(store.On("n1").size(), 2u) << "a pod changed on its node is listed there once";
  EXPECT_EQ(store.On("").size(), 0u);
  std::map<std::string, std::string> keys;
  store.ForEachKey([&](const std::string& key, const std::string& v) { keys[key] = v; });
  EXPECT_EQ(keys, (std::map<std::string, std::string>{{"web/a", "12"}, {"web/b", "13"}}));
  store.Apply("DELETED", NamedPod("a", "", ""));
  EXPECT_EQ(store.VersionOf("web/a"), std::nullopt);
  EXPECT_EQ(store.VersionOf("web/b"), "13");
  EXPECT_EQ(store.On("n1").size(), 1u);
}

// Versions are kept as numbers when they are numbers written the usual way; any other text
// (the API calls them opaque) comes back as it was given.
TEST(PodStoreTest, GivesBackEachVersionAsItWasWritten) {
  PodStore store;
  auto at = [](const std::string& name, const std::string& version) {
    Json pod = NamedPod(name, "n1", "ReplicaSet");
    pod["metadata"]["resourceVersion"] = Json::string(version);
    return pod;
  };
  const std::vector<std::string> versions = {
      "0", "7",   "007", "18446744073709551615", "9999999999999999999",
      "",  "12a", "-1",  "99999999999999999999"};
  for (size_t i = 0; i < versions.size(); ++i) {
    store.Apply("ADDED", at("p" + std::to_string(i), versions[i]));
  }
  std::map<std::string, std::string> keys;
  store.ForEachKey([&](const std::string& key, const std::string& v) { keys[key] = v; });
  for (size_t i = 0; i < versions.size(); ++i) {
    const std::string key = "web/p" + std::to_string(i);
    EXPECT_EQ(store.VersionOf(key), versions[i]) << key;
    EXPECT_EQ(keys[key], versions[i]) << key;
  }
  // A pod whose version goes from text to a number and back, then is deleted.
  store.Apply("MODIFIED", at("p2", "40"));
  EXPECT_EQ(store.VersionOf("web/p2"), "40");
  store.Apply("MODIFIED", at("p2", "041"));
  EXPECT_EQ(store.VersionOf("web/p2"), "041");
  store.Apply("DELETED", at("p2", "041"));
  EXPECT_EQ(store.VersionOf("web/p2"), std::nullopt);
  store.Apply("ADDED", at("p2", "42"));
  EXPECT_EQ(store.VersionOf("web/p2"), "42");
}

TEST(NodeStoreTest, KeepsEachNodesVersionForItsInformer) {
  NodeStore store;
  auto node = [](const std::string& name, const std::string& version) {
    Json n = Json::object();
    n["metadata"]["name"] = Json::string(name);
    n["metadata"]["resourceVersion"] = Json::string(version);
    return n;
  };
  store.Apply("ADDED", node("n1", "7"));
  store.Apply("ADDED", node("n2", "8"));
  store.Apply("MODIFIED", node("n2", "9"));
  EXPECT_EQ(store.VersionOf("/n1"), "7");
  EXPECT_EQ(store.VersionOf("/n2"), "9");
  EXPECT_EQ(store.VersionOf("n1"), std::nullopt) << "cluster-scoped keys begin with /";
  std::map<std::string, std::string> keys;
  store.ForEachKey([&](const std::string& key, const std::string& v) { keys[key] = v; });
  EXPECT_EQ(keys, (std::map<std::string, std::string>{{"/n1", "7"}, {"/n2", "9"}}));
  store.Apply("DELETED", node("n2", "9"));
  EXPECT_EQ(store.VersionOf("/n2"), std::nullopt);
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace kcau::reconcilers
