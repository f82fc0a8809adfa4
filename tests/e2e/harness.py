"""Processes and peers for kcau's end-to-end tests.

Starts kcau-sim and kcau-controller on free loopback ports, runs the real kubectl against
them (fresh --cache-dir per cluster), and watches Nodes over the plain HTTP watch protocol
so tests can count reboots from the outside. Each cluster gets its own Ed25519 key pair
(made with the openssl CLI): the controller signs its requests to the node agents with the
private key, and kcau-sim's simulated agents verify them with the public one. With
real_agents=True, kcau-sim runs the real kcau-agent binary for the scenario's `agent: real`
nodes, each in a root under Cluster.agent_roots (docs/sim.md). Every process started here is
stopped by Cluster.stop(), which the tests call from tearDown; it fails the test if an agent
outlived kcau-sim, or if the controller or an agent made a request deploy/'s RBAC does not
grant.
"""

import base64
import glob
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import yaml

import rbac_check

DEPLOY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubectl_binary():
    # The dispatcher at /usr/bin/kubectl probes /version before every call; a pinned client
    # skips that. Either is the real kubectl.
    for candidate in ("/usr/lib/google-cloud-sdk/bin/kubectl.1.32", shutil.which("kubectl")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


# How long kcau-sim may take to build its cluster and write its kubeconfig: a benchmark's
# 5,000 nodes and 50,000 pods take more than this on a busy 2-core machine and raise it.
SIM_START_TIMEOUT_S = 15.0


def exited_problem(proc, what, waited_for):
    """With `proc` gone: the message saying so, where waiting on would only time out."""
    if proc is None or proc.poll() is None:
        return None
    return f"{what} exited with code {proc.returncode} before {waited_for}"


def wait_http(url, what, timeout=15.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        problem = exited_problem(proc, what, f"answering {url}")
        if problem:
            raise AssertionError(problem)
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not answer {url} within {timeout}s")


def wait_file(path, what, timeout=15.0, proc=None):
    """kcau-sim writes its kubeconfig (atomically) once it is listening."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        problem = exited_problem(proc, what, f"writing {path}")
        if problem:
            raise AssertionError(problem)
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not write {path} within {timeout}s")


# kcau-sim keeps the agents' DaemonSet in "default", and the tests put hook ConfigMaps there;
# kcau-controller's own default (kcau-system) is for a cluster installed from deploy/.
SIM_NAMESPACE_FLAGS = ("--namespace", "--leader-elect-namespace")


def with_sim_namespaces(args):
    """`args` with --namespace and --leader-elect-namespace set to "default" unless given."""
    args = list(args)
    for flag in SIM_NAMESPACE_FLAGS:
        if not any(a == flag or a.startswith(flag + "=") for a in args):
            args += [flag, "default"]
    return args


def make_signing_keys(directory, name="request-signing"):
    """An Ed25519 key pair, as docs/security.md makes one: (private PEM path, public PEM path)."""
    private = os.path.join(directory, name + ".pem")
    public = os.path.join(directory, name + ".pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", private],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public],
                   check=True, capture_output=True)
    return private, public


def controller_namespaces(args):
    """The namespaces a kcau-controller started with `args` works in (Roles apply there):
    --namespace and --leader-elect-namespace, each kcau-controller's default (kcau-system)
    unless given."""
    found = {}
    for i, a in enumerate(args):
        for flag in ("--namespace", "--leader-elect-namespace"):
            if a == flag and i + 1 < len(args):
                found[flag] = args[i + 1]
            elif a.startswith(flag + "="):
                found[flag] = a.split("=", 1)[1]
    return {found.get("--namespace", "kcau-system"),
            found.get("--leader-elect-namespace", "kcau-system")}


class ApiAccess:
    """What a kubeconfig from kcau-sim says: server, CA to verify it with, bearer token."""

    def __init__(self, kubeconfig):
        with open(kubeconfig) as f:
            doc = yaml.safe_load(f)
        cluster = doc["clusters"][0]["cluster"]
        self.server = cluster["server"]
        self.token = (doc["users"][0].get("user") or {}).get("token")
        self.context = None
        if "certificate-authority-data" in cluster:
            ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
            self.context = ssl.create_default_context(cadata=ca)

    def open(self, path, timeout=5, token=True):
        req = urllib.request.Request(self.server + path)
        if token and self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        return urllib.request.urlopen(req, timeout=timeout, context=self.context)


class NodeBootWatcher:
    """Streams /api/v1/nodes?watch=1 and records every distinct bootID per node."""

    def __init__(self, access):
        self.boot_ids = {}
        self.unschedulable_seen = {}
        self._access = access
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                path = "/api/v1/nodes?watch=1&timeoutSeconds=30"
                with self._access.open(path, timeout=60) as stream:
                    for line in stream:
                        if self._stop:
                            return
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        node = event.get("object", {})
                        name = node.get("metadata", {}).get("name")
                        boot = node.get("status", {}).get("nodeInfo", {}).get("bootID")
                        if name and boot:
                            seen = self.boot_ids.setdefault(name, [])
                            if not seen or seen[-1] != boot:
                                seen.append(boot)
                        if name and node.get("spec", {}).get("unschedulable"):
                            self.unschedulable_seen[name] = True
            except OSError:
                time.sleep(0.2)

    def stop(self):
        self._stop = True


class Cluster:
    def __init__(self, build_dir, nodes=3, sim_args=(), controller_args=(),
                 start_controller=True, real_agents=False, controller_cpus=None):
        """controller_cpus: the CPUs the controllers may run on (all of ours by default);
        the benchmark gives them cores kcau-sim does not use (docs/bench.md)."""
        self.build_dir = build_dir
        self.controller_cpus = controller_cpus
        self.dir = tempfile.mkdtemp(prefix="kcau-e2e-")
        # kcau-sim --agent-roots: each real agent's root DIR/N, kubeconfig, log and pid file.
        self.agent_roots = os.path.join(self.dir, "agents") if real_agents else None
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.sim_port = free_port()
        self.metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"
        self.procs = []
        # Every resource request, so that stop() can check the controller's against RBAC.
        self.audit_log = os.path.join(self.dir, "audit.jsonl")
        self.controller_namespaces = set()
        self._stopped = False
        self._controller_was_ready = False
        self.kubectl = kubectl_binary()
        self.signing_key, self.verify_key = make_signing_keys(self.dir)
        try:
            self._start_sim(nodes, sim_args)
            if start_controller:
                self.start_controller(controller_args)
        except BaseException:
            # Nobody holds a Cluster that failed to start, so nobody would stop it: what did
            # start must not run on, on the cores the next test or benchmark shares.
            sys.stderr.write(self.logs() + "\n")
            self._stopped = True
            self._end_processes()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _spawn(self, name, args, cpus=None):
        # The child keeps its own descriptor; ours is closed at once. Its threads, and what it
        # runs, inherit the CPUs it is given.
        pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        with open(os.path.join(self.dir, name + ".log"), "ab") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin)
        self.procs.append(proc)
        return proc

    def _start_sim(self, nodes, sim_args):
        self._sim_args = [
            os.path.join(self.build_dir, "sim", "kcau-sim"), "--nodes", str(nodes),
            "--listen", f"127.0.0.1:{self.sim_port}", "--write-kubeconfig", self.kubeconfig,
            "--audit-log", self.audit_log, "--agent-verify-key", self.verify_key, *sim_args]
        if self.agent_roots:
            self._sim_args += ["--real-agents",
                               os.path.join(self.build_dir, "agent", "kcau-agent"),
                               "--agent-roots", self.agent_roots]
        self.sim = self._spawn("sim", self._sim_args)
        wait_file(self.kubeconfig, "kcau-sim", SIM_START_TIMEOUT_S, proc=self.sim)
        self.access = ApiAccess(self.kubeconfig)
        self.server = self.access.server

    def restart_sim(self):
        """SIGTERM kcau-sim and start it again with the same arguments (same port)."""
        self.sim.terminate()
        self.sim.wait(timeout=20)
        os.remove(self.kubeconfig)
        self.sim = self._spawn("sim", self._sim_args)
        wait_file(self.kubeconfig, "restarted kcau-sim", SIM_START_TIMEOUT_S, proc=self.sim)
        self.access = ApiAccess(self.kubeconfig)

    def start_controller(self, controller_args=(), name="controller", metrics_port=None,
                         kubeconfig=None, wait_ready=True, signing_key=None):
        """Starts a kcau-controller; the first one becomes self.controller. It signs with the
        cluster's key unless given another (signing_key: a PEM file)."""
        port = metrics_port or self.metrics_port
        controller_args = with_sim_namespaces(controller_args)
        self.controller_namespaces |= controller_namespaces(controller_args)
        proc = self._spawn(name, [
            os.path.join(self.build_dir, "controller", "kcau-controller"),
            "--kubeconfig", kubeconfig or self.kubeconfig,
            "--metrics-addr", f"127.0.0.1:{port}",
            "--request-signing-key", signing_key or self.signing_key, *controller_args],
            cpus=self.controller_cpus)
        if name == "controller":
            self.controller = proc
        if wait_ready:
            wait_http(f"http://127.0.0.1:{port}/readyz", "kcau-controller " + name, proc=proc)
            self._controller_was_ready = True
        return proc

    def write_kubeconfig(self, name, edit):
        """A copy of the sim's kubeconfig changed by edit(doc); returns its path."""
        with open(self.kubeconfig) as f:
            doc = yaml.safe_load(f)
        edit(doc)
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)
        return path

    def log_text(self, name="controller"):
        with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
            return f.read()

    def kubectl_run(self, *args, input=None, check=True, timeout=60):
        if self.kubectl is None:
            raise AssertionError("kubectl is not installed")
        cmd = [self.kubectl, "--kubeconfig", self.kubeconfig,
               "--cache-dir", os.path.join(self.dir, "kube-cache"), *args]
        result = subprocess.run(cmd, input=input, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr}{result.stdout}")
        return result

    def get_json(self, *args):
        return json.loads(self.kubectl_run("get", *args, "-o", "json").stdout)

    def api_get(self, path):
        with self.access.open(path) as r:
            return json.loads(r.read())

    def metrics_text(self):
        with urllib.request.urlopen(self.metrics_url + "/metrics", timeout=5) as r:
            return r.read().decode()

    def wait_for_phase(self, run, phases, timeout):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.api_get(f"/apis/kcau.io/v1alpha1/updateruns/{run}")
                if last.get("status", {}).get("phase") in phases:
                    return last
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"updaterun {run} not in {phases} after {timeout}s: "
                             f"{json.dumps(last.get('status') if last else None, indent=1)}\n"
                             f"{self.logs()}")

    def agent_root(self, node):
        """The root a real agent acts in: its node's disk."""
        return os.path.join(self.agent_roots, node)

    def agent_pid(self, node):
        """The process ID of the node's running real agent (kcau-sim's pid file)."""
        with open(os.path.join(self.agent_roots, node + ".pid")) as f:
            return int(f.read())

    def agent_metrics_addr(self, node):
        """Where the node's real agent serves /metrics (kcau-sim's DIR/N.metrics: one port per
        node, kept across the agent's restarts)."""
        with open(os.path.join(self.agent_roots, node + ".metrics")) as f:
            return f.read().strip()

    def agent_journal(self, node):
        """What the node's real agent recorded of its last update request (its journal)."""
        with open(os.path.join(self.agent_root(node), "var", "lib", "kcau", "update.json")) as f:
            return json.load(f)

    def wait_agents_announced(self, timeout=30.0):
        """Until every Node carries kcau.io/agent-version: the real agents are up (a run
        started before would skip the nodes with no agent yet). Returns the nodes by name."""
        deadline = time.time() + timeout
        while True:
            nodes = {n["metadata"]["name"]: n
                     for n in self.api_get("/api/v1/nodes")["items"]}
            missing = [name for name, n in nodes.items()
                       if "kcau.io/agent-version" not in n["metadata"].get("annotations", {})]
            if not missing:
                return nodes
            if time.time() > deadline:
                raise AssertionError(f"no agent announced itself on {missing} within "
                                     f"{timeout}s\n{self.logs()}")
            time.sleep(0.2)

    def logs(self):
        out = []
        paths = [os.path.join(self.dir, name + ".log")
                 for name in ("controller", "controller-b", "sim")]
        if self.agent_roots:
            paths += sorted(glob.glob(os.path.join(self.agent_roots, "*.log")))
        for path in paths:
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    lines = int(os.environ.get("KCAU_E2E_LOG_LINES", "40"))
                    out.append(f"--- {os.path.basename(path)} (tail) ---\n" +
                               "".join(f.readlines()[-lines:]))
        return "\n".join(out)

    def stop(self):
        """Stops every process, then fails if the controller made a request that kcau's
        install manifests (deploy/) do not grant it: a real cluster would have refused it."""
        if self._stopped:
            return
        self._stopped = True
        self._end_processes()
        problem = self._orphan_problem() or self._rbac_problem()
        keep = os.environ.get("KCAU_E2E_AUDIT_DIR")
        if keep and os.path.exists(self.audit_log):
            # For `rbac_check.py --unused DIR`: which granted permissions no run used.
            os.makedirs(keep, exist_ok=True)
            shutil.copy(self.audit_log, os.path.join(keep, os.path.basename(self.dir) + ".jsonl"))
        shutil.rmtree(self.dir, ignore_errors=True)
        if problem:
            raise AssertionError(problem)

    def _end_processes(self):
        """SIGTERM every process still running, SIGKILL any that outlasts 10 s."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _orphan_problem(self):
        """kcau-sim stops its agents when it stops: one still running is an orphan (killed
        here, and reported)."""
        if not self.agent_roots:
            return None
        def alive(pid):  # a zombie's cmdline is empty: it is gone, only not reaped yet
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    return b"kcau-agent" in f.read()
            except OSError:
                return False

        orphans = []
        for pid_file in glob.glob(os.path.join(self.agent_roots, "*.pid")):
            with open(pid_file) as f:
                pid = int(f.read())
            deadline = time.time() + 2  # a SIGKILLed kcau-sim's agents die a moment after it
            while alive(pid) and time.time() < deadline:
                time.sleep(0.05)
            if alive(pid):
                orphans.append(f"{os.path.basename(pid_file)[:-4]} (pid {pid})")
                os.kill(pid, 9)
        if orphans:
            return "kcau-sim left its real agents running: " + ", ".join(orphans)
        return None

    def _rbac_problem(self):
        problems = []
        if self.agent_roots:
            agents = rbac_check.agent_requests(self.audit_log)
            if not agents:
                problems.append(f"kcau-sim's audit log {self.audit_log} holds no request from "
                                "a real kcau-agent")
            problems += rbac_check.agent_identity_problems(agents)
            denied = rbac_check.denied_requests(
                agents, rbac_check.load_manifests(DEPLOY_DIR),
                self.controller_namespaces or {"kcau-system"}, rbac_check.AGENT_SUBJECT)
            if denied:
                problems.append("kcau-agent made requests its RBAC (deploy/) does not grant:"
                                "\n  " + "\n  ".join(denied))
        controller = self._controller_rbac_problem()
        if controller:
            problems.append(controller)
        return "\n".join(problems) or None

    def _controller_rbac_problem(self):
        if not self.controller_namespaces:
            return None  # no controller was started here
        requests = rbac_check.controller_requests(self.audit_log)
        if not requests and self._controller_was_ready:  # ready = its caches synced
            return f"kcau-sim's audit log {self.audit_log} holds no request from kcau-controller"
        denied = rbac_check.denied_requests(requests, rbac_check.load_manifests(DEPLOY_DIR),
                                            self.controller_namespaces)
        if denied:
            return ("kcau-controller made requests its RBAC (deploy/) does not grant:\n  " +
                    "\n  ".join(denied))
        return None


def settled_events(cluster, *selector):
    """The Events kubectl lists once two reads half a second apart agree: the controller sends
    Events on threads of their own, a moment after the status write a test waited for
    (client-go's recorder is asynchronous too)."""
    def read():
        return cluster.get_json("events", *selector)["items"]

    def shape(items):
        return [(e["metadata"]["name"], e.get("count")) for e in items]

    deadline = time.monotonic() + 15
    last = read()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = read()
        if shape(now) == shape(last):
            return now
        last = now
    return last


def node_map(cluster):
    return {n["metadata"]["name"]: n for n in cluster.get_json("nodes")["items"]}


def status_nodes(run):
    return {n["name"]: n for n in run["status"].get("nodes", [])}


def condition(run, ctype):
    for c in run["status"].get("conditions", []):
        if c["type"] == ctype:
            return c
    return None


def assert_succeeded_each_node_once(test, run, watcher, **labels):
    """The run succeeded, and every node was updated in one attempt and rebooted exactly once
    (one new boot ID seen by the watcher over the whole run)."""
    test.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
    for name, r in status_nodes(run).items():
        with test.subTest(node=name, **labels):
            test.assertEqual(r["attempts"], 1, "updated twice")
            test.assertEqual(len(watcher.boot_ids[name]), 2,
                             f"boot IDs seen: {watcher.boot_ids[name]}")
