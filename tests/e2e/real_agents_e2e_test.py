"""End to end with the real node agent: kcau-sim runs the kcau-agent binary for every node
(scenario `agent: real`, kcau-sim --real-agents), each chrooted into a busybox root of its
own; the real kcau-controller signs the requests, the agents verify them, run the real
plug-ins and hook scripts there, keep their journal on that disk and ask kcau-sim to reboot.

Usage: real_agents_e2e_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import json
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, NodeBootWatcher, node_map, status_nodes  # noqa: E402

BUILD_DIR = None
SOURCE_DIR = None


def real_cluster(scenario, **kwargs):
    directory = tempfile.mkdtemp(prefix="kcau-scenario-")
    path = os.path.join(directory, "cluster.yaml")
    with open(path, "w") as f:
        f.write(scenario)
    cluster = Cluster(BUILD_DIR, sim_args=["--scenario", path], real_agents=True, **kwargs)
    cluster.wait_agents_announced()
    return cluster


def run_manifest(name, plugins, **spec):
    doc = {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun", "metadata": {"name": name},
           "spec": {"plugins": plugins}}
    doc["spec"].update(spec)
    return json.dumps(doc)


def run_to_end(cluster, manifest, name, timeout=90, during=None):
    """Applies `manifest`, calls during() (if given) while the run goes on, and waits for the
    run to end; returns the ended run and every node's boot IDs seen meanwhile."""
    watcher = NodeBootWatcher(cluster.access)
    try:
        time.sleep(0.3)  # the watcher has listed the nodes' current boot IDs
        cluster.kubectl_run("apply", "-f", "-", input=manifest)
        if during:
            during()
        run = cluster.wait_for_phase(name, {"Succeeded", "Failed"}, timeout=timeout)
        time.sleep(0.5)
    finally:
        watcher.stop()
    return run, watcher.boot_ids


def read_root(cluster, node, path):
    with open(os.path.join(cluster.agent_root(node), path.lstrip("/")), errors="replace") as f:
        return f.read()


def root_has(cluster, node, path):
    return os.path.lexists(os.path.join(cluster.agent_root(node), path.lstrip("/")))


class RealAgentCase(unittest.TestCase):
    SCENARIO = None
    CONTROLLER_ARGS = ()

    def setUp(self):
        self.cluster = real_cluster(self.SCENARIO, controller_args=list(self.CONTROLLER_ARGS))

    def tearDown(self):
        self.cluster.stop()  # and the RBAC check of the controller's and the agents' requests

    def assert_rebooted_once(self, node, run, boot_ids, before):
        """One full reboot: one new boot ID, on the Node and on the node's disk alike; after
        it the controller verified with a second round, which found nothing more, and the
        agent's journal says it answered that request."""
        c = self.cluster
        self.assertEqual(len(boot_ids[node]), 2, f"boot IDs of {node}: {boot_ids[node]}")
        now = node_map(c)[node]["status"]["nodeInfo"]["bootID"]
        self.assertNotEqual(now, before[node])
        self.assertEqual(read_root(c, node, "/run/kcau-sim/boot_id").strip(), now)
        status = status_nodes(run)[node]
        self.assertEqual(status["phase"], "Succeeded", status)
        self.assertEqual(status["attempts"], 1, status)
        self.assertTrue(status.get("rebooted"), status)
        self.assertTrue(status.get("rebootKind", "").startswith("full"), status)
        self.assertEqual(status["round"], 2, status)
        journal = c.agent_journal(node)
        self.assertEqual((journal["token"], journal["step"]), (status["requestToken"], "done"))
        self.assertIn(f"sim: real agent on {node} asked for a full reboot", c.log_text("sim"))

    def assert_not_rebooted(self, node, boot_ids, before):
        self.assertEqual(boot_ids[node], [before[node]], node)
        self.assertEqual(read_root(self.cluster, node, "/run/kcau-sim/boot_id").strip(),
                         before[node])

    def boot_ids_now(self):
        return {n: v["status"]["nodeInfo"]["bootID"] for n, v in node_map(self.cluster).items()}


class RealAgentRebootRequired(RealAgentCase):
    """The reboot-required plug-in in three real agents: the nodes whose disk has
    /run/reboot-required are rebooted once, the other is not, and the run succeeds."""

    SCENARIO = """
nodeDefaults: {agent: real, rebootDuration: 500ms}
nodes:
  - name: node-1
    files: {"/run/reboot-required": "*** System restart required ***\\n"}
  - name: node-2
  - name: node-3
    files: {"/var/run/reboot-required": "", "/run/reboot-required.pkgs": "libc6\\n"}
workloads:
  - {kind: Deployment, name: web, replicas: 3, pdb: {maxUnavailable: 1}}
"""

    def test_sentinel_nodes_rebooted_once(self):
        c = self.cluster
        before = self.boot_ids_now()
        run, boot_ids = run_to_end(c, run_manifest("sentinel", [{"name": "reboot-required"}]),
                                   "sentinel")
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        nodes = status_nodes(run)
        for node in ("node-1", "node-3"):
            with self.subTest(node=node):
                self.assert_rebooted_once(node, run, boot_ids, before)
                # The reboot emptied /run (a tmpfs), and the sentinel with it: the second
                # round found nothing to reboot for.
                self.assertFalse(root_has(c, node, "/run/reboot-required"))
        # node-2's agent scanned and found nothing: the node was never taken (no cordon,
        # no drain, no install request), so no journal of an install either.
        quiet = nodes["node-2"]
        self.assertEqual(quiet["phase"], "Skipped", quiet)
        self.assertEqual(quiet.get("message"), "no updates apply", quiet)
        self.assertFalse(quiet.get("rebooted"), quiet)
        self.assert_not_rebooted("node-2", boot_ids, before)
        self.assertFalse(root_has(c, "node-2", "/var/lib/kcau/update.json"))


class RealAgentFailingPreHook(RealAgentCase):
    """A pre-update hook from a ConfigMap, run by the real agent with the real busybox sh:
    it fails on node-2 only, which is then not updated, and the script's own output is in
    the node's message."""

    SCENARIO = """
nodeDefaults: {agent: real, rebootDuration: 500ms, files: {"/run/reboot-required": ""}}
nodes:
  - {namePrefix: node-, count: 3}
"""
    HOOKS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: hooks, namespace: default}
data:
  pre.sh: |
    if [ "$KCAU_NODE" = node-2 ]; then
      echo "cannot move the primary off $KCAU_NODE (uid $(id -u))"
      exit 3
    fi
    echo "primary moved off $KCAU_NODE" > /tmp/pre-hook-ran
"""

    def test_failing_hook_leaves_its_node_alone(self):
        c = self.cluster
        c.kubectl_run("apply", "-f", "-", input=self.HOOKS)
        before = self.boot_ids_now()
        manifest = run_manifest("hooked", [{"name": "reboot-required"}],
                                preUpdateHook={"configMap": "hooks", "key": "pre.sh"},
                                maxRetriesPerNode=0, maxFailedNodes=1)
        run, boot_ids = run_to_end(c, manifest, "hooked")
        nodes = status_nodes(run)
        failed = nodes["node-2"]
        self.assertIn(failed["phase"], ("Failed", "Skipped"), failed)
        self.assertIn("exit code 3", failed["message"])
        # The script's own words, as the real agent ran it (as the default hook user).
        self.assertIn("cannot move the primary off node-2 (uid 65534)", failed["message"])
        self.assert_not_rebooted("node-2", boot_ids, before)
        self.assertFalse(root_has(c, "node-2", "/var/lib/kcau/update.json"),
                         "node-2's agent was never asked to update")
        self.assertTrue(root_has(c, "node-2", "/run/reboot-required"))
        self.assertFalse(node_map(c)["node-2"]["spec"].get("unschedulable", False))
        for node in ("node-1", "node-3"):
            with self.subTest(node=node):
                self.assertEqual(read_root(c, node, "/tmp/pre-hook-ran"),
                                 f"primary moved off {node}\n")
                self.assert_rebooted_once(node, run, boot_ids, before)


# A hotfix folder for the script plug-in (agent/plugins/hotfix_manifest.h): root-owned, not
# writable by others, scripts executable.
SLOW_HOTFIX = """
nodes:
  - name: node-1
    agent: real
    rebootDuration: 500ms
    files:
      /opt/hotfix/kcau-hotfix.yaml: |
        - script: 01-slow.sh
          reboot: true
      /opt/hotfix/01-slow.sh:
        mode: "0755"
        content: |
          #!/bin/sh
          echo started >> /var/lib/hotfix.log
          touch /tmp/hotfix-started
          sleep 3
          echo finished >> /var/lib/hotfix.log
"""


class RealAgentKilledMidUpdate(RealAgentCase):
    """The agent SIGKILLed while its node is Updating (its hotfix script half run): kcau-sim
    restarts it, as the DaemonSet would, and the restarted agent finishes the same request
    from its journal with a single reboot."""

    SCENARIO = SLOW_HOTFIX

    def test_killed_agent_finishes_without_a_second_reboot(self):
        c = self.cluster
        before = self.boot_ids_now()
        first_pid = c.agent_pid("node-1")
        killed = {}

        def kill_mid_install():
            deadline = time.time() + 30
            while not root_has(c, "node-1", "/tmp/hotfix-started"):
                if time.time() > deadline:
                    raise AssertionError("the hotfix script never started\n" + c.logs())
                time.sleep(0.05)
            run = c.api_get("/apis/kcau.io/v1alpha1/updateruns/slow")
            killed["phase"] = status_nodes(run)["node-1"]["phase"]
            killed["journal"] = c.agent_journal("node-1")["step"]
            os.kill(first_pid, signal.SIGKILL)

        manifest = run_manifest("slow", [{"name": "script",
                                          "arguments": {"path": "/opt/hotfix"}}])
        run, boot_ids = run_to_end(c, manifest, "slow", during=kill_mid_install)
        self.assertEqual(killed, {"phase": "Updating", "journal": "installing"})
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        self.assert_rebooted_once("node-1", run, boot_ids, before)
        self.assertNotEqual(c.agent_pid("node-1"), first_pid)
        # The killed agent's script died with it (as with its pod's cgroup); the restarted
        # agent ran the hotfix to its end once, and recorded it as applied.
        self.assertEqual(read_root(c, "node-1", "/var/lib/hotfix.log").count("finished"), 1)
        self.assertEqual(len(os.listdir(os.path.join(c.agent_root("node-1"),
                                                      "var/lib/kcau/hotfixes"))), 1)
        self.assertIn("sim: real agent on node-1 (pid %d) exited: signal 9" % first_pid,
                      c.log_text("sim"))


class RealAgentHotfixFolder(RealAgentCase):
    """The script plug-in's hotfix folder on two real nodes: applied once, in the manifest's
    order, with the reboot one script asks for; a second run finds nothing to apply."""

    SCENARIO = """
nodeDefaults:
  agent: real
  rebootDuration: 500ms
  files:
    /opt/hotfix/kcau-hotfix.yaml: |
      - script: 01-sysctl.sh
      - script: 02-kernel.sh
        installerTimeoutMinutes: 1
        reboot: true
    /opt/hotfix/01-sysctl.sh: {mode: "0755", content: "#!/bin/sh\\necho 01 >> /var/lib/applied\\n"}
    /opt/hotfix/02-kernel.sh: {mode: "0700", content: "#!/bin/sh\\necho 02 >> /var/lib/applied\\n"}
nodes:
  - {namePrefix: node-, count: 2}
"""

    def test_applied_once(self):
        c = self.cluster
        plugins = [{"name": "script", "arguments": {"path": "/opt/hotfix"}}]
        before = self.boot_ids_now()
        run, boot_ids = run_to_end(c, run_manifest("hotfix", plugins), "hotfix")
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        for node in ("node-1", "node-2"):
            with self.subTest(node=node):
                self.assert_rebooted_once(node, run, boot_ids, before)
                # Each script once, in the manifest's order, each recorded as applied.
                self.assertEqual(read_root(c, node, "/var/lib/applied"), "01\n02\n")
                self.assertEqual(len(os.listdir(os.path.join(c.agent_root(node),
                                                              "var/lib/kcau/hotfixes"))), 2)

        # Applied is applied: the next run installs nothing and reboots nobody.
        before = self.boot_ids_now()
        run, boot_ids = run_to_end(c, run_manifest("hotfix-again", plugins), "hotfix-again")
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        for node in ("node-1", "node-2"):
            with self.subTest(node=node, run="again"):
                self.assert_not_rebooted(node, boot_ids, before)
                self.assertEqual(read_root(c, node, "/var/lib/applied"), "01\n02\n")
                self.assertEqual(c.agent_journal(node)["step"], "done")


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
