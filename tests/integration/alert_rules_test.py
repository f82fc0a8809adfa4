"""kcau's alert rules (charts/kcau/files/alerts.yaml) under the real promtool: the file
passes `promtool check rules`, its unit tests (tests/prometheus/alerts_test.yaml) pass
`promtool test rules`, every alert carries a severity and says what happened and what to do,
and every alert's tests would catch it firing when it should not and staying silent when it
should fire: each alert replaced by one that always fires, then by one that never does, must
fail the tests.

Usage: alert_rules_test.py SOURCE_DIR [unittest args]"""

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

SOURCE_DIR = None
ALERTS = ("charts", "kcau", "files", "alerts.yaml")
TESTS = ("tests", "prometheus", "alerts_test.yaml")
EXPECTED = {"KcauRunFailed", "KcauRunPastWarnAfter", "KcauNodeCordonedTooLong",
            "KcauDrainBlockedTooLong", "KcauNoLeader", "KcauReconcileErrors",
            "KcauAgentNotAnswering"}


def load(parts):
    with open(os.path.join(SOURCE_DIR, *parts)) as f:
        return yaml.safe_load(f)


def promtool(*args, cwd=None):
    return subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=cwd)


def alerts(rules):
    return [r for g in rules["groups"] for r in g["rules"] if "alert" in r]


class AlertRules(unittest.TestCase):
    def test_rules_file_is_valid(self):
        proc = promtool("check", "rules", os.path.join(SOURCE_DIR, *ALERTS))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(f"SUCCESS: {len(EXPECTED)} rules found", proc.stdout)

    def test_unit_tests_pass(self):
        proc = promtool("test", "rules", os.path.join(SOURCE_DIR, *TESTS))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_every_alert_is_there_once_in_group_kcau(self):
        rules = load(ALERTS)
        self.assertEqual([g["name"] for g in rules["groups"]], ["kcau"])
        names = [r["alert"] for r in alerts(rules)]
        self.assertEqual(sorted(names), sorted(EXPECTED))

    def test_every_alert_says_how_bad_what_happened_and_what_to_do(self):
        for rule in alerts(load(ALERTS)):
            with self.subTest(alert=rule["alert"]):
                self.assertIn(rule["labels"]["severity"], {"info", "warning", "critical"})
                self.assertTrue(rule["annotations"]["summary"].strip())
                self.assertGreater(len(rule["annotations"]["description"]), 60)

    def test_the_tests_catch_an_alert_that_always_or_never_fires(self):
        rules = load(ALERTS)
        tests = load(TESTS)
        baseline = self.run_tests(rules, tests)  # the copies themselves pass
        self.assertEqual(baseline.returncode, 0, baseline.stdout + baseline.stderr)
        for rule in alerts(rules):
            for mutation, expr in (("always fires", "vector(1)"), ("never fires", "vector(0) > 1")):
                with self.subTest(alert=rule["alert"], mutation=mutation):
                    mutated = copy.deepcopy(rules)
                    for r in alerts(mutated):
                        if r["alert"] == rule["alert"]:
                            r["expr"] = expr
                            r.pop("for", None)
                    proc = self.run_tests(mutated, tests)
                    self.assertNotEqual(proc.returncode, 0,
                                        f"{rule['alert']} {mutation}, yet the tests pass")
                    self.assertIn(f"alertname: {rule['alert']}", proc.stdout + proc.stderr)

    def run_tests(self, rules, tests):
        tmp = tempfile.mkdtemp(prefix="kcau-alerts-")
        try:
            with open(os.path.join(tmp, "alerts.yaml"), "w") as f:
                yaml.safe_dump(rules, f)
            tests = dict(tests, rule_files=["alerts.yaml"])
            with open(os.path.join(tmp, "alerts_test.yaml"), "w") as f:
                yaml.safe_dump(tests, f)
            return promtool("test", "rules", "alerts_test.yaml", cwd=tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    SOURCE_DIR = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], *sys.argv[2:]])
