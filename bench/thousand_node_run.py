"""How long a whole UpdateRun over examples/scenarios/thousand-nodes.yaml takes: kcau-sim
with 1,000 nodes and 3,000 pods behind a 10% budget, the real controller, the real kubectl.
Prints figures; asserts nothing (tests never assert on wall time).

Usage: thousand_node_run.py BUILD_DIR SOURCE_DIR [maxUnavailable ...]   (default: 10% 25%)
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import Cluster  # noqa: E402


def one_run(build_dir, source_dir, max_unavailable):
    scenario = os.path.join(source_dir, "examples", "scenarios", "thousand-nodes.yaml")
    cluster = Cluster(build_dir, sim_args=["--scenario", scenario],
                      controller_args=["--kube-api-qps", "500", "--kube-api-burst", "1000"])
    try:
        manifest = {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun",
                    "metadata": {"name": "big"},
                    "spec": {"plugins": [{"name": "packages"}],
                             "maxUnavailable": max_unavailable}}
        start = time.time()
        cluster.kubectl_run("apply", "-f", "-", input=json.dumps(manifest))
        run = cluster.wait_for_phase("big", {"Succeeded", "Failed"}, timeout=600)
        elapsed = time.time() - start
        status = cluster.kubectl_run("get", "updaterun", "big", "-o", "json").stdout
        print(f"maxUnavailable {max_unavailable}: {run['status']['phase']}, "
              f"{run['status']['nodesSucceeded']} nodes in {elapsed:.1f} s "
              f"({run['status']['nodesSucceeded'] / elapsed:.0f} nodes/s); "
              f"status {len(status)} bytes as kubectl prints it")
    finally:
        cluster.stop()


if __name__ == "__main__":
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for mu in sys.argv[3:] or ["10%", "25%"]:
        one_run(build, source, mu)
