"""The Argo CD health check of an UpdateRun (docs/argocd/updaterun-health.lua) run by the real
Lua 5.1 interpreter (Debian's lua5.1; Argo CD embeds gopher-lua, a Lua 5.1) on running,
failed and succeeded runs, as Argo CD runs it: `obj` set, the script's return value read.
docs/gitops.md must carry the same script.

Usage: argocd_health_test.py SOURCE_DIR"""

import json
import os
import shutil
import subprocess
import sys
import unittest

SOURCE_DIR = None


def lua_literal(value):
    """A JSON value as a Lua table constructor, as Argo CD hands the object to the script."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Lua string literal here
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    return "{" + ", ".join(f"[{json.dumps(k)}] = {lua_literal(v)}"
                           for k, v in value.items()) + "}"


def health(obj):
    script = os.path.join(SOURCE_DIR, "docs", "argocd", "updaterun-health.lua")
    program = (f"obj = {lua_literal(obj)}\n"
               f"local hs = assert(loadfile({json.dumps(script)}))()\n"
               "io.write(hs.status, '\\n', hs.message or '', '\\n')\n")
    out = subprocess.run([shutil.which("lua5.1") or "lua5.1", "-"], input=program,
                         capture_output=True, text=True, check=True).stdout
    status, message = out.split("\n", 1)
    return status, message.rstrip("\n")


def run(generation=1, **status):
    obj = {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun",
           "metadata": {"name": "patch-tuesday", "generation": generation}}
    if status:
        obj["status"] = status
    return obj


def cond(type, status, reason, message="", generation=1):
    return {"type": type, "status": status, "reason": reason, "message": message,
            "observedGeneration": generation, "lastTransitionTime": "2026-12-01T00:00:00Z"}


class UpdateRunHealth(unittest.TestCase):
    def test_table(self):
        cases = [
            ("new run", run(), "Progressing", "Waiting for kcau-controller to pick the run up"),
            ("spec edited, not yet observed",
             run(generation=3, phase="Running", observedGeneration=2,
                 conditions=[cond("Ready", "True", "Succeeded", "", 2)]),
             "Progressing", "Waiting for kcau-controller to observe generation 3"),
            ("updating",
             run(phase="Running", observedGeneration=1, nodesTotal=3, nodesSucceeded=1,
                 nodesFailed=0,
                 conditions=[cond("Reconciling", "True", "Progressing", "node-2 Rebooting"),
                             cond("Ready", "False", "Progressing", "updating nodes"),
                             cond("Stalled", "False", "Progressing")]),
             "Progressing", "node-2 Rebooting"),
            ("waiting for another run's lock",
             run(phase="Pending", observedGeneration=1, nodesTotal=0, nodesSucceeded=0,
                 nodesFailed=0,
                 conditions=[cond("Reconciling", "True", "Locked",
                                  "waiting for run nightly, which holds node-1")]),
             "Progressing", "waiting for run nightly, which holds node-1"),
            ("succeeded",
             run(phase="Succeeded", observedGeneration=1, nodesTotal=3, nodesSucceeded=3,
                 nodesFailed=0,
                 conditions=[cond("Ready", "True", "Succeeded", "3 of 3 nodes updated"),
                             cond("Reconciling", "False", "Succeeded"),
                             cond("Stalled", "False", "Succeeded")]),
             "Healthy", "3 of 3 nodes updated"),
            ("succeeded, then its spec edited (conditions kept at the current generation)",
             run(generation=2, phase="Succeeded", observedGeneration=2, nodesTotal=3,
                 nodesSucceeded=3, nodesFailed=0,
                 conditions=[cond("Ready", "True", "Succeeded", "3 of 3 nodes updated", 2)]),
             "Healthy", "3 of 3 nodes updated"),
            ("failure budget spent",
             run(phase="Failed", observedGeneration=1, nodesTotal=3, nodesSucceeded=1,
                 nodesFailed=2,
                 conditions=[cond("Stalled", "True", "FailureBudgetExceeded",
                                  "2 nodes failed; maxFailedNodes is 1"),
                             cond("Ready", "False", "FailureBudgetExceeded")]),
             "Degraded", "FailureBudgetExceeded: 2 nodes failed; maxFailedNodes is 1"),
            ("failed, written by a kcau without kstatus conditions",
             run(phase="Failed", observedGeneration=1, nodesTotal=1, nodesSucceeded=0,
                 nodesFailed=0,
                 conditions=[cond("Failed", "True", "InvalidSpec", "spec.maxRetriesPerNode")]),
             "Degraded", "InvalidSpec: spec.maxRetriesPerNode"),
            ("succeeded, written by a kcau without kstatus conditions",
             run(phase="Succeeded", observedGeneration=1, nodesTotal=2, nodesSucceeded=2,
                 nodesFailed=0),
             "Healthy", "2 of 2 nodes updated, 0 failed"),
        ]
        for name, obj, status, message in cases:
            with self.subTest(name):
                self.assertEqual(health(obj), (status, message))

    def test_the_docs_carry_the_script(self):
        with open(os.path.join(SOURCE_DIR, "docs", "argocd", "updaterun-health.lua")) as f:
            script = f.read()
        with open(os.path.join(SOURCE_DIR, "docs", "gitops.md")) as f:
            doc = f.read()
        indented = "".join("    " + line if line.strip() else line
                           for line in script.splitlines(keepends=True))
        self.assertIn(indented, doc, "docs/gitops.md: the argocd-cm example must embed "
                                     "docs/argocd/updaterun-health.lua as it is")


if __name__ == "__main__":
    SOURCE_DIR = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], *sys.argv[2:]])
