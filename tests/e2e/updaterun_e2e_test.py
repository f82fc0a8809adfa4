"""End to end: kcau-sim + kcau-controller + the real kubectl (and promtool).

Usage: updaterun_e2e_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, NodeBootWatcher, assert_succeeded_each_node_once,  # noqa: E402
                     condition, free_port, make_signing_keys, node_map, settled_events,
                     status_nodes, wait_file)

BUILD_DIR = None
SOURCE_DIR = None

BASIC_EXAMPLE = "examples/updaterun-basic.yaml"


class UpdateRunSucceeds(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3,
                               sim_args=["--update-delay-ms", "300", "--reboot-delay-ms", "600"])

    def tearDown(self):
        self.cluster.stop()

    def test_every_node_updated_rebooted_once_and_uncordoned(self):
        c = self.cluster
        before = {name: n["status"]["nodeInfo"]["bootID"] for name, n in node_map(c).items()}
        self.assertEqual(len(before), 3)
        watcher = NodeBootWatcher(c.access)
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            c.kubectl_run("wait", "--for=condition=Succeeded", "updaterun/patch-tuesday",
                          "--timeout=90s", timeout=100)
            time.sleep(0.5)  # let the watcher see the last node event
        finally:
            watcher.stop()

        run = c.get_json("updaterun", "patch-tuesday")
        self.assertEqual(run["status"]["phase"], "Succeeded")
        self.assertEqual(condition(run, "Succeeded")["status"], "True")
        self.assertEqual(condition(run, "Progressing")["status"], "False")
        self.assertEqual(run["status"]["nodesSucceeded"], 3)
        results = status_nodes(run)
        after = node_map(c)
        for name in before:
            with self.subTest(node=name):
                r = results[name]
                self.assertEqual(r["phase"], "Succeeded")
                self.assertEqual(r["attempts"], 1)
                self.assertTrue(r["rebooted"])
                self.assertNotEqual(after[name]["status"]["nodeInfo"]["bootID"], before[name])
                # Rebooted exactly once: one new boot ID seen over the whole run.
                self.assertEqual(len(watcher.boot_ids[name]), 2, watcher.boot_ids[name])
                self.assertTrue(watcher.unschedulable_seen.get(name), "never cordoned")
                self.assertFalse(after[name]["spec"].get("unschedulable", False))

        # kubectl get shows the printer columns.
        table = c.kubectl_run("get", "updaterun").stdout
        self.assertIn("PHASE", table)
        self.assertIn("Succeeded", table)

        # The metrics endpoint passes promtool and reports the run.
        metrics = c.metrics_text()
        self.assertIn('kcau_updateruns{phase="Succeeded"} 1', metrics)
        self.assertIn('controller_runtime_reconcile_total{controller="updaterun"', metrics)
        with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as f:
            f.write(metrics)
        try:
            with open(f.name) as src:
                check = subprocess.run(["promtool", "check", "metrics"], stdin=src,
                                       capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        finally:
            os.unlink(f.name)

        # The controller started itself again with smaller per-thread malloc caches
        # (controller/malloc_tuning.h): the same process, the setting in its environment.
        with open(f"/proc/{c.controller.pid}/environ", "rb") as f:
            environ = f.read().split(b"\0")
        self.assertIn(b"GLIBC_TUNABLES=glibc.malloc.tcache_count=2", environ)
        self.assertTrue(os.readlink(f"/proc/{c.controller.pid}/exe").endswith("kcau-controller"))
        # Under its own name still (ps, top, pidof), not "exe".
        with open(f"/proc/{c.controller.pid}/comm") as f:
            self.assertEqual(f.read().strip(), "kcau-controller")
        # Its threads named after their jobs, for top -H and perf (docs/operating.md).
        threads = set()
        for task in os.listdir(f"/proc/{c.controller.pid}/task"):
            with open(f"/proc/{c.controller.pid}/task/{task}/comm") as f:
                threads.add(f.read().strip())
        self.assertLessEqual({"kcau-controller", "reconcile", "resync", "inf/updateruns",
                              "inf/nodes", "inf/pods", "node-writes", "drains", "uncordons",
                              "pass-actions", "events", "metrics-http"}, threads)

        # The bearer token never reaches the controller's log.
        with open(os.path.join(c.dir, "controller.log"), errors="replace") as log:
            self.assertNotIn(c.access.token, log.read())

        # Events were published for the run.
        events = settled_events(c, "-n", "default")
        reasons = {e["reason"] for e in events
                   if e["involvedObject"].get("name") == "patch-tuesday"}
        self.assertTrue({"RunStarted", "NodeUpdated", "RunSucceeded"} <= reasons, reasons)

        # kstatus: Ready, and a spec edit of the ended run is observed (every condition at the
        # new generation) so kubectl wait returns at once instead of hanging; Argo CD's health
        # check (the real Lua) reads the live object as Healthy.
        c.kubectl_run("wait", "--for=condition=Ready", "updaterun/patch-tuesday",
                      "--timeout=10s", timeout=20)
        c.kubectl_run("patch", "updaterun", "patch-tuesday", "--type=merge",
                      "-p", '{"spec":{"maxRetriesPerNode":2}}')
        c.kubectl_run("wait", "--for=jsonpath={.status.observedGeneration}=2",
                      "updaterun/patch-tuesday", "--timeout=20s", timeout=30)
        c.kubectl_run("wait", "--for=condition=Ready", "updaterun/patch-tuesday",
                      "--timeout=10s", timeout=20)
        c.kubectl_run("wait", "--for=condition=Succeeded", "updaterun/patch-tuesday",
                      "--timeout=10s", timeout=20)
        run = c.get_json("updaterun", "patch-tuesday")
        self.assertEqual(run["status"]["phase"], "Succeeded")
        for cond in run["status"]["conditions"]:
            self.assertEqual(cond["observedGeneration"], 2, cond["type"])
        self.assertEqual(condition(run, "Stalled")["status"], "False")
        self.assertEqual(condition(run, "Reconciling")["status"], "False")
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
        import argocd_health_test  # noqa: E402
        argocd_health_test.SOURCE_DIR = SOURCE_DIR
        self.assertEqual(argocd_health_test.health(run)[0], "Healthy")


class ControllerKilledMidRun(unittest.TestCase):
    """SIGKILL the controller while a node is in flight; a new one must finish the run from
    what the API server holds: no node updated or rebooted twice, none left cordoned."""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3,
                               sim_args=["--update-delay-ms", "800", "--reboot-delay-ms", "800"])

    def tearDown(self):
        self.cluster.stop()

    def test_restarted_controller_resumes(self):
        c = self.cluster
        watcher = NodeBootWatcher(c.access)
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            # Wait until the second node is in flight, then kill -9.
            deadline = time.time() + 60
            while time.time() < deadline:
                run = c.api_get("/apis/kcau.io/v1alpha1/updateruns/patch-tuesday")
                phases = [n["phase"] for n in run.get("status", {}).get("nodes", [])]
                if phases.count("Succeeded") == 1 and any(
                        p in ("Draining", "Updating", "Rebooting") for p in phases):
                    break
                time.sleep(0.1)
            else:
                self.fail(f"run never reached its second node: {phases}")
            c.controller.kill()
            c.controller.wait()
            c.start_controller()
            run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=90)
            time.sleep(0.5)
        finally:
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        for name, node in node_map(c).items():
            self.assertFalse(node["spec"].get("unschedulable", False), f"{name} left cordoned")


LEADER_FLAGS = ["--leader-elect", "--leader-elect-lease-duration-seconds", "3",
                "--leader-elect-renew-deadline-seconds", "2",
                "--leader-elect-retry-period-seconds", "1"]


class LeaderFailover(unittest.TestCase):
    """Two replicas, one acts; kill -9 the leader mid-run and the standby finishes the run,
    redoing no node (the takeover time is printed, not asserted: tests never assert on wall
    time); SIGTERM releases the lease at once."""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3,
                               sim_args=["--update-delay-ms", "800", "--reboot-delay-ms", "800"],
                               controller_args=LEADER_FLAGS + ["--leader-elect-id", "a"])

    def tearDown(self):
        self.cluster.stop()

    def lease(self):
        return self.cluster.api_get(
            "/apis/coordination.k8s.io/v1/namespaces/default/leases/kcau-controller")["spec"]

    def wait_holder(self, who, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.lease().get("holderIdentity") == who:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.fail(f"lease never held by {who!r}: {self.lease()}")

    def test_standby_takes_over_and_lease_is_released(self):
        c = self.cluster
        self.wait_holder("a")
        standby = c.start_controller(LEADER_FLAGS + ["--leader-elect-id", "b"],
                                     name="controller-b", metrics_port=free_port())
        standby_port = int(standby.args[standby.args.index("--metrics-addr") + 1].split(":")[1])
        time.sleep(1.5)
        self.assertEqual(self.lease()["holderIdentity"], "a", "the standby must not take over")
        # Both replicas are ready (warm caches); /readyz says which one leads.
        leader_status, leader_body = readyz(c.metrics_port)
        standby_status, standby_body = readyz(standby_port)
        self.assertEqual((leader_status, standby_status), (200, 200), leader_body + standby_body)
        self.assertIn("[+]leader-election leading", leader_body)
        self.assertIn("[+]leader-election standby", standby_body)
        watcher = NodeBootWatcher(c.access)
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            deadline = time.time() + 60
            phases = []
            while time.time() < deadline:
                run = c.api_get("/apis/kcau.io/v1alpha1/updateruns/patch-tuesday")
                phases = [n["phase"] for n in run.get("status", {}).get("nodes", [])]
                if phases.count("Succeeded") == 1:
                    break
                time.sleep(0.1)
            else:
                self.fail(f"first node never finished: {phases}")
            killed_at = time.time()
            c.controller.kill()
            c.controller.wait()
            self.wait_holder("b", timeout=15)
            took_over = time.time() - killed_at
            run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=90)
            time.sleep(0.5)
        finally:
            watcher.stop()
        print(f"standby took over {took_over:.1f}s after the leader was killed "
              f"(lease duration 3s)")
        assert_succeeded_each_node_once(self, run, watcher)
        self.assertGreaterEqual(self.lease()["leaseTransitions"], 1)
        standby.terminate()
        standby.wait(timeout=10)
        self.assertEqual(self.lease()["holderIdentity"], "", "SIGTERM must release the lease")


class ApiFaultStorm(unittest.TestCase):
    """One API request in twenty fails (500, 429 with Retry-After, or both) and every watch is
    cut after 2 s: the run still completes, and no node is redone or left cordoned."""

    def run_storm(self, code):
        c = Cluster(BUILD_DIR, nodes=3, sim_args=[
            "--update-delay-ms", "300", "--reboot-delay-ms", "400", "--fail-requests", "0.05",
            "--fail-code", str(code), "--cut-watches-every", "2"])
        try:
            watcher = NodeBootWatcher(c.access)
            try:
                for _ in range(10):  # kubectl meets the storm too
                    applied = c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE),
                                            check=False)
                    if applied.returncode == 0:
                        break
                    time.sleep(0.3)
                self.assertEqual(applied.returncode, 0, applied.stderr)
                run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=120)
                time.sleep(0.5)
            finally:
                watcher.stop()
            assert_succeeded_each_node_once(self, run, watcher, code=code)
            nodes = None
            for _ in range(20):
                got = c.kubectl_run("get", "nodes", "-o", "json", check=False)
                if got.returncode == 0:
                    nodes = json.loads(got.stdout)["items"]
                    break
                time.sleep(0.2)
            self.assertEqual(len(nodes or []), 3)
            for node in nodes:
                self.assertFalse(node["spec"].get("unschedulable", False))
        finally:
            c.stop()

    def test_500_storm(self):
        self.run_storm(500)

    def test_429_storm(self):
        self.run_storm(429)

    def test_mixed_storm(self):
        self.run_storm("500,429")  # each failure draws one of the two


class NodeNeverReturns(unittest.TestCase):
    def setUp(self):
        # node-1 goes first (all nodes carry the same pods; ties break by name).
        self.cluster = Cluster(BUILD_DIR, nodes=3, sim_args=[
            "--update-delay-ms", "200", "--reboot-delay-ms", "400", "--never-return", "node-1"])

    def tearDown(self):
        self.cluster.stop()

    def test_run_fails_naming_the_node(self):
        c = self.cluster
        manifest = """
apiVersion: kcau.io/v1alpha1
kind: UpdateRun
metadata:
  name: stuck
spec:
  plugins: [{name: packages}]
  maxFailedNodes: 0
  rebootTimeoutMinutes: 1
"""
        c.kubectl_run("apply", "-f", "-", input=manifest)
        run = c.wait_for_phase("stuck", {"Failed", "Succeeded"}, timeout=120)
        self.assertEqual(run["status"]["phase"], "Failed")
        failed = condition(run, "Failed")
        self.assertEqual(failed["status"], "True")
        self.assertEqual(failed["reason"], "TooManyFailedNodes")
        self.assertIn("node-1", failed["message"])
        results = status_nodes(run)
        self.assertEqual(results["node-1"]["phase"], "Failed")
        self.assertIn("rebootTimeoutMinutes=1", results["node-1"]["message"])
        self.assertIn("left cordoned", results["node-1"]["message"])
        nodes = node_map(c)
        # The failed node is cordoned and status says so; nobody else was touched.
        self.assertTrue(nodes["node-1"]["spec"].get("unschedulable"))
        for other in ("node-2", "node-3"):
            self.assertEqual(results[other]["phase"], "Skipped")
            self.assertFalse(nodes[other]["spec"].get("unschedulable", False))
        # kstatus: Stalled with the run's reason; Argo CD's health check reads Degraded.
        stalled = condition(run, "Stalled")
        self.assertEqual((stalled["status"], stalled["reason"]), ("True", "TooManyFailedNodes"))
        self.assertEqual(condition(run, "Ready")["status"], "False")
        c.kubectl_run("wait", "--for=condition=Stalled", "updaterun/stuck", "--timeout=10s",
                      timeout=20)
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
        import argocd_health_test  # noqa: E402
        argocd_health_test.SOURCE_DIR = SOURCE_DIR
        health, message = argocd_health_test.health(run)
        self.assertEqual(health, "Degraded")
        self.assertIn("TooManyFailedNodes", message)


class FailedUpdateIsRetried(unittest.TestCase):
    def setUp(self):
        # node-1's first update attempt fails; maxRetriesPerNode allows another.
        self.cluster = Cluster(BUILD_DIR, nodes=2, sim_args=[
            "--update-delay-ms", "200", "--reboot-delay-ms", "300", "--fail-update", "node-1:1"])

    def tearDown(self):
        self.cluster.stop()

    def test_retry_succeeds_and_is_counted(self):
        c = self.cluster
        manifest = """
apiVersion: kcau.io/v1alpha1
kind: UpdateRun
metadata:
  name: retry
spec:
  plugins: [{name: packages}]
  maxRetriesPerNode: 1
  maxFailedNodes: 0
"""
        c.kubectl_run("apply", "-f", "-", input=manifest)
        run = c.wait_for_phase("retry", {"Failed", "Succeeded"}, timeout=90)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        results = status_nodes(run)
        self.assertEqual(results["node-1"]["attempts"], 2)
        self.assertEqual(results["node-2"]["attempts"], 1)
        events = settled_events(c, "-n", "default")
        retries = [e for e in events if e["reason"] == "NodeUpdateRetry"]
        self.assertEqual(len(retries), 1)
        self.assertIn("node-1", retries[0]["message"])


BAD_RUNS = {
    "unknown-plugin": ("spec:\n  plugins: [{name: windows-update}]\n", "spec.plugins"),
    "negative-budget": ("spec:\n  plugins: [{name: packages}]\n  maxFailedNodes: -1\n",
                        "spec.maxFailedNodes"),
    "ghost-node": ("spec:\n  plugins: [{name: packages}]\n  nodeOrder: [node-1, ghost]\n",
                   "ghost"),
    # A field this controller does not honour yet is refused by name, never ignored.
    "not-yet": ("spec:\n  plugins: [{name: packages}]\n  settle: {workloadsReady: true}\n",
                "spec.settle"),
    # Out of range: once wrapped around to a negative stopAfter that ended the run at once.
    "stop-overflow": ("spec:\n  stopAfter: \"99999999999999999999h\"\n", "spec.stopAfter"),
    "stop-zero": ("spec:\n  stopAfter: 0s\n", "spec.stopAfter"),
    # Only the cluster admin lets hooks run as root (kcau-controller --hook-allow-root).
    "root-hooks": ("spec:\n  hookRunner: {runAsUser: 0}\n", "spec.hookRunner.runAsUser"),
    # Would have been copied onto each node in an annotation.
    "big-argument": ("spec:\n  plugins: [{name: packages, arguments: {QueryString: " +
                     "x" * (20 * 1024) + "}}]\n", "spec.plugins[0].arguments.QueryString"),
}
# The Failed condition's reason, where it is not Invalid.
BAD_RUN_REASONS = {"not-yet": "Unsupported", "root-hooks": "HookRunnerNotAllowed"}


class BadInput(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3)

    def tearDown(self):
        self.cluster.stop()

    def test_a_controller_that_cannot_start_fails_its_cluster_at_once(self):
        """The harness says a controller exited rather than wait out its readiness, and stops
        the kcau-sim it started (a benchmark once left one running for the next to share)."""
        spawned = []

        class Recording(Cluster):
            def _spawn(self, name, args, **kwargs):
                proc = super()._spawn(name, args, **kwargs)
                spawned.append(proc)
                return proc

        # "exited", not "did not answer ... within": it did not wait out the readiness timeout.
        with self.assertRaisesRegex(AssertionError,
                                    "kcau-controller controller exited with code 2"):
            Recording(BUILD_DIR, nodes=1, controller_args=["--no-such-flag"])
        self.assertEqual([p.poll() is not None for p in spawned], [True, True])

    def test_a_controller_runs_on_the_cpus_it_is_given(self):
        """make bench gives the controller a core kcau-sim does not use (docs/bench.md): its
        threads, those it starts after its restart at startup included, stay there."""
        cpu = max(os.sched_getaffinity(0))
        c = Cluster(BUILD_DIR, nodes=1, controller_cpus={cpu})
        try:
            tasks = os.listdir(f"/proc/{c.controller.pid}/task")
            self.assertGreater(len(tasks), 5)
            self.assertEqual({frozenset(os.sched_getaffinity(int(t))) for t in tasks},
                             {frozenset({cpu})})
        finally:
            c.stop()

    def test_invalid_runs_fail_naming_the_field_and_touch_no_node(self):
        c = self.cluster
        for name, (spec, field) in BAD_RUNS.items():
            with self.subTest(run=name):
                manifest = (f"apiVersion: kcau.io/v1alpha1\nkind: UpdateRun\n"
                            f"metadata:\n  name: {name}\n{spec}")
                applied = c.kubectl_run("apply", "-f", "-", input=manifest, check=False)
                if applied.returncode != 0:
                    # A server that validates against the CRD schema refuses it up front,
                    # naming the field: just as good, and nothing is touched either.
                    self.assertIn(field.split(".")[-1], applied.stderr)
                    continue
                run = c.wait_for_phase(name, {"Failed", "Succeeded"}, timeout=30)
                self.assertEqual(run["status"]["phase"], "Failed")
                failed = condition(run, "Failed")
                self.assertEqual(failed["reason"], BAD_RUN_REASONS.get(name, "Invalid"))
                self.assertIn(field, failed["message"])
                self.assertEqual(run["status"].get("nodes", []), [])
        for name, node in node_map(c).items():
            self.assertFalse(node["spec"].get("unschedulable", False), name)
            self.assertNotIn("kcau.io/update-request",
                             node["metadata"].get("annotations", {}), name)


def wait_first_node_done(cluster, run_name="patch-tuesday", timeout=60):
    """Polls the run until one node has Succeeded; returns the run as then read."""
    deadline = time.time() + timeout
    run = None
    while time.time() < deadline:
        run = cluster.api_get(f"/apis/kcau.io/v1alpha1/updateruns/{run_name}")
        if any(n["phase"] == "Succeeded" for n in run.get("status", {}).get("nodes", [])):
            return run
        time.sleep(0.1)
    raise AssertionError(f"no node of {run_name} finished in {timeout}s: {run}")


def readyz(port):
    """(HTTP status, body) of a controller's /readyz."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Credentials(unittest.TestCase):
    """The controller binary over HTTPS: a rotated token file is picked up without a restart,
    a server certificate from another CA is refused with a clear error, and no token ever
    reaches the logs, even with every request logged (--v=6)."""

    cluster = None

    def tearDown(self):
        if self.cluster:
            self.cluster.stop()

    def test_token_rotation_mid_run(self):
        tokens = tempfile.mkdtemp(prefix="kcau-tokens-")
        sim_tokens = os.path.join(tokens, "accepted")
        mine = os.path.join(tokens, "controller-token")
        old, new = "old-" + os.urandom(12).hex(), "new-" + os.urandom(12).hex()
        for path in (sim_tokens, mine):
            with open(path, "w") as f:
                f.write(old + "\n")
        self.cluster = c = Cluster(
            BUILD_DIR, nodes=3, start_controller=False,
            sim_args=["--token-file", sim_tokens, "--update-delay-ms", "600",
                      "--reboot-delay-ms", "800"])

        def use_token_file(doc):
            user = doc["users"][0]["user"]
            user.pop("token", None)
            user["tokenFile"] = mine

        kubeconfig = c.write_kubeconfig("controller-kubeconfig", use_token_file)
        c.start_controller(["--v", "6"], kubeconfig=kubeconfig)
        watcher = NodeBootWatcher(c.access)
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            wait_first_node_done(c)
            # Rotate: the controller's file first (as the kubelet writes it), then the server
            # stops accepting the old token. kubectl and the watcher switch too.
            with open(mine, "w") as f:
                f.write(new + "\n")
            with open(sim_tokens, "w") as f:
                f.write(new + "\n")
            c.access.token = new
            c.write_kubeconfig("kubeconfig", lambda doc: doc["users"][0]["user"].update(
                token=new))
            run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=90)
            time.sleep(0.5)
        finally:
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        log = c.log_text()
        self.assertIn("GET /apis/kcau.io/v1alpha1/updateruns/patch-tuesday 200", log)
        self.assertIn(" 401 ", log, "the rotation was never noticed")
        self.assertNotIn(old, log)
        self.assertNotIn(new, log)

    def test_certificate_from_another_ca_is_refused(self):
        self.cluster = c = Cluster(BUILD_DIR, nodes=2, start_controller=False)
        # A second kcau-sim has its own CA: its CA cannot verify the first one's certificate.
        other_dir = tempfile.mkdtemp(prefix="kcau-other-ca-")
        other_kubeconfig = os.path.join(other_dir, "kubeconfig")
        other = c._spawn("other-sim", [
            os.path.join(BUILD_DIR, "sim", "kcau-sim"), "--nodes", "1", "--listen",
            f"127.0.0.1:{free_port()}", "--write-kubeconfig", other_kubeconfig])
        wait_file(other_kubeconfig, "second kcau-sim")
        with open(other_kubeconfig) as f:
            other_ca = yaml.safe_load(f)["clusters"][0]["cluster"]["certificate-authority-data"]
        other.terminate()

        def wrong_ca(doc):
            doc["clusters"][0]["cluster"]["certificate-authority-data"] = other_ca

        kubeconfig = c.write_kubeconfig("wrong-ca", wrong_ca)
        c.start_controller(kubeconfig=kubeconfig, wait_ready=False)
        c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
        deadline = time.time() + 20
        log = ""
        while time.time() < deadline:
            log = c.log_text()
            if "certificate" in log:
                break
            time.sleep(0.2)
        self.assertIn("certificate", log)
        self.assertIn("certificate-authority", log, "the error should say what to check")
        status, body = readyz(c.metrics_port)
        self.assertEqual(status, 503, body)
        self.assertIn("[-]informers-synced failed", body)
        self.assertIsNone(c.controller.poll(), "the controller should keep retrying, not exit")
        run = c.get_json("updaterun", "patch-tuesday")
        self.assertNotIn("status", run)
        for name, node in node_map(c).items():
            self.assertFalse(node["spec"].get("unschedulable", False), name)


class ConcurrentEdits(unittest.TestCase):
    """Someone keeps editing the run (labels, annotations) while it runs: the controller's
    status writes meet 409 Conflicts, re-read and re-decide, and the run completes with no
    node redone. Status writes are counted from the outside to show they are coalesced."""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3,
                               sim_args=["--update-delay-ms", "400", "--reboot-delay-ms", "600"],
                               controller_args=["--v", "4"])

    def tearDown(self):
        self.cluster.stop()

    def test_run_completes_through_conflicts(self):
        c = self.cluster
        watcher = NodeBootWatcher(c.access)
        stop = threading.Event()
        edits = [0]

        def edit():
            while not stop.is_set():
                edits[0] += 1
                c.kubectl_run("annotate", "--overwrite", "updaterun/patch-tuesday",
                              f"touched={edits[0]}", check=False)

        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            editor = threading.Thread(target=edit, daemon=True)
            editor.start()
            run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=120)
            stop.set()
            editor.join(timeout=30)
            time.sleep(0.5)
        finally:
            stop.set()
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        log = c.log_text()
        conflicts = log.count("status write conflicted")
        print(f"{edits[0]} concurrent edits; {conflicts} status writes re-decided after a 409")
        self.assertGreater(edits[0], 5)


SCENARIO = """
nodeDefaults: {updateDuration: 300ms, rebootDuration: 600ms}
podRestartDelay: 100ms
nodes:
  - {name: node-1, zone: zone-a}
  - name: node-2
    zone: zone-b
    faults: {notReadyAfterReboot: 2s}
  - {name: node-3, zone: zone-c}
workloads:
  - kind: Deployment
    name: web
    namespace: web
    replicas: 6
    pdb: {maxUnavailable: 1}
    faults: {pdbBlocksFor: 4s}
  - {kind: DaemonSet, name: node-exporter, namespace: kube-system}
"""


class ScenarioFaults(unittest.TestCase):
    """A scenario file: the PDB refuses every eviction for its first 4 s and node-2 comes back
    from its reboot NotReady for 2 s. The run waits both out (the drain retries; the node
    is not uncordoned before it is Ready) and completes, each node rebooted once."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kcau-scenario-")
        path = os.path.join(self.dir, "cluster.yaml")
        with open(path, "w") as f:
            f.write(SCENARIO)
        self.cluster = Cluster(BUILD_DIR, sim_args=["--scenario", path])

    def tearDown(self):
        self.cluster.stop()

    def test_blocked_budget_and_not_ready_node(self):
        c = self.cluster
        watcher = NodeBootWatcher(c.access)
        phases_seen = set()
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            deadline = time.time() + 120
            while time.time() < deadline:
                run = c.api_get("/apis/kcau.io/v1alpha1/updateruns/patch-tuesday")
                for n in run.get("status", {}).get("nodes", []):
                    phases_seen.add((n["name"], n["phase"]))
                if run.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                    break
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            watcher.stop()
        assert_succeeded_each_node_once(self, run, watcher)
        self.assertTrue(any(p == "Draining" for _, p in phases_seen), phases_seen)
        self.assertIn(("node-2", "Rebooting"), phases_seen)
        for name, node in node_map(c).items():
            self.assertFalse(node["spec"].get("unschedulable", False), name)


class SimRestartKeepsState(unittest.TestCase):
    """kcau-sim is stopped mid-run and started again from its --state-file: the controller
    rides through the outage (its watches get 410 and relist), the run completes and no
    node is updated or rebooted twice."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kcau-state-")
        self.state = os.path.join(self.dir, "state.json")
        self.cluster = Cluster(BUILD_DIR, nodes=3, sim_args=[
            "--state-file", self.state, "--insecure-http",
            "--update-delay-ms", "400", "--reboot-delay-ms", "600"])

    def tearDown(self):
        self.cluster.stop()

    def test_run_survives_an_api_server_restart(self):
        c = self.cluster
        boots = {n: [v["status"]["nodeInfo"]["bootID"]] for n, v in node_map(c).items()}
        c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
        run = wait_first_node_done(c)
        rv_before = int(run["metadata"]["resourceVersion"])
        c.restart_sim()
        self.assertTrue(os.path.exists(self.state))
        after_restart = c.api_get("/apis/kcau.io/v1alpha1/updateruns/patch-tuesday")
        self.assertGreaterEqual(int(after_restart["metadata"]["resourceVersion"]), rv_before)
        run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=120)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        final = node_map(c)
        for name, r in status_nodes(run).items():
            with self.subTest(node=name):
                self.assertEqual(r["attempts"], 1, "updated twice")
                self.assertNotEqual(final[name]["status"]["nodeInfo"]["bootID"], boots[name][0])
                self.assertFalse(final[name]["spec"].get("unschedulable", False))
        self.assertIn("state loaded from", c.log_text("sim"))


SIGNED_REQUEST_KEYS = ("kcau.io/update-request", "kcau.io/update-plugins", "kcau.io/force-reboot",
                       "kcau.io/update-options", "kcau.io/update-mode", "kcau.io/reboot-mode",
                       "kcau.io/update-rescan-request", "kcau.io/update-request-signature")


class RequestSigning(unittest.TestCase):
    """A compromised node may patch any Node: agents act only on requests the controller
    signed for their own node (docs/security.md)."""

    def setUp(self):
        self.cluster = Cluster(BUILD_DIR, nodes=3, start_controller=False,
                               sim_args=["--update-delay-ms", "300", "--reboot-delay-ms", "600"])

    def tearDown(self):
        self.cluster.stop()

    def agent_result(self, node, token, timeout=20):
        """The agent's final answer to `token` on `node`."""
        deadline = time.time() + timeout
        result = None
        while time.time() < deadline:
            annotations = node_map(self.cluster)[node]["metadata"].get("annotations", {})
            if "kcau.io/update-result" in annotations:
                result = json.loads(annotations["kcau.io/update-result"])
                if result["token"] == token and result["state"] != "Installing":
                    return result
            time.sleep(0.2)
        self.fail(f"no answer from {node}'s agent to {token}; last result: {result}")

    def test_controller_without_a_key_does_not_start(self):
        c = self.cluster
        result = subprocess.run(
            [os.path.join(BUILD_DIR, "controller", "kcau-controller"), "--kubeconfig",
             c.kubeconfig, "--metrics-addr", f"127.0.0.1:{free_port()}"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--request-signing-key FILE is required", result.stderr)
        self.assertIn("openssl genpkey -algorithm ed25519 -out key.pem", result.stderr)
        # The agents' public key is not a signing key: refused, naming the file.
        result = subprocess.run(
            [os.path.join(BUILD_DIR, "controller", "kcau-controller"), "--kubeconfig",
             c.kubeconfig, "--request-signing-key", c.verify_key],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(c.verify_key + ": not a PEM private key", result.stderr)
        self.assertNotIn("BEGIN", result.stderr)

    def test_forged_and_copied_requests_are_refused_signed_ones_obeyed(self):
        c = self.cluster
        c.start_controller()
        # A compromised node writes an update request onto node-3, unsigned.
        c.kubectl_run("annotate", "node", "node-3", "kcau.io/update-request=forged-1",
                      'kcau.io/update-plugins=[{"name":"packages","arguments":{}}]',
                      "kcau.io/force-reboot=true")
        refused = self.agent_result("node-3", "forged-1")
        self.assertEqual(refused["state"], "Failed")
        self.assertEqual(refused["message"], "the agent refused this request: no signature "
                                             "(kcau.io/update-request-signature is missing)")

        watcher = NodeBootWatcher(c.access)
        try:
            c.kubectl_run("apply", "-f", os.path.join(SOURCE_DIR, BASIC_EXAMPLE))
            run = c.wait_for_phase("patch-tuesday", {"Succeeded", "Failed"}, timeout=90)
            time.sleep(0.5)  # let the watcher see the last node event
        finally:
            watcher.stop()
        # Each node rebooted once: for the controller's request, never for the forged one.
        assert_succeeded_each_node_once(self, run, watcher)

        # node-1's genuine, signed request copied onto node-2 as it is.
        node1 = node_map(c)["node-1"]["metadata"]["annotations"]
        copied = [f"{k}={node1[k]}" for k in SIGNED_REQUEST_KEYS if k in node1]
        c.kubectl_run("annotate", "--overwrite", "node", "node-2", *copied)
        refused = self.agent_result("node-2", node1["kcau.io/update-request"])
        self.assertEqual(refused["state"], "Failed")
        self.assertEqual(refused["message"],
                         "the agent refused this request: signed for node node-1, not for this "
                         "node (node-2): a request copied from another node")

    def test_requests_signed_with_another_key_fail_with_the_agents_reason(self):
        c = self.cluster
        other_key, _ = make_signing_keys(c.dir, "not-trusted")
        boot_before = node_map(c)["node-1"]["status"]["nodeInfo"]["bootID"]
        c.start_controller(signing_key=other_key)
        manifest = """
apiVersion: kcau.io/v1alpha1
kind: UpdateRun
metadata:
  name: untrusted
spec:
  plugins: [{name: packages}]
  nodeOrder: [node-1]
  maxRetriesPerNode: 0
  maxFailedNodes: 0
"""
        c.kubectl_run("apply", "-f", "-", input=manifest)
        run = c.wait_for_phase("untrusted", {"Failed", "Succeeded"}, timeout=60)
        self.assertEqual(run["status"]["phase"], "Failed", run["status"])
        node1 = status_nodes(run)["node-1"]
        self.assertEqual(node1["phase"], "Failed")
        # The first request is the scan before node-1 is taken: refused, so node-1 is never
        # cordoned for an agent that will not take the controller's requests.
        self.assertIn("scan attempt 1 of 1 failed: the agent refused this request: bad "
                      "signature", node1["message"])
        self.assertFalse(node_map(c)["node-1"]["spec"].get("unschedulable", False))
        self.assertEqual(node_map(c)["node-1"]["status"]["nodeInfo"]["bootID"], boot_before,
                         "node-1 rebooted for a request its agent refused")


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
