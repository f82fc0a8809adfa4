"""End to end, one cmdlet parameter (or two) at a time: kcau-sim scenarios, the real
kcau-controller, and the real kubectl applying manifests and editing runs.

Usage: cmdlet_fields_e2e_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, NodeBootWatcher, assert_succeeded_each_node_once,  # noqa: E402
                     condition, node_map, settled_events, status_nodes)

BUILD_DIR = None
SOURCE_DIR = None

# Three workers; the only pod of "db" runs on node-1 behind a budget that never lets it go.
PINNED_DB = """
nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}
nodes:
  - {namePrefix: node-, count: 3}
workloads:
  - kind: StatefulSet
    name: db
    namespace: data
    replicas: 1
    pdb: {minAvailable: 1}
"""


def scenario_cluster(text, **kwargs):
    directory = tempfile.mkdtemp(prefix="kcau-scenario-")
    path = os.path.join(directory, "cluster.yaml")
    with open(path, "w") as f:
        f.write(text)
    return Cluster(BUILD_DIR, sim_args=["--scenario", path], **kwargs)


class ScenarioCase(unittest.TestCase):
    """A test case over a kcau-sim started from the class's SCENARIO."""

    SCENARIO = PINNED_DB

    def setUp(self):
        self.cluster = scenario_cluster(self.SCENARIO)

    def tearDown(self):
        self.cluster.stop()


def apply(cluster, manifest):
    cluster.kubectl_run("apply", "-f", "-", input=manifest)


def run_manifest(name, **spec):
    doc = {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun", "metadata": {"name": name},
           "spec": {"plugins": [{"name": "packages"}]}}
    doc["spec"].update(spec)
    return json.dumps(doc)


def run_watching_boots(cluster, name, start, timeout):
    """Calls start() (which applies the run), waits for the run to end while recording every
    node's boot IDs; returns the ended run and the watcher."""
    watcher = NodeBootWatcher(cluster.access)
    try:
        start()
        run = cluster.wait_for_phase(name, {"Succeeded", "Failed"}, timeout=timeout)
        time.sleep(0.5)
    finally:
        watcher.stop()
    return run, watcher


def get_run(cluster, name):
    return cluster.api_get(f"/apis/kcau.io/v1alpha1/updateruns/{name}")


def set_ready(cluster, node, ready):
    """Flips the node's Ready condition through the status subresource, as a kubelet would."""
    conditions = node_map(cluster)[node]["status"]["conditions"]
    index = next(i for i, c in enumerate(conditions) if c["type"] == "Ready")
    patch = [{"op": "replace", "path": f"/status/conditions/{index}/status",
              "value": "True" if ready else "False"}]
    cluster.kubectl_run("patch", "node", node, "--subresource=status", "--type=json",
                        "-p", json.dumps(patch))


def assert_nobody_cordoned(test, cluster):
    for name, node in node_map(cluster).items():
        test.assertFalse(node["spec"].get("unschedulable", False), f"{name} left cordoned")


def events_of(cluster, run):
    items = settled_events(cluster, "-A", "--field-selector", f"involvedObject.name={run}")
    return [(e["reason"], e["message"]) for e in items]


class CmdletExample1(ScenarioCase):
    """Invoke-CauRun.md Example 1 (examples/cmdlet-example-1.yaml): RequireAllNodesOnline,
    MaxFailedNodes 1, MaxRetriesPerNode 3, on the nodes of one cluster label."""

    SCENARIO = """
nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}
nodes:
  - {namePrefix: node-, count: 3, labels: {kcau.io/cluster: contoso-fc1}}
  - {name: other, labels: {kcau.io/cluster: elsewhere}}
"""

    def test_refused_while_a_node_is_down_then_runs(self):
        c = self.cluster
        example = os.path.join(SOURCE_DIR, "examples", "cmdlet-example-1.yaml")
        boots = {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(c).items()}
        set_ready(c, "node-2", False)
        c.kubectl_run("apply", "-f", example)
        run = c.wait_for_phase("contoso-fc1", {"Succeeded", "Failed"}, timeout=30)
        failed = condition(run, "Failed")
        self.assertEqual(run["status"]["phase"], "Failed")
        self.assertEqual(failed["reason"], "NodesOffline")
        self.assertIn("node-2", failed["message"])
        self.assertNotIn("node-1", failed["message"])
        self.assertEqual(run["status"].get("nodes", []), [])
        for name, node in node_map(c).items():
            self.assertEqual(node["status"]["nodeInfo"]["bootID"], boots[name], name)
            self.assertNotIn("kcau.io/update-request",
                             node["metadata"].get("annotations", {}), name)
        assert_nobody_cordoned(self, c)

        # The node is back: the same manifest, applied again as a new run, updates the
        # cluster's three nodes and leaves the other one alone.
        set_ready(c, "node-2", True)
        c.kubectl_run("delete", "updaterun", "contoso-fc1")
        run, watcher = run_watching_boots(
            c, "contoso-fc1", lambda: c.kubectl_run("apply", "-f", example), timeout=90)
        assert_succeeded_each_node_once(self, run, watcher)
        self.assertEqual(sorted(status_nodes(run)), ["node-1", "node-2", "node-3"])
        self.assertEqual(node_map(c)["other"]["status"]["nodeInfo"]["bootID"], boots["other"])
        c.kubectl_run("wait", "--for=condition=Succeeded", "updaterun/contoso-fc1",
                      "--timeout=5s")
        assert_nobody_cordoned(self, c)


class CmdletExample2(ScenarioCase):
    """Invoke-CauRun.md Example 2 (examples/cmdlet-example-2.yaml): two plug-ins with their
    arguments, StopOnPluginFailure and SeparateReboots. Each node restarts after the
    packages plug-in, before the script plug-in runs; on node-3 the packages plug-in fails, so
    the script plug-in never runs there: its scan, asked before node-3 is taken, fails
    already, so node-3 is never cordoned or asked to install."""

    SCENARIO = """
nodeDefaults:
  updateDuration: 200ms
  rebootDuration: 400ms
  labels: {kcau.io/cluster: contoso-fc1}
  updates: {packages: 2, script: 1}
nodes:
  - {name: node-1}
  - {name: node-2}
  - {name: node-3, faults: {failPlugin: packages}}
"""

    def test_separate_reboots_and_stop_on_plugin_failure(self):
        c = self.cluster
        example = os.path.join(SOURCE_DIR, "examples", "cmdlet-example-2.yaml")
        run, watcher = run_watching_boots(
            c, "contoso-fc1-hotfixes", lambda: c.kubectl_run("apply", "-f", example), timeout=120)
        nodes = status_nodes(run)
        for name in ("node-1", "node-2"):
            with self.subTest(node=name):
                self.assertEqual(nodes[name]["phase"], "Succeeded")
                self.assertEqual(nodes[name]["updatesInstalled"], 3)
                self.assertEqual(len(watcher.boot_ids[name]), 3, "a reboot after each plug-in")
        self.assertEqual(nodes["node-3"]["phase"], "Failed")
        self.assertIn("plug-in packages failed", nodes["node-3"]["message"])
        self.assertIn("later plug-ins skipped (stopOnPluginFailure)", nodes["node-3"]["message"])
        self.assertEqual(len(watcher.boot_ids["node-3"]), 1, "never rebooted")
        self.assertFalse(watcher.unschedulable_seen.get("node-3"), "cordoned")
        annotations = node_map(c)["node-3"]["metadata"]["annotations"]
        self.assertNotIn("script", annotations.get("sim.kcau.io/installed-plugins", ""))
        self.assertEqual(annotations.get("kcau.io/update-mode"), "scan",
                         "node-3 was asked to install")
        options = json.loads(annotations["kcau.io/update-options"])
        self.assertTrue(options["stopOnPluginFailure"])
        # The last request to node-1 (the re-scan) carried every plug-in with its arguments.
        plugins = json.loads(node_map(c)["node-1"]["metadata"]["annotations"]
                             ["kcau.io/update-plugins"])
        self.assertEqual(plugins[1]["arguments"],
                         {"configMap": "cau-hotfixes", "HotfixInstallerTimeoutMinutes": "30"})
        self.assertEqual(condition(run, "Succeeded")["reason"], "CompletedWithFailures")


class CmdletExample3(ScenarioCase):
    """Invoke-CauRun.md Example 3 (examples/cmdlet-example-3.yaml): a run failed and left a
    node cordoned, so its target stays Locked (the run lock Lease is kept); a new run waits,
    naming the lock; the forceRecovery run takes the lock over, updates the node left behind
    and releases it; then the waiting run goes."""

    SCENARIO = """
nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}
nodes:
  - {name: node-1, labels: {kcau.io/cluster: contoso-fc1}, faults: {failUpdates: 1}}
  - {name: node-2, labels: {kcau.io/cluster: contoso-fc1}}
  - {name: node-3, labels: {kcau.io/cluster: contoso-fc1}}
"""

    def leases(self):
        return self.cluster.get_json("leases", "-n", "default", "-l",
                                     "app.kubernetes.io/managed-by=kcau")["items"]

    def test_locked_then_recovered(self):
        c = self.cluster
        selector = {"matchLabels": {"kcau.io/cluster": "contoso-fc1"}}
        apply(c, run_manifest("first", nodeSelector=selector, nodeOrder=["node-1"],
                              maxFailedNodes=0, maxRetriesPerNode=0))
        run = c.wait_for_phase("first", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(status_nodes(run)["node-1"]["phase"], "Failed")
        self.assertTrue(node_map(c)["node-1"]["spec"].get("unschedulable"))
        leases = self.leases()
        self.assertEqual(len(leases), 1)
        self.assertTrue(leases[0]["spec"]["holderIdentity"].startswith("first/"))

        c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, "examples", "cmdlet-example-1.yaml"))
        deadline = time.time() + 20
        while time.time() < deadline:
            waiting = get_run(c, "contoso-fc1")
            progressing = condition(waiting, "Progressing") if "status" in waiting else None
            if progressing and progressing["reason"] == "Locked":
                break
            time.sleep(0.2)
        self.assertEqual(progressing["reason"], "Locked", waiting.get("status"))
        self.assertIn("node-1", progressing["message"])
        self.assertIn("forceRecovery", progressing["message"])
        time.sleep(2)
        self.assertNotIn(get_run(c, "contoso-fc1")["status"].get("phase"), ("Running",))

        c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, "examples", "cmdlet-example-3.yaml"))
        run = c.wait_for_phase("contoso-fc1-recovery", {"Succeeded", "Failed"}, timeout=90)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        self.assertEqual(status_nodes(run)["node-1"]["phase"], "Succeeded")
        reasons = [r for r, _ in events_of(c, "contoso-fc1-recovery")]
        self.assertIn("LockRecovered", reasons)
        # The waiting run takes the lock in turn and runs.
        run = c.wait_for_phase("contoso-fc1", {"Succeeded", "Failed"}, timeout=90)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        # The lock goes in the same pass as the final status write, just after it.
        deadline = time.time() + 10
        while self.leases() and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.leases(), [], "every lock released")
        assert_nobody_cordoned(self, c)


class Hooks(unittest.TestCase):
    """PreUpdateScript / PostUpdateScript / ConfigurationName as preUpdateHook,
    postUpdateHook and hookRunner: scripts from ConfigMaps, run by the node's agent as the
    given user and service account; a failing pre hook means the node is not updated; a
    missing ConfigMap, or a user or service account the controller's --hook-* flags do not
    allow, is refused before any node is touched."""

    CONFIGMAPS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cau-hooks, namespace: default}
data:
  pre.sh: |
    echo "moving the primary away"
    sleep 0.2
    exit 0
  post.sh: |
    echo "back"
    exit 0
  broken.sh: |
    echo "cannot reach the database"
    exit 3
"""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=2, sim_args=[
            "--update-delay-ms", "200", "--reboot-delay-ms", "300"],
            controller_args=["--hook-allowed-service-accounts", "cau-hooks"])
        self.cluster.kubectl_run("apply", "-f", "-", input=self.CONFIGMAPS)

    def tearDown(self):
        self.cluster.stop()

    def hooked(self, name, pre_key, hook_runner=None, **extra):
        return run_manifest(name, preUpdateHook={"configMap": "cau-hooks", "key": pre_key},
                            postUpdateHook={"configMap": "cau-hooks", "key": "post.sh"},
                            hookRunner=hook_runner or {"serviceAccountName": "cau-hooks",
                                                       "runAsUser": 1000},
                            **extra)

    def test_hooks(self):
        c = self.cluster
        boots = {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(c).items()}
        # A ConfigMap that does not exist: refused, naming the field; nothing touched.
        apply(c, run_manifest("typo", preUpdateHook={"configMap": "cau-hoks", "key": "pre.sh"}))
        run = c.wait_for_phase("typo", {"Succeeded", "Failed"}, timeout=30)
        self.assertIn('spec.preUpdateHook.configMap: configmap "cau-hoks" not found',
                      condition(run, "Failed")["message"])
        self.assertEqual(run["status"].get("nodes", []), [])

        # Whom hooks run as is the cluster admin's call: root, or a service account the
        # controller was not told to allow, is refused naming the field and the rule.
        apply(c, self.hooked("as-root", "pre.sh", hook_runner={"runAsUser": 0}))
        run = c.wait_for_phase("as-root", {"Succeeded", "Failed"}, timeout=30)
        failed = condition(run, "Failed")
        self.assertEqual(failed["reason"], "HookRunnerNotAllowed")
        self.assertIn("spec.hookRunner.runAsUser: uid 0 (root) is not allowed", failed["message"])
        self.assertIn("--hook-allow-root", failed["message"])
        self.assertEqual(run["status"].get("nodes", []), [])
        apply(c, self.hooked("other-sa", "pre.sh", hook_runner={"serviceAccountName": "admin"}))
        run = c.wait_for_phase("other-sa", {"Succeeded", "Failed"}, timeout=30)
        self.assertIn('spec.hookRunner.serviceAccountName: "admin" is not allowed',
                      condition(run, "Failed")["message"])
        # A name that is no service account's is refused by the API server's schema.
        refused = c.kubectl_run("apply", "-f", "-", check=False, input=self.hooked(
            "escape", "pre.sh", hook_runner={"serviceAccountName": "../../kube-system/admin"}))
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("spec.hookRunner.serviceAccountName", refused.stderr)
        for name, node in node_map(c).items():
            self.assertNotIn("kcau.io/hook-request", node["metadata"].get("annotations", {}))

        # The pre hook fails on every node: no node is cordoned, updated or rebooted.
        apply(c, self.hooked("broken", "broken.sh", maxRetriesPerNode=0, maxFailedNodes=1))
        run = c.wait_for_phase("broken", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Failed", run["status"])
        failed = [r for r in status_nodes(run).values() if r["phase"] == "Failed"]
        self.assertTrue(failed)
        self.assertIn("preUpdateHook failed: exit code 3", failed[0]["message"])
        for name, node in node_map(c).items():
            self.assertEqual(node["status"]["nodeInfo"]["bootID"], boots[name], name)
        assert_nobody_cordoned(self, c)

        # Working hooks: every node updated; the post hook ran last, as uid 1000.
        apply(c, self.hooked("hooked", "pre.sh"))
        run = c.wait_for_phase("hooked", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        for name, node in node_map(c).items():
            with self.subTest(node=name):
                self.assertNotEqual(node["status"]["nodeInfo"]["bootID"], boots[name])
                result = json.loads(node["metadata"]["annotations"]["kcau.io/hook-result"])
                self.assertTrue(result["token"].endswith("/post"), result)
                self.assertEqual(result["state"], "Succeeded")
                self.assertIn("uid 1000 with service account cau-hooks", result["message"])
        assert_nobody_cordoned(self, c)

        # A run that names no one: the controller's --hook-default-user, never root; and no
        # plug-in named: the default one, packages, as the cmdlet's. The nodes have nothing
        # left to install (a node with nothing is left alone, hooks and all): forceReboot
        # takes them anyway.
        defaulted = json.loads(run_manifest("defaulted", preUpdateHook={"configMap": "cau-hooks",
                                                                        "key": "pre.sh"},
                                            forceReboot=True))
        del defaulted["spec"]["plugins"]
        apply(c, json.dumps(defaulted))
        run = c.wait_for_phase("defaulted", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        for name, node in node_map(c).items():
            with self.subTest(node=name):
                annotations = node["metadata"]["annotations"]
                result = json.loads(annotations["kcau.io/hook-result"])
                self.assertTrue(result["token"].endswith("/pre"), result)
                self.assertIn("exit code 0, as uid 65534", result["message"])
                plugins = json.loads(annotations["kcau.io/update-plugins"])
                self.assertEqual([p["name"] for p in plugins], ["packages"])


class RebootModes(ScenarioCase):
    """RebootMode SoftReboot: the agent restarts with kexec where it can; node-1's updates
    include firmware, so it falls back to a full reboot and status says why."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 800ms}
nodes:
  - {name: node-1, firmwareUpdates: true}
  - {name: node-2}
"""

    def test_soft_reboot_and_its_fallback(self):
        c = self.cluster
        manifest = run_manifest("soft", rebootMode="SoftReboot")
        run, watcher = run_watching_boots(c, "soft", lambda: apply(c, manifest), timeout=60)
        assert_succeeded_each_node_once(self, run, watcher)
        nodes = status_nodes(run)
        self.assertEqual(nodes["node-2"]["rebootKind"], "soft")
        self.assertIn("(soft reboot)", nodes["node-2"]["message"])
        self.assertTrue(nodes["node-1"]["rebootKind"].startswith("full (soft reboot not possible"),
                        nodes["node-1"])


class PreflightChecks(ScenarioCase):
    """Before a node is taken: an agent must answer there and the node must report no
    resource pressure, or it is skipped (not failed), saying why; skipUpdateChecks takes it
    anyway."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {name: node-1}
  - {name: node-2, faults: {noAgent: true}}
  - {name: node-3, faults: {diskPressure: true}}
"""

    def test_checks_then_skip_them(self):
        c = self.cluster
        apply(c, run_manifest("checked"))
        run = c.wait_for_phase("checked", {"Succeeded", "Failed"}, timeout=60)
        nodes = status_nodes(run)
        self.assertEqual(nodes["node-1"]["phase"], "Succeeded")
        self.assertEqual(nodes["node-2"]["phase"], "Skipped")
        self.assertIn("no kcau-agent answers on this node (kcau.io/agent-version absent)",
                      nodes["node-2"]["message"])
        self.assertEqual(nodes["node-3"]["phase"], "Skipped")
        self.assertIn("DiskPressure", nodes["node-3"]["message"])
        assert_nobody_cordoned(self, c)

        before = node_map(c)["node-3"]["status"]["nodeInfo"]["bootID"]
        apply(c, run_manifest("unchecked", skipUpdateChecks=True, nodeSelector={
            "matchLabels": {"kubernetes.io/hostname": "node-3"}}))
        run = c.wait_for_phase("unchecked", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(status_nodes(run)["node-3"]["phase"], "Succeeded", run["status"])
        self.assertNotEqual(node_map(c)["node-3"]["status"]["nodeInfo"]["bootID"], before)


class ForceSelfUpdate(ScenarioCase):
    """An old agent is a pre-flight failure (the node is skipped); forceSelfUpdate rolls the
    agents' DaemonSet to the controller's version first, waits for every agent, then runs."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {name: node-1}
  - {name: node-2, agentVersion: 0.0.9}
"""

    def test_old_agents_skipped_then_rolled(self):
        c = self.cluster
        apply(c, run_manifest("as-is"))
        run = c.wait_for_phase("as-is", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(status_nodes(run)["node-2"]["phase"], "Skipped")
        self.assertIn("runs 0.0.9", status_nodes(run)["node-2"]["message"])

        apply(c, run_manifest("rolled", forceSelfUpdate=True))
        run = c.wait_for_phase("rolled", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        self.assertEqual(status_nodes(run)["node-2"]["phase"], "Succeeded")
        ds = c.get_json("daemonset", "kcau-agent", "-n", "default")
        wanted = ds["spec"]["template"]["metadata"]["annotations"]["kcau.io/agent-version"]
        self.assertEqual(node_map(c)["node-2"]["metadata"]["annotations"]["kcau.io/agent-version"],
                         wanted)


class FailbackPolicy(ScenarioCase):
    """failbackMode Policy: after each node is back, the workloads labelled
    kcau.io/failback=true get a pod evicted from their busiest node, so they spread back onto
    it; at the end every node runs one. (With Immediate the last node updated ends empty.)"""

    SCENARIO = """
podRestartDelay: 100ms
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {namePrefix: node-, count: 3}
workloads:
  - {kind: Deployment, name: web, replicas: 3, failback: true, pdb: {maxUnavailable: 1}}
"""

    def web_pods_per_node(self):
        pods = self.cluster.get_json("pods", "-n", "default", "-l", "app=web")["items"]
        counts = {}
        for p in pods:
            counts[p["spec"]["nodeName"]] = counts.get(p["spec"]["nodeName"], 0) + 1
        return counts

    def test_pods_spread_back(self):
        c = self.cluster
        apply(c, run_manifest("policy", failbackMode="Policy",
                              nodeOrder=["node-1", "node-2", "node-3"]))
        run = c.wait_for_phase("policy", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        deadline = time.time() + 10
        while time.time() < deadline and len(self.web_pods_per_node()) < 3:
            time.sleep(0.2)
        self.assertEqual(self.web_pods_per_node(), {"node-1": 1, "node-2": 1, "node-3": 1})
        metric = re.search(r'^kcau_evictions_total\{result="failback"\} (\d+)', c.metrics_text(),
                           re.MULTILINE)
        self.assertIsNotNone(metric, "failback evictions counted")


class ControllerKilledDuringDrain(ScenarioCase):
    """kill -9 of the controller while node-1 is draining behind a budget that blocks for a
    few seconds; a new controller picks the run up from its status: the drain finishes, every
    node is updated and rebooted exactly once, nothing is left cordoned."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 400ms}
nodes:
  - {namePrefix: node-, count: 3}
workloads:
  - kind: StatefulSet
    name: db
    namespace: data
    replicas: 1
    pdb: {maxUnavailable: 1}
    faults: {pdbBlocksFor: 6s}
"""

    def test_killed_mid_drain(self):
        c = self.cluster
        watcher = NodeBootWatcher(c.access)
        try:
            apply(c, run_manifest("survivor", nodeOrder=["node-1"]))
            StopMidRun.wait_draining(c, "survivor", "node-1")
            c.controller.kill()
            c.controller.wait(timeout=10)
            self.assertEqual(status_nodes(get_run(c, "survivor"))["node-1"]["phase"], "Draining")
            c.start_controller(name="controller-b")
            run = c.wait_for_phase("survivor", {"Succeeded", "Failed"}, timeout=90)
            time.sleep(0.5)
        finally:
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        assert_nobody_cordoned(self, c)


class OsRollingUpgrade(ScenarioCase):
    """osRollingUpgrade: the agents upgrade the node's OS image (and reboot into it) with the
    plug-ins' updates, one node at a time; asking for two at a time is refused."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {namePrefix: node-, count: 3}
"""

    def test_os_upgrade_one_node_at_a_time(self):
        c = self.cluster
        apply(c, run_manifest("too-fast", osRollingUpgrade=True, maxUnavailable=2))
        run = c.wait_for_phase("too-fast", {"Succeeded", "Failed"}, timeout=30)
        self.assertIn("spec.maxUnavailable: must be 1 with osRollingUpgrade",
                      condition(run, "Failed")["message"])

        manifest = run_manifest("os", osRollingUpgrade=True)
        run, watcher = run_watching_boots(c, "os", lambda: apply(c, manifest), timeout=60)
        assert_succeeded_each_node_once(self, run, watcher)
        for name, node in node_map(c).items():
            self.assertEqual(node["status"]["nodeInfo"]["osImage"],
                             "Debian GNU/Linux 13 (trixie)", name)
            self.assertEqual(status_nodes(run)[name]["updatesInstalled"], 4, "3 + the OS image")


class CmdletScan(ScenarioCase):
    """Invoke-CauScan as mode: Scan: every node reports what applies; nothing is cordoned,
    drained, installed or rebooted, and no run lock is taken."""

    SCENARIO = """
nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}
nodes:
  - {name: node-1, updates: {packages: 4, script: 1}}
  - {name: node-2, updates: {packages: 0}}
  - {name: node-3}
workloads:
  - {kind: Deployment, name: web, replicas: 3, pdb: {maxUnavailable: 1}}
"""

    def test_scan_changes_nothing(self):
        c = self.cluster
        before = node_map(c)
        pods_before = sorted(p["metadata"]["name"] for p in c.get_json("pods", "-A")["items"])
        apply(c, run_manifest("scan", mode="Scan",
                              plugins=[{"name": "packages"}, {"name": "script"}]))
        run = c.wait_for_phase("scan", {"Succeeded", "Failed"}, timeout=60)
        self.assertEqual(condition(run, "Succeeded")["reason"], "ScanCompleted", run["status"])
        found = {n: r.get("updatesFound", 0) for n, r in status_nodes(run).items()}
        self.assertEqual(found, {"node-1": 5, "node-2": 0, "node-3": 3})
        self.assertIn("8 updates apply on 2 node(s)", condition(run, "Succeeded")["message"])
        found = [m for r, m in events_of(c, "scan") if r == "UpdatesFound"]
        self.assertIn("node-1: 5 apply: openssl 3.0.15-1~deb12u1", " | ".join(found))
        after = node_map(c)
        for name in before:
            self.assertEqual(after[name]["status"]["nodeInfo"]["bootID"],
                             before[name]["status"]["nodeInfo"]["bootID"], name)
            self.assertFalse(after[name]["spec"].get("unschedulable", False), name)
        self.assertEqual(sorted(p["metadata"]["name"] for p in c.get_json("pods", "-A")["items"]),
                         pods_before, "no pod was evicted")
        self.assertEqual(c.get_json("leases", "-n", "default", "-l",
                                    "app.kubernetes.io/managed-by=kcau")["items"], [])


class WhatIfThenBatches(unittest.TestCase):
    """whatIf publishes the waves and touches nothing; the same run for real keeps
    maxUnavailable nodes in flight, never more."""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=6, sim_args=[
            "--update-delay-ms", "400", "--reboot-delay-ms", "800"])

    def tearDown(self):
        self.cluster.stop()

    def test_plan_then_run_two_at_a_time(self):
        c = self.cluster
        boots = {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(c).items()}
        apply(c, run_manifest("dry", whatIf=True, maxUnavailable=2))
        run = c.wait_for_phase("dry", {"Succeeded", "Failed"}, timeout=30)
        self.assertEqual(condition(run, "Succeeded")["reason"], "WhatIf")
        batches = run["status"]["batches"]
        self.assertEqual([len(b) for b in batches], [2, 2, 2])
        self.assertEqual(sorted(sum(batches, [])), sorted(boots))
        for n in run["status"]["nodes"]:
            self.assertEqual(n["phase"], "Pending")
            self.assertRegex(n["message"], r"would be updated in batch [123] of 3")
        for name, node in node_map(c).items():
            self.assertEqual(node["status"]["nodeInfo"]["bootID"], boots[name])
            self.assertNotIn("kcau.io/update-request", node["metadata"].get("annotations", {}))
        assert_nobody_cordoned(self, c)

        watcher = NodeBootWatcher(c.access)
        most = 0
        try:
            apply(c, run_manifest("real", maxUnavailable=2))
            deadline = time.time() + 120
            while time.time() < deadline:
                run = get_run(c, "real")
                nodes = run.get("status", {}).get("nodes", [])
                # Taken out of service: a node being scanned before it is taken is not.
                busy = [n for n in nodes if n["phase"] not in
                        ("Pending", "Scanning", "Succeeded", "Failed", "Skipped")]
                most = max(most, len(busy))
                if run.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                    break
                time.sleep(0.05)
            time.sleep(0.5)
        finally:
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        self.assertEqual(most, 2, "nodes in flight at once")
        assert_nobody_cordoned(self, c)


class DrainTimeout(ScenarioCase):
    """A budget that never allows the eviction: with drainTimeoutMinutes the node is given up
    after that long (uncordoned, failed, not counted as retries) and the run goes on."""

    def test_blocked_node_fails_after_the_timeout_and_is_uncordoned(self):
        c = self.cluster
        started = time.time()
        apply(c, run_manifest("bounded", nodeOrder=["node-1"], drainTimeoutMinutes=1,
                              maxFailedNodes=1))
        run = c.wait_for_phase("bounded", {"Succeeded", "Failed"}, timeout=150)
        self.assertGreaterEqual(time.time() - started, 59)
        nodes = status_nodes(run)
        self.assertEqual(nodes["node-1"]["phase"], "Failed")
        self.assertIn("drainTimeoutMinutes=1", nodes["node-1"]["message"])
        self.assertIn("uncordoned", nodes["node-1"]["message"])
        self.assertNotIn("attempts", nodes["node-1"])
        self.assertEqual(nodes["node-2"]["phase"], "Succeeded")
        self.assertEqual(nodes["node-3"]["phase"], "Succeeded")
        self.assertEqual(condition(run, "Succeeded")["reason"], "CompletedWithFailures")
        self.assertTrue(c.api_get("/api/v1/namespaces/data/pods/db-0"), "the pod was kept")
        assert_nobody_cordoned(self, c)


class DrainForceAndForceReboot(ScenarioCase):
    """drain: Force deletes the pod its budget protects (ForcePauseAndDrain); forceReboot
    reboots a node whose plug-ins asked for none (ForcePauseDrainAndReboot)."""

    SCENARIO = PINNED_DB.replace(
        "nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}",
        "nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms, rebootRequired: false}")

    def test_forced_drain_and_reboot(self):
        c = self.cluster
        manifest = run_manifest("forced", drain="Force", forceReboot=True)
        run, watcher = run_watching_boots(c, "forced", lambda: apply(c, manifest), timeout=90)
        assert_succeeded_each_node_once(self, run, watcher)
        reasons = [r for r, _ in events_of(c, "forced")]
        self.assertIn("DrainForced", reasons)
        # The titles are in each node's outcome Event, staging with them (no Event of their
        # own: one write per node).
        installed = [m for r, m in events_of(c, "forced") if r == "NodeUpdated"]
        self.assertEqual(len(installed), 3, installed)
        self.assertNotIn("UpdatesInstalled", reasons)
        staged = [m for m in installed if " installed (staged first): " in m]
        self.assertEqual(len(staged), 3, installed)
        self.assertIn("openssl 3.0.15-1~deb12u1", installed[0])
        deleted = re.search(r'^kcau_evictions_total\{result="deleted"\} (\d+)', c.metrics_text(),
                            re.MULTILINE)
        self.assertIsNotNone(deleted, "no forced deletion counted")
        self.assertGreaterEqual(int(deleted.group(1)), 1)
        assert_nobody_cordoned(self, c)


class SilentAgents(ScenarioCase):
    """Agents that never answer (kcau-sim's agentSilent: the agent says it runs but answers no
    request). With agentTimeoutMinutes 1 and no retry: node-2, taken at once by forceReboot
    (no scan first), is cordoned and drained, then given up and uncordoned, its request
    withdrawn; node-4's scan, asked before it is taken, gets no answer, so it is never
    cordoned. Both fail naming the agent's silence; each run goes on with its other node.
    The two runs hold disjoint nodes, so they run at once."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {name: node-1, labels: {pool: forced}}
  - {name: node-2, labels: {pool: forced}, faults: {agentSilent: true}}
  - {name: node-3, labels: {pool: scanned}}
  - {name: node-4, labels: {pool: scanned}, faults: {agentSilent: true}}
workloads:
  - {kind: Deployment, name: web, replicas: 4, pdb: {maxUnavailable: 1}}
"""

    def test_silent_agents_are_given_up_and_nothing_stays_drained(self):
        c = self.cluster
        boots = {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(c).items()}
        common = dict(agentTimeoutMinutes=1, maxRetriesPerNode=0, maxFailedNodes=1)
        watcher = NodeBootWatcher(c.access)
        started = time.time()
        try:
            apply(c, run_manifest("forced", forceReboot=True, nodeOrder=["node-2", "node-1"],
                                  nodeSelector={"matchLabels": {"pool": "forced"}}, **common))
            apply(c, run_manifest("scanned", nodeOrder=["node-4", "node-3"],
                                  nodeSelector={"matchLabels": {"pool": "scanned"}}, **common))
            forced = c.wait_for_phase("forced", {"Succeeded", "Failed"}, timeout=150)
            scanned = c.wait_for_phase("scanned", {"Succeeded", "Failed"}, timeout=60)
            time.sleep(0.5)
        finally:
            watcher.stop()
        self.assertGreaterEqual(time.time() - started, 59, "given up before agentTimeoutMinutes")

        node2 = status_nodes(forced)["node-2"]
        self.assertEqual(node2["phase"], "Failed", forced["status"])
        self.assertRegex(node2["message"],
                         r"^no answer from kcau-agent: update request forced/[^ ]+/node-2/1 got "
                         r"no result within agentTimeoutMinutes=1 \(attempt 1 of 1\); "
                         r"uncordoned, back in service$")
        self.assertTrue(watcher.unschedulable_seen.get("node-2"), "node-2 was never taken")
        annotations = node_map(c)["node-2"]["metadata"].get("annotations", {})
        self.assertNotIn("kcau.io/update-request", annotations, "the request was not withdrawn")
        self.assertEqual(status_nodes(forced)["node-1"]["phase"], "Succeeded")
        self.assertEqual(condition(forced, "Succeeded")["reason"], "CompletedWithFailures")

        node4 = status_nodes(scanned)["node-4"]
        self.assertEqual(node4["phase"], "Failed", scanned["status"])
        self.assertIn("no answer from kcau-agent: scan request", node4["message"])
        self.assertIn("the node was not cordoned", node4["message"])
        self.assertFalse(watcher.unschedulable_seen.get("node-4"), "node-4 was cordoned")
        self.assertEqual(status_nodes(scanned)["node-3"]["phase"], "Succeeded")

        after = node_map(c)
        for name in ("node-2", "node-4"):
            self.assertEqual(after[name]["status"]["nodeInfo"]["bootID"], boots[name], name)
        for name in ("node-1", "node-3"):
            self.assertNotEqual(after[name]["status"]["nodeInfo"]["bootID"], boots[name], name)
        assert_nobody_cordoned(self, c)


class NothingToInstall(ScenarioCase):
    """A node whose agent's scan finds nothing is left alone (kured and FLUO disrupt only the
    nodes that need it): Skipped, "no updates apply", never cordoned, drained or rebooted.
    A second run, with every node up to date, ends Succeeded, NothingToUpdate."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {name: node-1}
  - {name: node-2, updates: {packages: 0}}
  - {name: node-3}
workloads:
  - {kind: Deployment, name: web, replicas: 3, pdb: {maxUnavailable: 1}}
"""

    def pods_on(self, node):
        return sorted(p["metadata"]["name"] for p in self.cluster.get_json(
            "pods", "-A", "--field-selector", f"spec.nodeName={node}")["items"])

    def test_up_to_date_nodes_are_not_disrupted(self):
        c = self.cluster
        boots = {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(c).items()}
        pods_before = self.pods_on("node-2")
        self.assertTrue(pods_before)
        run, watcher = run_watching_boots(c, "patch", lambda: apply(c, run_manifest("patch")),
                                          timeout=60)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        nodes = status_nodes(run)
        self.assertEqual(nodes["node-2"]["phase"], "Skipped")
        self.assertEqual(nodes["node-2"]["message"], "no updates apply")
        self.assertNotIn("attempts", nodes["node-2"])
        self.assertFalse(watcher.unschedulable_seen.get("node-2"), "node-2 was cordoned")
        self.assertEqual(watcher.boot_ids["node-2"], [boots["node-2"]])
        # Pods evicted elsewhere may come here; none of node-2's own went.
        self.assertLessEqual(set(pods_before), set(self.pods_on("node-2")), "node-2 was drained")
        for name in ("node-1", "node-3"):
            with self.subTest(node=name):
                self.assertEqual(nodes[name]["phase"], "Succeeded")
                self.assertEqual(len(watcher.boot_ids[name]), 2)
        done = condition(run, "Succeeded")
        self.assertEqual(done["reason"], "Completed")
        self.assertEqual(done["message"], "2 of 3 nodes updated; no updates apply on node-2")

        again, watcher = run_watching_boots(c, "again", lambda: apply(c, run_manifest("again")),
                                            timeout=60)
        self.assertEqual(again["status"]["phase"], "Succeeded", again["status"])
        self.assertEqual(condition(again, "Succeeded")["reason"], "NothingToUpdate")
        for name, r in status_nodes(again).items():
            self.assertEqual(r["message"], "no updates apply", name)
            self.assertFalse(watcher.unschedulable_seen.get(name), name)
            self.assertEqual(len(watcher.boot_ids[name]), 1, name)
        assert_nobody_cordoned(self, c)


class NoAgents(ScenarioCase):
    """A cluster where no kcau-agent runs: the run updates nothing, so it does not end
    Succeeded; it ends Failed, reason NoNodeUpdated, and each node says why."""

    SCENARIO = """
nodeDefaults: {updateDuration: 200ms, rebootDuration: 300ms}
nodes:
  - {name: node-1, faults: {noAgent: true}}
  - {name: node-2, faults: {noAgent: true}}
  - {name: node-3, faults: {noAgent: true}}
"""

    def test_run_without_agents_fails_saying_why(self):
        c = self.cluster
        apply(c, run_manifest("nobody-home"))
        c.kubectl_run("wait", "--for=condition=Failed", "updaterun/nobody-home", "--timeout=30s",
                      timeout=40)
        run = get_run(c, "nobody-home")
        self.assertEqual(run["status"]["phase"], "Failed")
        failed = condition(run, "Failed")
        self.assertEqual(failed["reason"], "NoNodeUpdated")
        self.assertTrue(failed["message"].startswith("none of the 3 nodes was updated; "),
                        failed["message"])
        self.assertEqual(condition(run, "Succeeded")["status"], "False")
        for name, r in status_nodes(run).items():
            with self.subTest(node=name):
                self.assertEqual(r["phase"], "Skipped")
                self.assertIn("no kcau-agent answers on this node (kcau.io/agent-version absent)",
                              r["message"])
        assert_nobody_cordoned(self, c)


class StopMidRun(ScenarioCase):
    """stopAfter and stop: no new node starts, the node held up draining is put back in
    service, and the run ends Failed with the reason; nothing is left cordoned."""

    def check_stopped(self, run, reason):
        c = self.cluster
        self.assertEqual(run["status"]["phase"], "Failed")
        self.assertEqual(condition(run, "Failed")["reason"], reason)
        nodes = status_nodes(run)
        self.assertEqual(nodes["node-2"]["phase"], "Succeeded")
        self.assertEqual(nodes["node-1"]["phase"], "Skipped")
        self.assertIn("uncordoned", nodes["node-1"]["message"])
        self.assertEqual(nodes["node-3"]["phase"], "Skipped")
        self.assertNotIn("startTime", nodes["node-3"], "node-3 was never started")
        assert_nobody_cordoned(self, c)

    def test_stop_after(self):
        c = self.cluster
        apply(c, run_manifest("timed", nodeOrder=["node-2", "node-1", "node-3"],
                              stopAfter="12s"))
        run = c.wait_for_phase("timed", {"Succeeded", "Failed"}, timeout=60)
        self.check_stopped(run, "StopAfterReached")
        self.assertIn("stopAfter 12s reached", condition(run, "Failed")["message"])

    def test_stop_by_editing_the_run(self):
        c = self.cluster
        apply(c, run_manifest("manual", nodeOrder=["node-2", "node-1", "node-3"]))
        self.wait_draining(c, "manual", "node-1")
        c.kubectl_run("patch", "updaterun", "manual", "--type=merge", "-p",
                      '{"spec":{"stop":true}}')
        run = c.wait_for_phase("manual", {"Succeeded", "Failed"}, timeout=30)
        self.check_stopped(run, "Cancelled")

    def test_delete_mid_run(self):
        """kubectl delete of an active run: kcau's finalizer holds it until the node held up
        draining is back in service; then the run and its lock are gone."""
        c = self.cluster
        apply(c, run_manifest("doomed", nodeOrder=["node-2", "node-1", "node-3"]))
        self.wait_draining(c, "doomed", "node-1")
        self.assertIn("kcau.io/run-cleanup", get_run(c, "doomed")["metadata"]["finalizers"])
        c.kubectl_run("delete", "updaterun", "doomed", "--timeout=30s")
        self.assertNotIn("doomed", c.kubectl_run("get", "updateruns", "-o", "name").stdout)
        assert_nobody_cordoned(self, c)
        self.assertEqual(c.get_json("leases", "-n", "default", "-l",
                                    "app.kubernetes.io/managed-by=kcau")["items"], [])
        reasons = [r for r, _ in events_of(c, "doomed")]
        self.assertIn("NodeSkipped", reasons)
        self.assertIn("RunFailed", reasons)

    @staticmethod
    def wait_draining(c, run_name, node):
        deadline = time.time() + 60
        while time.time() < deadline:
            run = get_run(c, run_name)
            nodes = status_nodes(run) if "status" in run else {}
            if nodes.get(node, {}).get("phase") == "Draining":
                return
            time.sleep(0.1)
        raise AssertionError(f"{node} never seen Draining in {run_name}")


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
