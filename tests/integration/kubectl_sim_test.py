"""The real kubectl and Debian's python3-kubernetes client against kcau-sim.

Usage: kubectl_sim_test.py PATH_TO_KCAU_SIM
"""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import ApiAccess, free_port, kubectl_binary, wait_file  # noqa: E402

SIM = None

RUN = """apiVersion: kcau.io/v1alpha1
kind: UpdateRun
metadata:
  name: demo
spec:
  plugins: [{name: packages}]
"""


WIDGET_CRD_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata",
                               "crds", "widget-crd.yaml")


def widget(name, size, color):
    return (f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}, "
            f"namespace: default}}\nspec: {{size: {size}, color: {color}}}\n")


class SimCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kcau-int-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "sim.log"), "wb")
        self.args = [SIM, "--nodes", "3", "--listen", f"127.0.0.1:{self.port}",
                     "--write-kubeconfig", self.kubeconfig,
                     "--state-file", os.path.join(self.dir, "state.json")]
        self._start()
        self.kubectl = kubectl_binary()

    def _start(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_file(self.kubeconfig, "kcau-sim")
        self.access = ApiAccess(self.kubeconfig)

    def restart(self):
        """SIGTERM (the state is saved) and start again from the state file."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        os.remove(self.kubeconfig)
        self._start()

    def run(self, *args, input=None, check=True, kubeconfig=None):
        cmd = [self.kubectl, "--kubeconfig", kubeconfig or self.kubeconfig,
               "--cache-dir", os.path.join(self.dir, "cache"), *args]
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=90)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class KubectlAgainstSim(unittest.TestCase):
    def setUp(self):
        self.c = SimCluster()

    def tearDown(self):
        self.c.stop()

    def test_explain_describes_the_crds_fields(self):
        """kubectl explain reads the CRD's schema from /openapi (v2 and v3, as kubectl 1.27
        and 1.33 do)."""
        kubectls = [k for k in (f"/usr/lib/google-cloud-sdk/bin/kubectl.1.{v}" for v in (27, 33))
                    if os.path.exists(k)] or [self.c.kubectl]
        for kubectl in kubectls:
            with self.subTest(kubectl=kubectl):
                r = subprocess.run([kubectl, "--kubeconfig", self.c.kubeconfig, "explain",
                                    "updaterun.spec.maxUnavailable"],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("KIND:       UpdateRun", r.stdout)
                self.assertIn("Nodes updated at once", r.stdout)
                spec = subprocess.run([kubectl, "--kubeconfig", self.c.kubeconfig, "explain",
                                       "updaterun.spec"], capture_output=True, text=True,
                                      timeout=60)
                self.assertIn("maxFailedNodes\t<integer>", spec.stdout)

    def test_describe_and_get_events(self):
        """describe lists a run's Events (its field selector), get events prints the API
        server's columns."""
        c = self.c
        c.run("apply", "-f", "-", input=RUN)
        uid = c.run("get", "ur", "demo", "-o", "jsonpath={.metadata.uid}").stdout
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": "demo.1", "namespace": "default"},
                 "involvedObject": {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun",
                                    "name": "demo", "uid": uid},
                 "reason": "NodeUpdated", "message": "node-1 updated", "type": "Normal",
                 "source": {"component": "kcau-controller"}, "count": 3,
                 "firstTimestamp": "2026-01-01T00:00:00Z",
                 "lastTimestamp": "2026-01-01T00:00:00Z"}
        c.run("create", "-f", "-", input=json.dumps(event))
        described = c.run("describe", "updaterun", "demo").stdout
        self.assertRegex(described, r"Normal\s+NodeUpdated\s+.*\(x3 over .*\)\s+"
                                    r"kcau-controller\s+node-1 updated")
        lines = c.run("get", "events").stdout.splitlines()
        self.assertEqual(lines[0].split(), ["LAST", "SEEN", "TYPE", "REASON", "OBJECT",
                                            "MESSAGE"])
        self.assertEqual(lines[1].split()[1:], ["Normal", "NodeUpdated", "updaterun/demo",
                                                "node-1", "updated"])
        wide = c.run("get", "events", "-o", "wide").stdout.splitlines()
        self.assertIn("COUNT", wide[0])
        self.assertIn("kcau-controller", wide[1])

    def test_server_side_dry_run_and_diff_store_nothing(self):
        c = self.c
        dry = c.run("apply", "--dry-run=server", "-f", "-", input=RUN).stdout
        self.assertIn("updaterun.kcau.io/demo created (server dry run)", dry)
        self.assertNotEqual(c.run("get", "ur", "demo", check=False).returncode, 0)
        c.run("apply", "-f", "-", input=RUN)
        before = json.loads(c.run("get", "ur", "demo", "-o", "json").stdout)
        edited = RUN + "  maxFailedNodes: 2\n"
        diff = c.run("diff", "-f", "-", input=edited, check=False)
        self.assertEqual(diff.returncode, 1, diff.stderr)  # 1: differences found
        self.assertIn("+  maxFailedNodes: 2", diff.stdout)
        self.assertIn("+  generation: 2", diff.stdout)
        c.run("delete", "ur", "demo", "--dry-run=server")
        after = json.loads(c.run("get", "ur", "demo", "-o", "json").stdout)
        self.assertEqual(after["metadata"]["resourceVersion"],
                         before["metadata"]["resourceVersion"])
        self.assertNotIn("maxFailedNodes", after["spec"])
        bad = c.run("apply", "--dry-run=server", "-f", "-",
                    input=RUN.replace("plugins", "maxFailedNodes: -3\n  plugins"), check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("maxFailedNodes", bad.stderr)

    def test_get_apply_patch_wait_delete(self):
        c = self.c
        nodes = c.run("get", "nodes").stdout
        for n in ("node-1", "node-2", "node-3"):
            self.assertIn(n, nodes)
        self.assertIn("Ready", nodes)
        as_json = json.loads(c.run("get", "nodes", "-o", "json").stdout)
        self.assertIn(as_json["kind"], ("List", "NodeList"))
        self.assertEqual(len(as_json["items"]), 3)

        self.assertIn("created", c.run("apply", "-f", "-", input=RUN).stdout)
        self.assertIn("unchanged", c.run("apply", "-f", "-", input=RUN).stdout)
        self.assertIn("demo", c.run("get", "updateruns").stdout)
        self.assertIn("demo", c.run("get", "ur").stdout)
        yaml_out = c.run("get", "ur", "demo", "-o", "yaml").stdout
        self.assertIn("kind: UpdateRun", yaml_out)

        c.run("patch", "updaterun", "demo", "--subresource=status", "--type=merge", "-p",
              '{"status":{"phase":"Succeeded","conditions":[{"type":"Succeeded","status":"True",'
              '"reason":"Done","message":"x","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}')
        waited = c.run("wait", "--for=condition=Succeeded", "updaterun/demo", "--timeout=20s")
        self.assertIn("condition met", waited.stdout)
        self.assertIn("Succeeded", c.run("get", "ur", "demo").stdout)
        self.assertIn("deleted", c.run("delete", "updaterun", "demo").stdout)
        self.assertNotEqual(c.run("get", "ur", "demo", check=False).returncode, 0)

    def test_install_manifests_apply(self):
        """kcau's own install (README): the kustomize base deploy/ (the CRD included),
        applied twice."""
        c = self.c
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        install = ["apply", "-k", os.path.join(root, "deploy")]
        first = c.run(*install).stdout
        for line in ("customresourcedefinition.apiextensions.k8s.io/updateruns.kcau.io",
                     "namespace/kcau-system created",
                     "serviceaccount/kcau-controller created",
                     "clusterrole.rbac.authorization.k8s.io/kcau-controller created",
                     "clusterrolebinding.rbac.authorization.k8s.io/kcau-controller created",
                     "role.rbac.authorization.k8s.io/kcau-controller created",
                     "rolebinding.rbac.authorization.k8s.io/kcau-controller created",
                     "deployment.apps/kcau-controller created",
                     "service/kcau-controller-metrics created",
                     "serviceaccount/kcau-agent created",
                     "clusterrole.rbac.authorization.k8s.io/kcau-agent created",
                     "daemonset.apps/kcau-agent created"):
            self.assertIn(line, first)
        again = c.run(*install).stdout
        self.assertNotIn("created", again)
        self.assertIn("clusterrole.rbac.authorization.k8s.io/kcau-controller unchanged", again)
        self.assertIn("deployment.apps/kcau-controller unchanged", again)

        role = json.loads(c.run("get", "clusterrole", "kcau-controller", "-o", "json").stdout)
        evict = [r for r in role["rules"] if r["resources"] == ["pods/eviction"]]
        self.assertEqual(evict[0]["verbs"], ["create"])
        controller = json.loads(c.run("get", "deployment", "kcau-controller", "-n",
                                      "kcau-system", "-o", "json").stdout)
        pod = controller["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertIn("--leader-elect", pod["containers"][0]["args"])
        agent = json.loads(c.run("get", "ds", "kcau-agent", "-n", "kcau-system",
                                 "-o", "json").stdout)
        agent_container = agent["spec"]["template"]["spec"]["containers"][0]
        self.assertTrue(agent_container["securityContext"]["privileged"])
        # The request-signing key: the controller mounts the private key from its Secret; the
        # agents get only the public key, from a ConfigMap, and no Secret at all.
        self.assertIn("--request-signing-key=/etc/kcau/request-signing/key.pem",
                      pod["containers"][0]["args"])
        self.assertEqual([v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v],
                         ["kcau-request-signing"])
        agent_volumes = agent["spec"]["template"]["spec"]["volumes"]
        self.assertEqual([v for v in agent_volumes if "secret" in v or "projected" in v], [])
        self.assertIn({"name": "request-verify", "configMap": {
            "name": "kcau-request-verify", "items": [{"key": "key.pub.pem", "path": "key.pub.pem"}]}},
            agent_volumes)
        names = c.run("get", "rolebindings", "-n", "kcau-system", "-o", "name").stdout.split()
        self.assertEqual(names, ["rolebinding.rbac.authorization.k8s.io/kcau-agent",
                                 "rolebinding.rbac.authorization.k8s.io/kcau-controller"])

        # An edit is a patch that lands; deleting by the same files removes what they made.
        c.run("patch", "deployment", "kcau-controller", "-n", "kcau-system",
              "-p", '{"spec":{"replicas":3}}')
        scaled = json.loads(c.run("get", "deployment", "kcau-controller", "-n", "kcau-system",
                                  "-o", "json").stdout)
        self.assertEqual(scaled["spec"]["replicas"], 3)
        self.assertIn("deployment.apps/kcau-controller configured", c.run(*install).stdout)
        deleted = c.run("delete", "-k", os.path.join(root, "deploy")).stdout
        self.assertIn('clusterrole.rbac.authorization.k8s.io "kcau-controller" deleted', deleted)
        self.assertNotEqual(
            c.run("get", "clusterrole", "kcau-controller", check=False).returncode, 0)

    def test_applied_crd_is_served_and_validated(self):
        """Any CRD applied is served as a cluster would: kind, short name, schema; it survives
        an API server restart from --state-file."""
        c = self.c
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created",
                      c.run("apply", "-f", WIDGET_CRD_FILE).stdout)
        self.assertIn("widget.example.com/small created",
                      c.run("apply", "-f", "-", input=widget("small", 2, "red")).stdout)
        bad = c.run("apply", "-f", "-", input=widget("huge", 0, "purple"), check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn('The Widget "huge" is invalid', bad.stderr)
        self.assertIn("spec.size", bad.stderr)
        self.assertIn('spec.color: Unsupported value: "purple"', bad.stderr)
        c.restart()
        self.assertEqual(c.run("get", "wd", "-o", "name").stdout.split(),
                         ["widget.example.com/small"])
        again = c.run("apply", "-f", "-", input=widget("huge", 0, "purple"), check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("spec.size", again.stderr)

    def test_create_built_in_kinds(self):
        """kubectl create sends built-in kinds in protobuf: created as a real cluster would."""
        c = self.c
        self.assertIn("configmap/settings created",
                      c.run("create", "configmap", "settings", "--from-literal=k=v",
                            "--from-literal=mode=fast").stdout)
        cm = json.loads(c.run("get", "configmap", "settings", "-o", "json").stdout)
        self.assertEqual(cm["data"], {"k": "v", "mode": "fast"})
        self.assertEqual(cm["metadata"]["namespace"], "default")
        c.run("create", "namespace", "team-a")
        c.run("create", "serviceaccount", "robot", "-n", "team-a")
        c.run("create", "clusterrole", "reader", "--verb=get,list", "--resource=pods")
        c.run("create", "clusterrolebinding", "reader", "--clusterrole=reader",
              "--serviceaccount=team-a:robot")
        c.run("create", "pdb", "web", "-n", "team-a", "--selector=app=web",
              "--max-unavailable=0")
        binding = json.loads(c.run("get", "clusterrolebinding", "reader", "-o", "json").stdout)
        self.assertEqual(binding["subjects"],
                         [{"kind": "ServiceAccount", "name": "robot", "namespace": "team-a"}])
        self.assertEqual(binding["roleRef"]["name"], "reader")
        role = json.loads(c.run("get", "clusterrole", "reader", "-o", "json").stdout)
        self.assertEqual(role["rules"], [{"apiGroups": [""], "resources": ["pods"],
                                          "verbs": ["get", "list"]}])
        pdb = json.loads(c.run("get", "pdb", "web", "-n", "team-a", "-o", "json").stdout)
        self.assertEqual(pdb["spec"]["maxUnavailable"], 0)
        self.assertEqual(c.run("get", "sa", "robot", "-n", "team-a", "-o", "name").stdout.strip(),
                         "serviceaccount/robot")

    def test_names_are_validated_as_the_api_server_does(self):
        c = self.c
        bad = c.run("create", "configmap", "Bad_Name", "--from-literal=k=v", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: '
                      '"Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
                      "alphanumeric characters, '-' or '.', and must start and end with an "
                      "alphanumeric character (e.g. 'example.com', regex used for validation "
                      "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                      bad.stderr)
        for name in ("päch-dienstag", "x" * 254, "with space"):
            self.assertNotEqual(
                c.run("create", "configmap", name, check=False).returncode, 0, name)
        self.assertNotEqual(c.run("create", "namespace", "a.b", check=False).returncode, 0)
        # RBAC names only may not be '.', '..' or hold '/' or '%'; the name travels
        # percent-encoded in the URL and is found again.
        c.run("create", "clusterrole", "päch-dienstag", "--verb=get", "--resource=nodes")
        self.assertEqual(c.run("get", "clusterrole", "päch-dienstag", "-o", "name").stdout.strip(),
                         "clusterrole.rbac.authorization.k8s.io/päch-dienstag")
        self.assertEqual(c.run("get", "configmaps", "-o", "name").stdout.strip(), "")

    def test_restart_keeps_the_ca_and_token(self):
        """A kubeconfig written before a --state-file restart still works after it."""
        c = self.c
        old = os.path.join(c.dir, "kubeconfig-before-restart")
        shutil.copy(c.kubeconfig, old)
        c.run("apply", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\n"
                                         "metadata: {name: survivor}\ndata: {k: v}\n")
        c.restart()
        self.assertEqual(
            c.run("get", "configmap", "survivor", "-o", "name", kubeconfig=old).stdout.strip(),
            "configmap/survivor")
        with open(old) as before, open(c.kubeconfig) as after:
            self.assertEqual(before.read(), after.read())
        # The state holds the CA's key and the token: for its owner's eyes only.
        self.assertEqual(os.stat(os.path.join(c.dir, "state.json")).st_mode & 0o777, 0o600)

    def test_chunked_lists_and_get_watch(self):
        c = self.c
        # kubectl pages with limit/continue; tiny chunks force several pages.
        names = c.run("get", "nodes", "--chunk-size=1", "-o", "name").stdout.split()
        self.assertEqual(names, ["node/node-1", "node/node-2", "node/node-3"])
        pods_all = c.run("get", "pods", "-A", "--chunk-size=0", "-o", "name").stdout.split()
        pods_paged = c.run("get", "pods", "-A", "--chunk-size=2", "-o", "name").stdout.split()
        self.assertGreater(len(pods_all), 3)
        self.assertEqual(sorted(pods_paged), sorted(pods_all))
        table = c.run("get", "pods", "-A", "--chunk-size=2").stdout
        self.assertEqual(len(table.strip().splitlines()), len(pods_all) + 1)  # + header

        # get -w: the initial list, then a change as it happens.
        cmd = [c.kubectl, "--kubeconfig", c.kubeconfig, "--cache-dir",
               os.path.join(c.dir, "cache"), "get", "nodes", "-w", "-o", "name"]
        watcher = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            first = [watcher.stdout.readline().strip() for _ in range(3)]
            self.assertEqual(sorted(first), ["node/node-1", "node/node-2", "node/node-3"])
            c.run("label", "node", "node-2", "watched=yes")
            self.assertEqual(watcher.stdout.readline().strip(), "node/node-2")
        finally:
            watcher.kill()
            watcher.communicate()

    def test_bad_updaterun_is_refused_at_apply(self):
        bad = RUN.replace("plugins: [{name: packages}]",
                          "plugins: [{name: windows-update}]\n  maxRetriesPerNode: 65")
        r = self.c.run("apply", "-f", "-", input=bad, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('The UpdateRun "demo" is invalid', r.stderr)
        self.assertIn("* spec.maxRetriesPerNode: Invalid value: 65", r.stderr)
        self.assertIn('* spec.plugins[0].name: Unsupported value: "windows-update"', r.stderr)
        self.assertNotEqual(self.c.run("get", "ur", "demo", check=False).returncode, 0)

    def test_cordon_uncordon_drain(self):
        c = self.c
        c.run("cordon", "node-2")
        self.assertEqual(c.run("get", "node", "node-2", "-o",
                               "jsonpath={.spec.unschedulable}").stdout, "true")
        self.assertIn("SchedulingDisabled", c.run("get", "nodes").stdout)
        c.run("uncordon", "node-2")
        self.assertIn(c.run("get", "node", "node-2", "-o",
                            "jsonpath={.spec.unschedulable}").stdout, ("", "false"))
        drained = c.run("drain", "node-1", "--ignore-daemonsets", "--timeout=60s")
        self.assertIn("drained", drained.stdout)
        # The ReplicaSet puts the evicted pods back elsewhere within a moment.
        for _ in range(50):
            pods = json.loads(c.run("get", "pods", "-A", "-o", "json").stdout)["items"]
            if len([p for p in pods if p["metadata"]["namespace"] == "web"]) == 6:
                break
            time.sleep(0.2)
        on_node_1 = [p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == "node-1"]
        # Only the DaemonSet pod stays, as kubectl drain --ignore-daemonsets leaves it.
        self.assertEqual(len(on_node_1), 1, on_node_1)
        self.assertTrue(on_node_1[0].startswith("node-exporter"))
        # The workload came back elsewhere: 6 web pods again.
        web = [p for p in pods if p["metadata"]["namespace"] == "web"]
        self.assertEqual(len(web), 6)

    def test_bad_requests_get_status_errors(self):
        a = self.c.access
        req = urllib.request.Request(a.server + "/api/v1/nodes", data=b"{not json",
                                     method="POST", headers={
                                         "Content-Type": "application/json",
                                         "Authorization": "Bearer " + a.token})
        with self.assertRaises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5, context=a.context)
        self.assertEqual(err.exception.code, 400)
        body = json.loads(err.exception.read())
        self.assertEqual(body["kind"], "Status")
        with self.assertRaises(urllib.error.HTTPError) as err:
            a.open("/api/v1/nodes/ghost")
        self.assertEqual(err.exception.code, 404)
        self.assertEqual(json.loads(err.exception.read())["reason"], "NotFound")
        # Still up.
        with a.open("/readyz") as r:
            self.assertEqual(r.status, 200)

    def test_https_and_token_are_required(self):
        a = self.c.access
        self.assertTrue(a.server.startswith("https://"))
        with self.assertRaises(urllib.error.HTTPError) as err:
            a.open("/api/v1/nodes", token=False)
        self.assertEqual(err.exception.code, 401)
        # A client that does not trust the sim's CA refuses the connection.
        with self.assertRaises(urllib.error.URLError) as err:
            urllib.request.urlopen(a.server + "/readyz", timeout=5,
                                   context=ssl.create_default_context())
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(err.exception))
        bad = self.c.run("--token", "wrong", "get", "nodes", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("the server has asked for the client to provide credentials", bad.stderr)


class PythonClientAgainstSim(unittest.TestCase):
    def setUp(self):
        self.c = SimCluster()

    def tearDown(self):
        self.c.stop()

    def test_list_watch_patch_and_read_status(self):
        from kubernetes import client, config, watch
        config.load_kube_config(config_file=self.c.kubeconfig)
        core = client.CoreV1Api()
        nodes = core.list_node()
        self.assertEqual(sorted(n.metadata.name for n in nodes.items),
                         ["node-1", "node-2", "node-3"])
        self.assertEqual(nodes.items[0].status.node_info.operating_system, "linux")
        core.patch_node("node-3", {"metadata": {"labels": {"kcau.io/pool": "blue"}}})
        labelled = core.list_node(label_selector="kcau.io/pool=blue")
        self.assertEqual([n.metadata.name for n in labelled.items], ["node-3"])
        page = core.list_node(limit=2)
        self.assertEqual(len(page.items), 2)
        self.assertEqual(page.metadata.remaining_item_count, 1)
        rest = core.list_node(limit=2, _continue=page.metadata._continue)
        self.assertEqual([n.metadata.name for n in rest.items], ["node-3"])
        self.assertIsNone(rest.metadata._continue)
        seen = []
        for event in watch.Watch().stream(core.list_node, timeout_seconds=2):
            seen.append((event["type"], event["object"].metadata.name))
        self.assertIn(("ADDED", "node-1"), seen)
        custom = client.CustomObjectsApi()
        custom.create_cluster_custom_object(
            "kcau.io", "v1alpha1", "updateruns",
            {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun",
             "metadata": {"name": "py"}, "spec": {"plugins": [{"name": "packages"}]}})
        custom.patch_cluster_custom_object_status(
            "kcau.io", "v1alpha1", "updateruns", "py", {"status": {"phase": "Running"}})
        run = custom.get_cluster_custom_object_status("kcau.io", "v1alpha1", "updateruns", "py")
        self.assertEqual(run["status"]["phase"], "Running")


if __name__ == "__main__":
    SIM = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]], verbosity=2)
