"""node_timeline.py's reading of an audit log (no cluster): two nodes, one slot, every
moment known, so each step's figure is the one written here."""

import datetime
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_timeline  # noqa: E402

START = datetime.datetime(2026, 12, 3, 8, 0, 0, tzinfo=datetime.timezone.utc)
CONTROLLER = "kcau-controller/0.1.0"


def line(at_s, verb, resource, name, agent=CONTROLLER, annotations=None):
    when = (START + datetime.timedelta(seconds=at_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    e = {"requestReceivedTimestamp": when, "verb": verb, "resource": resource,
         "subresource": "", "name": name, "userAgent": agent}
    if annotations:
        e["annotations"] = annotations
    return json.dumps(e)


def result(at_s, node, state, reboot=False):
    return line(at_s, "patch", "nodes", node, agent="kcau-agent-sim",
                annotations={"sim.kcau.io/agent-state": state,
                             "sim.kcau.io/reboot-required": "true" if reboot else "false"})


def node(at_s, name):
    """One node's update from `at_s`: scan 1 s, drain 0.3 s, install 1 s, reboot 2 s, re-scan
    1 s, uncordon 0.01 s after it: 4.31 s from its cordon to its uncordon."""
    t = at_s
    return [line(t, "patch", "nodes", name), result(t + 0.01, name, "Installing"),
            result(t + 1.0, name, "Scanned"), line(t + 1.2, "patch", "nodes", name),
            line(t + 1.5, "patch", "nodes", name), result(t + 1.52, name, "Installing"),
            result(t + 2.52, name, "Installed", reboot=True),
            result(t + 4.52, name, "Installing"), result(t + 5.5, name, "Installed"),
            line(t + 5.51, "patch", "nodes", name)]


class NodeTimelineTest(unittest.TestCase):
    def setUp(self):
        lines = [line(0.0, "create", "updateruns", "bench", agent="kubectl/v1.30")]
        lines += node(0.1, "n1") + node(5.6, "n2")
        lines.append(line(6.0, "patch", "nodes", "n3"))  # a node written once: left out
        self.out = node_timeline.report(sorted(lines, key=lambda s: json.loads(s)[
            "requestReceivedTimestamp"]), concurrency=1)

    def figure(self, step):
        row = next(r for r in self.out if r.startswith(step))
        return float(row.split("p50")[1].split()[0])

    def test_each_step_is_read_from_its_writes(self):
        self.assertEqual(self.out[0], "2 nodes read, 1 written otherwise (left out)")
        self.assertAlmostEqual(self.figure("scan request -> Scanned"), 1.0, places=3)
        self.assertAlmostEqual(self.figure("cordon -> update request"), 0.3, places=3)
        self.assertAlmostEqual(self.figure("update request -> agent begins"), 0.02, places=3)
        self.assertAlmostEqual(self.figure("install round"), 1.0, places=3)
        self.assertAlmostEqual(self.figure("reboot"), 2.0, places=3)
        self.assertAlmostEqual(self.figure("re-scan round"), 0.98, places=3)
        self.assertAlmostEqual(self.figure("back -> uncordon"), 0.01, places=3)
        self.assertAlmostEqual(self.figure("in flight"), 4.31, places=3)

    def test_slots_and_hand_over(self):
        # n1 in flight 1.3 to 5.61, n2 6.8 to 11.11: the one slot idle 1.19 s of 9.81.
        self.assertIn("first cordon 1.300 s after the run's creation", self.out)
        self.assertIn("slots in use 87.9% of the time (1 slots)", self.out)
        self.assertAlmostEqual(self.figure("a freed slot until its next cordon"), 1.19, places=3)


if __name__ == "__main__":
    unittest.main()
