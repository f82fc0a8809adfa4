"""kcau's metrics and alerts as a real Prometheus sees them, end to end.

Debian's prometheus scrapes kcau-controller and the real kcau-agents of a kcau-sim cluster
every second, and evaluates kcau's alert rules (charts/kcau/files/alerts.yaml) every second,
while an UpdateRun meets a drain a PodDisruptionBudget blocks (the budget is then deleted),
a node whose updates fail (retried once, then failed) and so a failed run. The test asks
Prometheus's HTTP API what a dashboard and an alert manager would: the run's progress
series, the node counters over the run, the drain histogram, the blocked-node gauge rising
and falling, and which alerts fire. The controller and the agents log JSON
(--log-format=json); their lines are checked to parse and to carry their fields.

Usage: prometheus_e2e_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, free_port, status_nodes  # noqa: E402

BUILD_DIR = None
SOURCE_DIR = None

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTS_FILE = os.path.join("charts", "kcau", "files", "alerts.yaml")
RUN = "prom"
UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
# Nodes blocked by a budget now, over every scraped controller.
BLOCKED_NOW = 'sum(kcau_blocked_nodes{reason="PodDisruptionBudget"})'
# The alerts this run must fire; every other alert of the rules file must stay silent.
EXPECTED_ALERTS = {"KcauRunFailed"}

# node-1 and node-2 run the real kcau-agent, whose script plug-in applies each one's hotfix
# folder (node-1's asks for a reboot); node-3's simulated agent has a hotfix to apply too, and
# fails every attempt. One web pod per node; the test's own budget holds node-1's until the
# test deletes it.
HOTFIX = """
      /opt/hotfix/kcau-hotfix.yaml: |
        - script: 01-fix.sh
          reboot: {reboot}
      /opt/hotfix/01-fix.sh: {{mode: "0755", content: "#!/bin/sh\\necho fixed\\n"}}"""
SCENARIO = """
podRestartDelay: 200ms
nodeDefaults: {updateDuration: 300ms, rebootDuration: 500ms}
nodes:
  - name: node-1
    agent: real
    files:""" + HOTFIX.format(reboot="true") + """
  - name: node-2
    agent: real
    files:""" + HOTFIX.format(reboot="false") + """
  - name: node-3
    updates: {script: 1}
    faults: {failUpdates: 5}
workloads:
  - {kind: Deployment, name: web, replicas: 3}
"""

HOLD_BUDGET = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: hold-web, namespace: default}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
"""

RUN_MANIFEST = json.dumps({
    "apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun", "metadata": {"name": RUN},
    "spec": {"plugins": [{"name": "script", "arguments": {"path": "/opt/hotfix"}}],
             "nodeOrder": ["node-1", "node-2", "node-3"],
             "maxRetriesPerNode": 1, "maxFailedNodes": 0}})


class Prometheus:
    """Debian's prometheus on a free loopback port, its TSDB in `directory`."""

    def __init__(self, directory, scrape_configs, rule_files):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": rule_files,
            "scrape_configs": scrape_configs,
        }
        self.config_file = os.path.join(directory, "prometheus.yml")
        with open(self.config_file, "w") as f:
            yaml.safe_dump(config, f)
        self.log_file = os.path.join(directory, "prometheus.log")
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, "--config.file", self.config_file,
                 "--storage.tsdb.path", os.path.join(directory, "tsdb"),
                 "--web.listen-address", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError(f"prometheus not ready within 30 s:\n{self.log()}")
            time.sleep(0.2)

    def log(self):
        with open(self.log_file, errors="replace") as f:
            return "".join(f.readlines()[-30:])

    def api(self, path, **params):
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read())
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr, at=None):
        """An instant vector: [(labels, value)]."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self.api("query", **params)
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def scalar(self, expr, at=None):
        """The value of a query that selects one series (None when it selects none)."""
        result = self.query(expr, at)
        if len(result) > 1:
            raise AssertionError(f"{expr} selects {len(result)} series: {result}")
        return result[0][1] if result else None

    def range_values(self, expr, start, end):
        """One series' values at 1 s steps from start to end."""
        data = self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}",
                        step="1")
        if len(data["result"]) != 1:
            raise AssertionError(f"{expr} selects {len(data['result'])} series: {data}")
        return [float(v) for _, v in data["result"][0]["values"]]

    def wait(self, what, predicate, timeout=30.0):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.5)
        raise AssertionError(f"prometheus: {what} within {timeout} s (last: {last})\n"
                             f"{self.log()}")

    def active_alerts(self):
        """Alerts pending or firing now: [(name, state, labels)]."""
        return [(a["labels"].get("alertname"), a["state"], a["labels"])
                for a in self.api("alerts")["alerts"]]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def json_lines(path):
    """Every line of a JSON log, parsed; a line that is not one object fails."""
    records = []
    with open(path, errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                raise AssertionError(f"{path}:{number} is not JSON ({e}): {line!r}")
            if not isinstance(record, dict):
                raise AssertionError(f"{path}:{number} is not an object: {line!r}")
            records.append(record)
    return records


class PrometheusScrapesARun(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kcau-prometheus-")
        scenario = os.path.join(self.dir, "cluster.yaml")
        with open(scenario, "w") as f:
            f.write(SCENARIO)
        self.prometheus = None
        self.cluster = Cluster(BUILD_DIR, sim_args=["--scenario", scenario,
                                                    "--agent-log-format", "json"],
                               controller_args=["--log-format=json"], real_agents=True)

    def tearDown(self):
        try:
            if self.prometheus:
                self.prometheus.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.cluster.stop()

    def start_prometheus(self, rule_files):
        c = self.cluster
        agents = [{"targets": [c.agent_metrics_addr(node)], "labels": {"node": node}}
                  for node in ("node-1", "node-2")]
        self.prometheus = Prometheus(self.dir, [
            {"job_name": "kcau-controller",
             "static_configs": [{"targets": [f"127.0.0.1:{c.metrics_port}"]}]},
            {"job_name": "kcau-agent", "static_configs": agents},
        ], rule_files)
        return self.prometheus

    def wait_blocked(self):
        """Until the run's node-1 is blocked by the budget (status.nodes[].blocked)."""
        c = self.cluster
        deadline = time.time() + 60
        while time.time() < deadline:
            run = c.api_get(f"/apis/kcau.io/v1alpha1/updateruns/{RUN}")
            node = status_nodes(run).get("node-1", {}) if run.get("status") else {}
            if node.get("blocked"):
                return node["blocked"]
            if run.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                break
            time.sleep(0.2)
        raise AssertionError(f"node-1 never blocked: {json.dumps(run.get('status'), indent=1)}"
                             f"\n{c.logs()}")

    def test_metrics_and_alerts_of_a_blocked_failed_run(self):
        c = self.cluster
        c.wait_agents_announced()
        prom = self.start_prometheus([os.path.join(SOURCE_DIR, ALERTS_FILE)])
        prom.wait("every target up", lambda: (
            len(prom.query("up == 1")) == 3 or None))

        c.kubectl_run("apply", "-f", "-", input=HOLD_BUDGET)
        begin = time.time()
        time.sleep(2)  # a scrape or two before the run: the counters' starting values
        c.kubectl_run("apply", "-f", "-", input=RUN_MANIFEST)
        seen_alerts = set()  # (name, state) active while the run ran

        blocked = self.wait_blocked()
        self.assertEqual(blocked["reason"], "PodDisruptionBudget", blocked)
        self.assertIn("hold-web", blocked["message"])
        # Blocked until Prometheus has seen the blocked-node gauge at 1, and for 3 s at least,
        # so the drain's and the block's histograms tell it from a quick one.
        blocked_since = time.time()
        prom.wait("kcau_blocked_nodes{reason=\"PodDisruptionBudget\"} at 1",
                  lambda: prom.scalar(BLOCKED_NOW) == 1)
        time.sleep(max(0.0, blocked_since + 3 - time.time()))
        seen_alerts |= {(name, state) for name, state, _ in prom.active_alerts()}
        c.kubectl_run("delete", "pdb", "hold-web", "-n", "default")

        deadline = time.time() + 120
        while True:
            alerts = {(name, state) for name, state, _ in prom.active_alerts()}
            run = c.api_get(f"/apis/kcau.io/v1alpha1/updateruns/{RUN}")
            if run.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                break
            seen_alerts |= alerts  # asked before the run was seen to end: while it ran
            self.assertLess(time.time(), deadline, f"the run did not end\n{c.logs()}")
            time.sleep(0.5)
        self.assertEqual(run["status"]["phase"], "Failed", run["status"])
        nodes = status_nodes(run)
        self.assertEqual({n: r["phase"] for n, r in nodes.items()},
                         {"node-1": "Succeeded", "node-2": "Succeeded", "node-3": "Failed"})
        self.assertEqual(nodes["node-3"]["attempts"], 2, nodes["node-3"])
        self.assertTrue(nodes["node-1"].get("rebooted"), nodes["node-1"])

        # What the controller served at the end, scraped: the run's progress at its end.
        prom.wait("the run's end scraped", lambda: prom.scalar(
            f'kcau_updaterun_nodes{{updaterun="{RUN}",phase="Failed"}}') == 1)
        time.sleep(3)  # a few more scrapes and rule evaluations
        end = time.time()
        window = f"{math.ceil(end - begin) + 1}s"

        with self.subTest("progress"):
            succeeded = prom.range_values(
                f'kcau_updaterun_nodes{{updaterun="{RUN}",phase="Succeeded"}}', begin, end)
            self.assertEqual(succeeded[-1], 2, succeeded)
            self.assertEqual(succeeded, sorted(succeeded), "never goes back")
            self.assertIn(0, succeeded, "the series exists from the run's start at 0")
            self.assertEqual(prom.scalar(f'kcau_updaterun_failed_nodes{{updaterun="{RUN}"}}'), 1)
            self.assertEqual(prom.scalar(f'kcau_updaterun_retries{{updaterun="{RUN}"}}'), 1)
            self.assertEqual(prom.scalar('kcau_updateruns{phase="Failed"}'), 1)

        with self.subTest("node counters over the run"):
            for result, want in (("succeeded", 2), ("failed", 1), ("skipped", 0)):
                got = prom.scalar(f'increase(kcau_node_updates_total{{result="{result}"}}'
                                  f'[{window}])', at=end)
                self.assertIsNotNone(got, result)
                self.assertEqual(round(got), want, f"{result}: increase {got} over {window}")
            blocked_evictions = prom.scalar(
                f'increase(kcau_evictions_total{{result="blocked"}}[{window}])', at=end)
            self.assertGreaterEqual(round(blocked_evictions), 1)
            reboots = prom.scalar(f"increase(kcau_node_reboots_total[{window}])", at=end)
            self.assertEqual(round(reboots), 1, "node-1 only")

        with self.subTest("histograms"):
            # Label values as prometheus-cpp writes them select series in Prometheus.
            self.assertTrue(prom.query(
                'controller_runtime_reconcile_time_seconds_bucket{le="0.005"}'))
            drains = prom.scalar('kcau_node_drain_duration_seconds_bucket{le="+Inf"}')
            within_1s = prom.scalar('kcau_node_drain_duration_seconds_bucket{le="1"}')
            within_30s = prom.scalar('kcau_node_drain_duration_seconds_bucket{le="30"}')
            self.assertGreaterEqual(drains, 1)
            # The budget's wait is in node-1's drain: longer than a second, not half a minute.
            self.assertLess(within_1s, drains)
            self.assertEqual(within_30s, drains)

        with self.subTest("agents"):
            for node in ("node-1", "node-2"):
                installed = prom.scalar(
                    f'sum(increase(kcau_agent_results_total{{node="{node}",request="update",'
                    f'state="Installed"}}[{window}]))', at=end)
                self.assertGreaterEqual(round(installed or 0), 1, node)
            # node-1's agent came back from its reboot on the port it had: scraped again.
            self.assertEqual(len(prom.query('up{job="kcau-agent"} == 1')), 2)

        with self.subTest("blocked-node gauge"):
            values = prom.range_values(BLOCKED_NOW, begin, end)
            self.assertEqual(max(values), 1, values)
            self.assertEqual(values[-1], 0, "fell once the budget was deleted")
            # The block, timed once when it ended: 3 s at least, so above the 1 s bucket.
            blocks = prom.scalar('increase(kcau_node_blocked_duration_seconds_count'
                                 f'{{reason="PodDisruptionBudget"}}[{window}])', at=end)
            self.assertEqual(round(blocks), 1, blocks)
            self.assertEqual(prom.scalar('kcau_node_blocked_duration_seconds_bucket'
                                         '{reason="PodDisruptionBudget",le="1"}'), 0)

        with self.subTest("alerts"):
            groups = prom.api("rules", type="alert")["groups"]
            rules = {r["name"]: r for g in groups for r in g["rules"]}
            self.assertTrue(EXPECTED_ALERTS <= set(rules),
                            f"{ALERTS_FILE} loaded into Prometheus holds {sorted(rules)}")
            for name, rule in rules.items():
                self.assertEqual(rule["health"], "ok", f"{name}: {rule.get('lastError')}")
            # Firing once its `for` has passed; a rule that waits longer than this test
            # may run is pending, which shows it matched.
            failed = rules["KcauRunFailed"]
            want = "firing" if failed.get("duration", 0) <= 20 else "pending"
            prom.wait(f"KcauRunFailed {want} for {RUN}", lambda: any(
                name == "KcauRunFailed" and state == want and labels.get("updaterun", RUN) == RUN
                for name, state, labels in prom.active_alerts()), timeout=30)
            # Pending is a rule waiting out its `for` (a budget may block a drain for a
            # while); firing is what pages someone.
            now = {(name, state) for name, state, _ in prom.active_alerts()}
            others = {n for n, s in seen_alerts | now
                      if s == "firing" and n not in EXPECTED_ALERTS and n in rules}
            self.assertFalse(others, "alerts that fired though nothing called for them")
            early = {n for n, s in seen_alerts if s == "firing" and n in EXPECTED_ALERTS}
            self.assertFalse(early, "fired while the run was still running")

        with self.subTest("JSON logs"):
            self.check_json_logs()

    def check_json_logs(self):
        c = self.cluster
        records = json_lines(os.path.join(c.dir, "controller.log"))
        self.assertTrue(records)
        for r in records:
            self.assertTrue({"level", "ts", "logger", "msg"} <= set(r), r)
            self.assertNotIn("reconcileID=", r["msg"])
        in_reconcile = [r for r in records if "reconcileID" in r]
        self.assertTrue(in_reconcile)
        for r in in_reconcile:
            self.assertEqual((r["logger"], r["updaterun"]), ("updaterun", RUN), r)
            self.assertRegex(r["reconcileID"], UUID4)
        self.assertGreater(len({r["reconcileID"] for r in in_reconcile}), 1)

        def event(reason, node):
            for r in in_reconcile:
                if r.get("reason") == reason and r.get("node") == node:
                    return r
            self.fail(f"no {reason} line for {node}")

        self.assertEqual(event("NodeBlocked", "node-1")["phase"], "Draining")
        self.assertEqual(event("NodeBlocked", "node-1")["blocked"], "PodDisruptionBudget")
        self.assertEqual(event("NodeUpdated", "node-2")["phase"], "Succeeded")
        self.assertEqual(event("NodeFailed", "node-3")["phase"], "Failed")
        with open(os.path.join(c.dir, "controller.log")) as f:
            self.assertNotIn(c.access.token, f.read())

        for node in ("node-1", "node-2"):
            path = os.path.join(c.agent_roots, node + ".log")
            agent = json_lines(path)
            self.assertTrue(agent, node)
            for r in agent:
                self.assertEqual((r["logger"], r.get("node")), ("kcau-agent", node), r)
            with open(os.path.join(c.agent_roots, node + ".kubeconfig")) as f:
                token = yaml.safe_load(f)["users"][0]["user"]["token"]
            with open(path) as f:
                self.assertNotIn(token, f.read(), f"{node}'s agent logged its token")


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
