"""The Helm chart (charts/kcau) rendered with the engine Helm uses (Go's text/template with
sprig and Helm's include/required/toYaml/tpl: tests/chart/helm_template.go, as Helm cannot be
installed here), checked against its values schema with python3-jsonschema, compared with the
kustomize base (deploy/, rendered by the real `kubectl kustomize`), and applied with the real
kubectl to kcau-sim.

Usage: helm_chart_test.py BUILD_DIR SOURCE_DIR [unittest args]"""

import copy
import json
import os
import subprocess
import sys
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, kubectl_binary  # noqa: E402

BUILD_DIR = SOURCE_DIR = None
CHART = None
# Labels only the chart sets (Helm's release bookkeeping); everything else must agree.
CHART_ONLY_LABELS = {"app.kubernetes.io/instance", "app.kubernetes.io/version",
                     "app.kubernetes.io/managed-by", "helm.sh/chart"}


def renderer():
    """Builds tests/chart/helm_template.go once per build tree (Debian's Go and sprig)."""
    out = os.path.join(BUILD_DIR, "tests", "chart", "helm_template")
    src = os.path.join(SOURCE_DIR, "tests", "chart", "helm_template.go")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
                   GOCACHE=os.path.join(BUILD_DIR, "go-cache"), GOFLAGS="")
        subprocess.run(["go", "build", "-o", out, src], check=True, env=env,
                       cwd=os.path.dirname(src))
    return out


def render(*args, check=True):
    proc = subprocess.run([renderer(), *args, CHART], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError("chart render failed: " + proc.stderr)
    return proc


def documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def by_key(docs):
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d
            for d in docs}


def without_chart_labels(doc):
    """The object as deploy/ writes it: the chart's release labels removed everywhere."""
    doc = copy.deepcopy(doc)

    def strip(meta):
        labels = meta.get("labels")
        if labels:
            for key in CHART_ONLY_LABELS:
                labels.pop(key, None)
    strip(doc["metadata"])
    template = doc.get("spec", {}).get("template")
    if template:
        strip(template["metadata"])
    return doc


def container(doc, name):
    return next(c for c in doc["spec"]["template"]["spec"]["containers"] if c["name"] == name)


class ChartFiles(unittest.TestCase):
    def test_crds_are_the_projects_crds(self):
        for name in os.listdir(os.path.join(CHART, "crds")):
            with open(os.path.join(CHART, "crds", name)) as a, \
                    open(os.path.join(SOURCE_DIR, "crd", name)) as b:
                self.assertEqual(a.read(), b.read(), f"charts/kcau/crds/{name} != crd/{name}")
        self.assertEqual(os.listdir(os.path.join(CHART, "crds")), ["updaterun-crd.yaml"])

    def test_default_values_match_the_schema(self):
        jsonschema.Draft7Validator.check_schema(self.schema())
        jsonschema.validate(self.values(), self.schema())

    def test_bad_values_are_refused_naming_the_field(self):
        cases = [
            (("controller", "replicas"), 0, "controller.replicas"),
            (("controller", "logFormat"), "xml", "controller.logFormat"),
            (("image", "pullPolicy"), "Sometimes", "image.pullPolicy"),
            (("controller", "hookRunner", "allowedUsers"), "root", "controller.hookRunner"),
            (("requestSigning", "secretName"), "Key_PEM", "requestSigning.secretName"),
            (("metrics", "serviceMonitor", "interval"), "soon", "metrics.serviceMonitor"),
            (("metrics", "grafanaDashboard", "sidecarLabel"), "", "metrics.grafanaDashboard"),
            (("metrics", "prometheusRule", "enabled"), "yes", "metrics.prometheusRule"),
            (("controller", "replica"), 2, "replica"),  # a typo: unknown keys are refused
        ]
        for path, value, named in cases:
            values = self.values()
            node = values
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            with self.subTest(path=".".join(path)):
                with self.assertRaises(jsonschema.ValidationError) as err:
                    jsonschema.validate(values, self.schema())
                where = ".".join(str(p) for p in err.exception.absolute_path)
                self.assertIn(named, where + " " + err.exception.message)

    def values(self):
        with open(os.path.join(CHART, "values.yaml")) as f:
            return yaml.safe_load(f)

    def schema(self):
        with open(os.path.join(CHART, "values.schema.json")) as f:
            return json.load(f)


class ChartRendering(unittest.TestCase):
    def test_defaults_agree_with_the_kustomize_base(self):
        chart = by_key(documents(render("--include-crds", "--set", "namespace.create=true",
                                        "--namespace", "kcau-system").stdout))
        kustomized = subprocess.run([kubectl_binary(), "kustomize",
                                     os.path.join(SOURCE_DIR, "deploy")],
                                    capture_output=True, text=True, check=True).stdout
        base = by_key(documents(kustomized))
        self.assertEqual(sorted(chart), sorted(base), "the same objects, by kind and name")
        for key, doc in base.items():
            with self.subTest(object="/".join(key)):
                self.assertEqual(without_chart_labels(chart[key]), doc)

    def test_every_object_carries_the_release_labels(self):
        for doc in documents(render().stdout):
            with self.subTest(kind=doc["kind"], name=doc["metadata"]["name"]):
                labels = doc["metadata"]["labels"]
                self.assertEqual(labels["app.kubernetes.io/managed-by"], "Helm")
                self.assertEqual(labels["app.kubernetes.io/instance"], "kcau")
                self.assertEqual(labels["helm.sh/chart"], "kcau-0.1.0")

    def test_non_default_values(self):
        docs = by_key(documents(render(
            "--release", "cau", "--namespace", "ops",
            "--set", "controller.replicas=3",
            "--set", "controller.leaderElection.enabled=false",
            "--set", "controller.logFormat=text",
            "--set", "controller.extraArgs=[--v=2]",
            "--set", "controller.hookRunner.allowedServiceAccounts=patcher,auditor",
            "--set", "image.repositoryPrefix=registry.example/cau",
            "--set", "image.tag=1.2.3",
            "--set", "imagePullSecrets=[{name: pull}]",
            "--set", "metrics.serviceMonitor.enabled=true",
            "--set", "metrics.serviceMonitor.labels={release: prom}",
            "--set", "agent.nodeSelector={kubernetes.io/os: linux}").stdout))
        deployment = docs[("Deployment", "ops", "kcau-controller")]
        self.assertEqual(deployment["spec"]["replicas"], 3)
        c = container(deployment, "controller")
        self.assertEqual(c["image"], "registry.example/cau/kcau-controller:1.2.3")
        self.assertNotIn("--leader-elect", c["args"])
        for flag in ("--namespace=ops", "--leader-elect-namespace=ops", "--log-format=text",
                     "--v=2", "--hook-allowed-service-accounts=patcher,auditor"):
            self.assertIn(flag, c["args"])
        self.assertEqual(deployment["spec"]["template"]["spec"]["imagePullSecrets"],
                         [{"name": "pull"}])
        agent = docs[("DaemonSet", "ops", "kcau-agent")]
        self.assertEqual(container(agent, "agent")["image"],
                         "registry.example/cau/kcau-agent:1.2.3")
        self.assertEqual(agent["spec"]["template"]["spec"]["nodeSelector"],
                         {"kubernetes.io/os": "linux"})
        monitor = docs[("ServiceMonitor", "ops", "kcau-controller")]
        self.assertEqual(monitor["metadata"]["labels"]["release"], "prom")
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], "metrics")
        self.assertEqual(docs[("RoleBinding", "ops", "kcau-controller")]["subjects"][0]
                         ["namespace"], "ops")
        self.assertNotIn(("Namespace", "", "ops"), docs, "namespace.create is off by default")

    def test_optional_objects_are_off_by_default(self):
        docs = documents(render().stdout)
        kinds = {d["kind"] for d in docs}
        self.assertNotIn("ServiceMonitor", kinds)
        self.assertNotIn("PrometheusRule", kinds)
        self.assertNotIn("Namespace", kinds)
        self.assertEqual([d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"], [])

    def test_alerts_and_dashboard_are_the_files_as_they_are(self):
        docs = by_key(documents(render(
            "--namespace", "monitoring",
            "--set", "metrics.prometheusRule.enabled=true",
            "--set", "metrics.prometheusRule.labels={release: prom}",
            "--set", "metrics.grafanaDashboard.enabled=true").stdout))
        rule = docs[("PrometheusRule", "monitoring", "kcau")]
        self.assertEqual(rule["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(rule["metadata"]["labels"]["release"], "prom")
        with open(os.path.join(CHART, "files", "alerts.yaml")) as f:
            alerts = yaml.safe_load(f)
        self.assertEqual(rule["spec"]["groups"], alerts["groups"])
        # Alertmanager's templates reach the PrometheusRule untouched by the chart's.
        self.assertIn("{{ $labels.updaterun }}", json.dumps(rule["spec"]))

        dashboard = docs[("ConfigMap", "monitoring", "kcau-grafana-dashboard")]
        self.assertEqual(dashboard["metadata"]["labels"]["grafana_dashboard"], "1")
        with open(os.path.join(CHART, "files", "kcau-dashboard.json")) as f:
            text = f.read()
        self.assertEqual(dashboard["data"]["kcau-dashboard.json"], text)
        self.assertEqual(json.loads(dashboard["data"]["kcau-dashboard.json"]), json.loads(text))

        # Another Grafana's sidecar label, and labels of one's own.
        docs = by_key(documents(render(
            "--set", "metrics.grafanaDashboard.enabled=true",
            "--set", "metrics.grafanaDashboard.sidecarLabel=dashboards.grafana.io/load",
            "--set", "metrics.grafanaDashboard.sidecarLabelValue=yes",
            "--set", "metrics.grafanaDashboard.labels={team: ops}").stdout))
        labels = docs[("ConfigMap", "kcau-system", "kcau-grafana-dashboard")]["metadata"]["labels"]
        self.assertEqual(labels["dashboards.grafana.io/load"], "yes")
        self.assertEqual(labels["team"], "ops")
        self.assertNotIn("grafana_dashboard", labels)
        self.assertNotIn(("PrometheusRule", "kcau-system", "kcau"), docs)

    def test_a_missing_signing_secret_is_named(self):
        proc = render("--set", "requestSigning.secretName=", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("requestSigning.secretName is required", proc.stderr)


class ChartInstall(unittest.TestCase):
    """The rendered chart and the kustomize base applied with the real kubectl."""

    def test_chart_and_kustomize_base_apply(self):
        cluster = Cluster(BUILD_DIR, nodes=1, start_controller=False)
        try:
            manifest = render("--include-crds", "--set", "namespace.create=true",
                              "--set", "metrics.grafanaDashboard.enabled=true").stdout
            out = cluster.kubectl_run("apply", "-f", "-", input=manifest)
            self.assertIn("deployment.apps/kcau-controller created", out.stdout)
            self.assertIn("daemonset.apps/kcau-agent created", out.stdout)
            # The dashboard's ConfigMap is accepted whole (kubectl apply keeps a copy in an
            # annotation, which a large dashboard could overflow).
            cm = cluster.get_json("configmap", "-n", "kcau-system", "kcau-grafana-dashboard")
            with open(os.path.join(CHART, "files", "kcau-dashboard.json")) as f:
                self.assertEqual(cm["data"]["kcau-dashboard.json"], f.read())
            ds = cluster.get_json("daemonset", "-n", "kcau-system", "kcau-agent")
            self.assertEqual(ds["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm")
            # The base over the chart's objects: every object is configured, none refused.
            out = cluster.kubectl_run("apply", "-k", os.path.join(SOURCE_DIR, "deploy"))
            self.assertIn("deployment.apps/kcau-controller configured", out.stdout)
            got = cluster.get_json("clusterrole", "kcau-controller")
            self.assertEqual(got["rules"][0]["apiGroups"], ["kcau.io"])
        finally:
            cluster.stop()


if __name__ == "__main__":
    BUILD_DIR, SOURCE_DIR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    CHART = os.path.join(SOURCE_DIR, "charts", "kcau")
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
