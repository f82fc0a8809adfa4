"""kcau's Grafana dashboard (charts/kcau/files/kcau-dashboard.json) and alert rules
(charts/kcau/files/alerts.yaml) against what kcau really serves: the dashboard's shape and
variables, every PromQL expression parsed by the real promtool, and every metric either one
names found in a real scrape of kcau-controller (kcau-sim + controller taking a run).

Usage: dashboard_test.py BUILD_DIR SOURCE_DIR [unittest args]"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster  # noqa: E402

BUILD_DIR = SOURCE_DIR = None
DASHBOARD = ALERTS = None

# What Grafana puts in for each variable when it runs a query: a value of the right shape.
VARIABLES = {"updaterun": "patch-tuesday", "job": "kcau-controller", "__rate_interval": "1m",
             "__interval": "30s", "__range": "6h"}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LEADER_FLAGS = ["--leader-elect", "--leader-elect-lease-duration-seconds", "3",
                "--leader-elect-renew-deadline-seconds", "2",
                "--leader-elect-retry-period-seconds", "1"]

# PromQL words that are not metric names.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2", "start", "end"}


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def load_alerts():
    with open(ALERTS) as f:
        return yaml.safe_load(f)


def all_panels(panels):
    """Every panel, rows' nested panels included."""
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def substitute(text, where):
    def value(m):
        name = m.group(1) or m.group(2)
        if name not in VARIABLES:
            raise AssertionError(f"{where}: unknown variable ${name} in {text!r}")
        return VARIABLES[name]
    return VARIABLE.sub(value, text)


def variable_promql(query):
    """The PromQL inside a Prometheus variable query (label_values(EXPR, label) or
    query_result(EXPR)); None when it has none (label_values(label))."""
    if isinstance(query, dict):
        query = query.get("query", "")
    m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query, re.S)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"\s*label_values\(\s*\w+\s*\)\s*", query):
        return None
    raise AssertionError(f"variable query {query!r}: not label_values() or query_result()")


def dashboard_expressions(dashboard):
    """(where, PromQL with the variables put in) for every target and variable query."""
    out = []
    for p in all_panels(dashboard["panels"]):
        for t in p.get("targets", []):
            where = f"panel {p['id']} ({p.get('title')}) target {t.get('refId')}"
            out.append((where, substitute(t["expr"], where)))
    for v in dashboard["templating"]["list"]:
        if v["type"] != "query":
            continue
        where = f"variable {v['name']}"
        expr = variable_promql(v["query"])
        if expr is not None:
            out.append((where, substitute(expr, where)))
    return out


def alert_expressions(rules):
    return [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]


def promtool_check(expressions):
    """Runs `promtool check rules` over the expressions, each a recording rule; returns
    (ok, output), the output naming the rule (and so the panel) of each error."""
    rules = [{"record": f"kcau_check:expr_{i}", "expr": expr,
              "labels": {"where": where}} for i, (where, expr) in enumerate(expressions)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
    try:
        proc = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True,
                              text=True)
    finally:
        os.unlink(f.name)
    output = proc.stdout + proc.stderr
    for i, (where, _) in enumerate(expressions):
        output = output.replace(f"kcau_check:expr_{i}", where)
    return proc.returncode == 0, output


def metric_names(expr):
    """The metric names a (valid) PromQL expression reads: identifiers left once label
    matchers, ranges, strings and grouping clauses are taken out, that are not calls or
    keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if m.group(2) or m.group(1) in KEYWORDS:
            continue
        names.add(m.group(1))
    return names


def exported_names(metrics_text):
    """Series names a scrape offers: each family's, and a histogram's _bucket/_sum/_count."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            if kind in ("histogram", "summary"):
                names |= {name + "_sum", name + "_count"}
            if kind == "histogram":
                names.add(name + "_bucket")
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][\w:]*", line).group(0))
    return names


class DashboardShape(unittest.TestCase):
    def setUp(self):
        self.dashboard = load_dashboard()

    def test_a_current_dashboard_with_its_variables(self):
        d = self.dashboard
        self.assertGreaterEqual(d["schemaVersion"], 36)
        self.assertEqual(d["uid"], "kcau-overview")
        self.assertTrue(d["title"])
        variables = {v["name"]: v for v in d["templating"]["list"]}
        ds = variables["datasource"]
        self.assertEqual((ds["type"], ds["query"]), ("datasource", "prometheus"))
        run = variables["updaterun"]
        self.assertEqual(run["type"], "query")
        self.assertEqual(run["datasource"], {"type": "prometheus", "uid": "${datasource}"})
        self.assertEqual(variable_promql(run["query"]), "kcau_updaterun_nodes")
        self.assertIn("label_values(kcau_updaterun_nodes, updaterun)", json.dumps(run["query"]))

    def test_panel_ids_are_unique_and_queries_use_the_datasource_variable(self):
        ids = [p["id"] for p in all_panels(self.dashboard["panels"])]
        self.assertEqual(len(ids), len(set(ids)), sorted(ids))
        queried = [p for p in all_panels(self.dashboard["panels"]) if p["type"] != "row"]
        self.assertGreater(len(queried), 20)
        for p in queried:
            with self.subTest(panel=p["title"]):
                self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"})
                self.assertTrue(p["targets"])
                self.assertTrue(p.get("description"), "say what the panel shows")
                for t in p["targets"]:
                    self.assertEqual(t["datasource"]["uid"], "${datasource}")
                g = p["gridPos"]
                self.assertLessEqual(g["x"] + g["w"], 24)

    def test_what_the_dashboard_must_show(self):
        text = json.dumps(self.dashboard)
        for metric in ["kcau_updaterun_nodes", "kcau_updateruns", "kcau_updaterun_failed_nodes",
                       "kcau_updaterun_max_failed_nodes", "kcau_node_drain_duration_seconds",
                       "kcau_node_install_duration_seconds",
                       "kcau_node_reboot_duration_seconds", "kcau_node_update_duration_seconds",
                       "kcau_blocked_nodes", "kcau_blocked_runs", "kcau_evictions_total",
                       "controller_runtime_reconcile_total",
                       "controller_runtime_reconcile_errors_total", "workqueue_depth",
                       "workqueue_queue_duration_seconds", "rest_client_requests_total",
                       "leader_election_master_status"]:
            self.assertIn(metric, text)
        heatmaps = [p for p in all_panels(self.dashboard["panels"]) if p["type"] == "heatmap"]
        self.assertGreaterEqual(len(heatmaps), 4)
        for p in heatmaps:
            with self.subTest(panel=p["title"]):
                self.assertEqual(p["targets"][0]["format"], "heatmap")
                self.assertIn("_bucket", p["targets"][0]["expr"])


class Expressions(unittest.TestCase):
    def test_every_dashboard_expression_parses(self):
        expressions = dashboard_expressions(load_dashboard())
        self.assertGreater(len(expressions), 30)
        ok, output = promtool_check(expressions)
        self.assertTrue(ok, output)

    def test_every_alert_expression_parses(self):
        ok, output = promtool_check(alert_expressions(load_alerts()))
        self.assertTrue(ok, output)

    def test_a_bad_expression_is_refused_naming_its_panel(self):
        ok, output = promtool_check([("panel 1 (fine)", "sum(kcau_updateruns)"),
                                     ("panel 7 (broken)", "sum by (phase (kcau_updateruns)")])
        self.assertFalse(ok)
        self.assertIn("panel 7 (broken)", output)

    def test_unknown_variables_are_refused(self):
        with self.assertRaisesRegex(AssertionError, r"\$updaterunn"):
            substitute('kcau_updaterun_nodes{updaterun=~"$updaterunn"}', "panel 1")

    def test_metric_names_are_read_from_expressions(self):
        cases = [
            ('max without (instance, pod) (kcau_blocked_nodes{reason="PodDisruptionBudget"})',
             {"kcau_blocked_nodes"}),
            ("histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket"
             '{name="updaterun"}[5m])))', {"workqueue_work_duration_seconds_bucket"}),
            ("time() - a_start unless on (updaterun) b_end", {"a_start", "b_end"}),
            ("sum(x) or vector(0) > bool 1e3", {"x"}),
            ("max(leader_election_master_status) == 0 or absent(leader_election_master_status)",
             {"leader_election_master_status"}),
        ]
        for expr, want in cases:
            with self.subTest(expr=expr):
                self.assertEqual(metric_names(expr), want)


class NamesAgainstAScrape(unittest.TestCase):
    """Every metric the dashboard and the alerts read is one kcau-controller serves: scraped
    before, during and after a run (per-run series exist only once a run is reconciled, the
    oldest cordoned node's only while a node is cordoned)."""

    @classmethod
    def setUpClass(cls):
        cls.names = set()
        cluster = Cluster(BUILD_DIR, nodes=2, controller_args=LEADER_FLAGS,
                          sim_args=["--update-delay-ms", "400", "--reboot-delay-ms", "800"])
        try:
            cls.names |= exported_names(cluster.metrics_text())
            cluster.kubectl_run("apply", "-f",
                                os.path.join(SOURCE_DIR, "examples/updaterun-basic.yaml"))
            deadline = time.time() + 90
            phase = None
            while time.time() < deadline and phase != "Succeeded":
                cls.names |= exported_names(cluster.metrics_text())
                run = cluster.api_get("/apis/kcau.io/v1alpha1/updateruns/patch-tuesday")
                phase = run.get("status", {}).get("phase")
                if phase == "Failed":
                    break
                time.sleep(0.1)
            if phase != "Succeeded":
                raise AssertionError(f"the run ended {phase}\n{cluster.logs()}")
            cls.names |= exported_names(cluster.metrics_text())
        finally:
            cluster.stop()

    def check(self, expressions):
        for where, expr in expressions:
            with self.subTest(where=where):
                names = metric_names(expr)
                self.assertTrue(names or "time()" in expr, f"{expr!r} reads no metric")
                self.assertEqual(names - self.names, set(), f"not served by kcau: {expr!r}")

    def test_the_scrape_has_what_this_test_relies_on(self):
        for name in ["kcau_updaterun_nodes", "kcau_blocked_nodes", "kcau_blocked_runs",
                     "kcau_node_blocked_duration_seconds_bucket", "leader_election_master_status",
                     "kcau_updaterun_oldest_cordoned_node_start_time_seconds",
                     "kcau_updaterun_completion_time_seconds"]:
            self.assertIn(name, self.names)
        self.assertNotIn("kcau_no_such_metric", self.names)

    def test_dashboard_names_only_served_metrics(self):
        self.check(dashboard_expressions(load_dashboard()))

    def test_alerts_name_only_served_metrics(self):
        self.check(alert_expressions(load_alerts()))


if __name__ == "__main__":
    BUILD_DIR, SOURCE_DIR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    DASHBOARD = os.path.join(SOURCE_DIR, "charts", "kcau", "files", "kcau-dashboard.json")
    ALERTS = os.path.join(SOURCE_DIR, "charts", "kcau", "files", "alerts.yaml")
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
