"""The controller's Deployment (deploy/20-controller.yaml) serves /metrics, /healthz and
/readyz where the kubelet's probes and the Service reach them: the binary listens on loopback
unless told otherwise, so the manifest must name an address on the pod's interfaces, at the
port its probes and its Service use."""

import os
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DEPLOY_DIR  # noqa: E402


def load(name):
    with open(os.path.join(DEPLOY_DIR, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class ControllerManifest(unittest.TestCase):
    def setUp(self):
        docs = load("20-controller.yaml")
        self.deployment = next(d for d in docs if d["kind"] == "Deployment")
        self.service = next(d for d in docs if d["kind"] == "Service")
        self.container = next(c for c in self.deployment["spec"]["template"]["spec"]["containers"]
                              if c["name"] == "controller")

    def metrics_addr(self):
        flags = [a.split("=", 1)[1] for a in self.container["args"]
                 if a.startswith("--metrics-addr=")]
        self.assertEqual(len(flags), 1, "one --metrics-addr=HOST:PORT in the controller's args")
        host, _, port = flags[0].rpartition(":")
        return host, int(port)

    def test_metrics_listen_on_the_pods_address(self):
        host, _ = self.metrics_addr()
        if host == "$(POD_IP)":
            env = {e["name"]: e for e in self.container.get("env", [])}
            self.assertEqual(env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP")
        else:
            # The kubelet probes the pod's IP, not loopback.
            self.assertIn(host, ("", "0.0.0.0", "[::]"))
        self.assertFalse(self.deployment["spec"]["template"]["spec"].get("hostNetwork", False),
                         "every interface of a host-network pod is the node's")

    def test_probes_and_service_use_the_metrics_port(self):
        _, port = self.metrics_addr()
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports["metrics"], port)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = self.container[probe]["httpGet"]
            self.assertEqual(get["path"], path)
            self.assertIn(get["port"], ("metrics", port))
            self.assertNotIn("host", get, "the kubelet must probe the pod's own address")
        self.assertIn(self.service["spec"]["ports"][0]["targetPort"], ("metrics", port))


if __name__ == "__main__":
    unittest.main()
