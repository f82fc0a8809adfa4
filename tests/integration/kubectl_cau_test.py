"""kubectl-cau (the CAU cmdlet family as a kubectl plugin) against kcau-sim, as a binary and
through the real kubectl's plugin mechanism.

Usage: kubectl_cau_test.py PATH_TO_KCAU_SIM PATH_TO_KUBECTL_CAU
"""

import csv
import io
import json
import os
import subprocess
import sys
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubectl_sim_test  # noqa: E402
from kubectl_sim_test import SimCluster  # noqa: E402

CAU = None
GCLOUD_KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl"

# A status as the controller would write it, with text that needs escaping in HTML and
# quoting in CSV.
STATUS = {"status": {
    "phase": "Running", "nodesTotal": 3, "nodesSucceeded": 1, "nodesFailed": 1,
    "nodes": [
        {"name": "node-1", "phase": "Succeeded", "attempts": 1, "updatesInstalled": 2,
         "rebooted": True, "message": "2 updates installed, rebooted"},
        {"name": "node-2", "phase": "Failed", "attempts": 3,
         "message": 'plug-in "packages" failed: <exit 1>'},
        {"name": "node-3", "phase": "Rebooting", "attempts": 1,
         "message": "waiting for a new boot ID"},
    ]}}


class KubectlCau(unittest.TestCase):
    def setUp(self):
        self.c = SimCluster()
        self.env = dict(os.environ, KUBECONFIG=self.c.kubeconfig)

    def tearDown(self):
        self.c.stop()

    def cau(self, *args, input=None, env=None, check=True):
        r = subprocess.run([CAU, *args], input=input, capture_output=True, text=True,
                           timeout=60, env=env or self.env)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl-cau {' '.join(args)} exited {r.returncode}: "
                                 f"{r.stderr}")
        return r

    def get_run(self, name, check=True):
        r = self.c.run("get", "updaterun", name, "-o", "json", check=check)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def test_run_creates_and_dry_run_creates_nothing(self):
        out = self.cau("run", "--force", "--max-failed-nodes", "1", "--name", "patch",
                       "--cau-plugin-name", "packages", "--cau-plugin-arguments",
                       "securityOnly=true", "--reboot-timeout-minutes=20", "-n", "ignored",
                       "--node-order", "node-2,node-1").stdout
        self.assertIn("updaterun.kcau.io/patch created", out)
        spec = self.get_run("patch")["spec"]
        self.assertEqual(spec["maxFailedNodes"], 1)
        self.assertEqual(spec["rebootTimeoutMinutes"], 20)
        self.assertEqual(spec["nodeOrder"], ["node-2", "node-1"])
        self.assertEqual(spec["plugins"],
                         [{"name": "packages", "arguments": {"securityOnly": "true"}}])

        # Checked against the cluster: a node that does not exist is refused, by flag.
        bad = self.cau("run", "--force", "--node-order", "ghost", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn('--node-order: spec.nodeOrder[0]: node "ghost" does not exist', bad.stderr)

        dry = self.cau("--what-if", "run", "what-if-run", "--dry-run", "-o", "yaml",
                       "--max-unavailable", "50%").stdout
        self.assertIsNone(self.get_run("what-if-run", check=False), "a dry run creates nothing")
        doc = yaml.safe_load(dry)
        self.assertEqual(doc["metadata"]["name"], "what-if-run")
        self.assertEqual(doc["spec"]["whatIf"], True)
        server = self.c.run("apply", "--dry-run=server", "-f", "-", input=dry).stdout
        self.assertIn("updaterun.kcau.io/what-if-run created (server dry run)", server)

    def test_confirmation_is_asked_without_force(self):
        no = self.cau("run", "--name", "asked", input="n\n", check=False)
        self.assertEqual(no.returncode, 1)
        self.assertIn("Create UpdateRun asked? [y/N]", no.stdout)
        self.assertIsNone(self.get_run("asked", check=False))
        yes = self.cau("run", "--name", "asked", input="y\n")
        self.assertIn("updaterun.kcau.io/asked created", yes.stdout)
        generated = self.cau("run", "--force").stdout
        self.assertRegex(generated, r"updaterun.kcau.io/cau-\d{8}-\d{6} created")

    def test_get_stop_report_export(self):
        self.cau("run", "--force", "--name", "r1")
        self.c.run("patch", "updaterun", "r1", "--subresource=status", "--type=merge", "-p",
                   json.dumps(STATUS))
        table = self.cau("get").stdout.splitlines()
        self.assertEqual(table[0].split(), ["NAME", "PHASE", "NODES", "SUCCEEDED", "FAILED",
                                            "AGE"])
        self.assertEqual(table[1].split()[:5], ["r1", "Running", "3", "1", "1"])
        view = self.cau("get", "r1").stdout
        self.assertIn("1 done, 1 in flight, 1 failed, 0 pending", view)
        self.assertRegex(view, r"node-3\s+Rebooting\s+attempt 1\s+waiting for a new boot ID")

        report = json.loads(self.cau("report", "r1", "-o", "json").stdout)
        self.assertEqual(report["nodes"][1]["message"], 'plug-in "packages" failed: <exit 1>')
        self.assertEqual(yaml.safe_load(self.cau("report", "-o", "yaml", "r1").stdout)["phase"],
                         "Running")
        self.assertIn("UpdateRun r1: Running, 1 of 3 nodes succeeded", self.cau("report",
                                                                                "r1").stdout)

        out = self.cau("export", "r1", "--dir", self.c.dir).stdout
        self.assertIn("r1.html", out)
        with open(os.path.join(self.c.dir, "r1.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["node"] for r in rows], ["node-1", "node-2", "node-3"])
        self.assertEqual(rows[1]["message"], 'plug-in "packages" failed: <exit 1>')
        self.assertEqual(rows[0]["message"], "2 updates installed, rebooted")
        with open(os.path.join(self.c.dir, "r1.html")) as f:
            html = f.read()
        self.assertIn("plug-in &quot;packages&quot; failed: &lt;exit 1&gt;", html)
        self.assertNotIn("<exit 1>", html)

        stopped = self.cau("stop", "r1").stdout
        self.assertIn("updaterun.kcau.io/r1 stop requested", stopped)
        self.assertTrue(self.get_run("r1")["spec"]["stop"])
        self.assertIn("already stopping", self.cau("stop", "r1").stdout)
        missing = self.cau("report", "nope", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("updaterun nope", missing.stderr)

    def test_live_view_in_a_terminal(self):
        """get --watch in a pseudo-terminal: the frame is redrawn in place as the run moves,
        and the view ends with the run."""
        import pty
        import select
        self.cau("run", "--force", "--name", "live")
        self.c.run("patch", "updaterun", "live", "--subresource=status", "--type=merge", "-p",
                   json.dumps(STATUS))
        pid, fd = pty.fork()
        if pid == 0:  # the child: kubectl-cau on the terminal
            os.execve(CAU, [CAU, "get", "live", "--watch"], self.env)
        output = b""

        def read_until(text, timeout=15):
            nonlocal output
            deadline = time.monotonic() + timeout
            while text.encode() not in output and time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    try:
                        output += os.read(fd, 65536)
                    except OSError:  # the child ended and closed the terminal
                        break
            return text.encode() in output

        try:
            self.assertTrue(read_until("1 done, 1 in flight, 1 failed"), output)
            # The run moves on: node-3 succeeded, the run ended.
            generation = self.get_run("live")["metadata"]["generation"]
            done = json.loads(json.dumps(STATUS))
            done["status"].update(phase="Succeeded", nodesSucceeded=2,
                                  observedGeneration=generation)
            done["status"]["nodes"][2].update(phase="Succeeded", message="1 updates installed")
            self.c.run("patch", "updaterun", "live", "--subresource=status", "--type=merge",
                       "-p", json.dumps(done))
            self.assertTrue(read_until("2 done, 0 in flight, 1 failed"), output)
            _, status = os.waitpid(pid, 0)
            pid = 0
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        finally:
            if pid:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            os.close(fd)
        # Redrawn in place: cursor home and clear before each frame, two frames at least.
        self.assertGreaterEqual(output.count(b"\x1b[H\x1b[2J"), 2, output)

    def test_scan_creates_a_scan_run(self):
        self.cau("scan", "--no-wait", "--name", "s1", "--cluster-name", "kubernetes.io/os=linux")
        self.assertEqual(self.get_run("s1")["spec"]["mode"], "Scan")

    def test_apply_still_works(self):
        path = os.path.join(self.c.dir, "run.yaml")
        with open(path, "w") as f:
            f.write(kubectl_sim_test.RUN)
        self.assertIn("updaterun.kcau.io/demo created", self.cau("apply", "-f", path).stdout)
        self.assertIn("updaterun.kcau.io/demo configured", self.cau("apply", "-f", path).stdout)

    @unittest.skipUnless(os.path.exists(GCLOUD_KUBECTL), "no kubectl in the Cloud SDK")
    def test_as_a_kubectl_plugin(self):
        env = dict(self.env, PATH=os.path.dirname(CAU) + os.pathsep + os.environ["PATH"])
        self.cau("run", "--force", "--name", "via-plugin")
        r = subprocess.run([GCLOUD_KUBECTL, "cau", "get"], capture_output=True, text=True,
                           timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("via-plugin", r.stdout)
        listed = subprocess.run([GCLOUD_KUBECTL, "plugin", "list"], capture_output=True,
                                text=True, timeout=60, env=env)
        self.assertIn("kubectl-cau", listed.stdout)

    def write_kubeconfig(self, name, user):
        with open(self.c.kubeconfig) as f:
            sim = yaml.safe_load(f)
        sim["users"] = [{"name": "u", "user": user}]
        sim["contexts"] = [{"name": "x", "context": {"cluster": sim["clusters"][0]["name"],
                                                     "user": "u"}}]
        sim["current-context"] = "x"
        path = os.path.join(self.c.dir, name)
        with open(path, "w") as f:
            yaml.safe_dump(sim, f)
        return path

    def test_exec_plugin_and_unusable_users(self):
        token = self.c.access.token
        plugin = os.path.join(self.c.dir, "plugin.sh")
        with open(plugin, "w") as f:
            f.write("#!/bin/sh\n"
                    'case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 9;; esac\n'
                    "printf '%s' '" + json.dumps({
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "kind": "ExecCredential", "status": {"token": token}}) + "'\n")
        os.chmod(plugin, 0o755)
        good = self.write_kubeconfig("exec.kubeconfig", {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": plugin,
            "interactiveMode": "Never"}})
        self.cau("run", "--force", "--name", "by-exec", "--kubeconfig", good)
        self.assertIsNotNone(self.get_run("by-exec"))
        # KUBECONFIG as a list: a missing file is skipped, the first definition wins.
        env = dict(self.env, KUBECONFIG=os.path.join(self.c.dir, "missing") + ":" + good + ":" +
                   self.c.kubeconfig)
        self.assertIn("by-exec", self.cau("get", env=env).stdout)

        failing = os.path.join(self.c.dir, "failing.sh")
        with open(failing, "w") as f:
            f.write("#!/bin/sh\necho 'session expired: log in again' >&2\nexit 1\n")
        os.chmod(failing, 0o755)
        bad = self.write_kubeconfig("failing.kubeconfig", {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": failing}})
        r = self.cau("get", "--kubeconfig", bad, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exec plugin " + failing + " exited 1: session expired: log in again",
                      r.stderr)

        gcp = self.write_kubeconfig("gcp.kubeconfig",
                                    {"auth-provider": {"name": "gcp", "config": {}}})
        r = self.cau("get", "--kubeconfig", gcp, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('user "u" uses auth-provider gcp, which kcau', r.stderr)
        self.assertIn("use an exec plugin", r.stderr)


if __name__ == "__main__":
    kubectl_sim_test.SIM = os.path.abspath(sys.argv[1])
    CAU = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]], verbosity=2)
