"""The docs say what the code does: docs/reference.md is what scripts/gen-crd-reference.py
makes of the CRD, each `kubectl cau run` of docs/migration.md makes the UpdateRun of its
examples/cmdlet-example-N.yaml (run with the real kubectl-cau, --dry-run), and every docs/
file README names exists.

Usage: docs_test.py SOURCE_DIR KUBECTL_CAU"""

import html
import os
import re
import shlex
import subprocess
import sys
import unittest

import yaml

SOURCE_DIR = KUBECTL_CAU = None


class Docs(unittest.TestCase):
    def test_reference_is_generated_from_the_crd(self):
        check = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "scripts",
                                                             "gen-crd-reference.py"),
                                SOURCE_DIR, "--check"], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_migration_examples_make_the_examples_runs(self):
        with open(os.path.join(SOURCE_DIR, "docs", "migration.md")) as f:
            doc = f.read()
        commands = re.findall(r"<pre>(kubectl cau run .*?)</pre>", doc)
        self.assertEqual(len(commands), 3)
        for n, command in enumerate(commands, start=1):
            with self.subTest(example=n):
                text = html.unescape(command.replace("<br>", "\n")).replace("\\\\\n", " ")
                argv = shlex.split(text)[2:]  # after "kubectl cau"
                out = subprocess.run([KUBECTL_CAU, *argv, "--dry-run", "-o", "yaml"],
                                     capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                with open(os.path.join(SOURCE_DIR, "examples",
                                       f"cmdlet-example-{n}.yaml")) as f:
                    example = yaml.safe_load(f)
                made = yaml.safe_load(out.stdout)
                self.assertEqual(made["spec"], example["spec"])
                self.assertEqual(made["metadata"]["name"], example["metadata"]["name"])

    def test_docs_named_in_readme_exist(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        named = set(re.findall(r"docs/[\w./-]+\.md", readme))
        named |= {"docs/" + n for n in re.findall(r"`([\w-]+\.md)`", readme)}
        self.assertTrue(named)
        for doc in sorted(named):
            with self.subTest(doc=doc):
                self.assertTrue(os.path.exists(os.path.join(SOURCE_DIR, doc)), doc)


if __name__ == "__main__":
    SOURCE_DIR, KUBECTL_CAU = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
