"""End to end with the real node agent upgrading real Debian packages: kcau-sim gives each
node a copy of a Debian bookworm root (scenario `rootTemplate`), the real kcau-agent runs the
`packages` plug-in chrooted into it, and that runs the root's own apt-get and dpkg against a
file: repository inside the root. A package whose postinst asks for a reboot
(/var/run/reboot-required) gets its node rebooted once; the other node is not rebooted.

The bookworm root is the plug-in unit tests' (tests/unit/agent/test_roots.cc): made once
with mmdebstrap and cached in /var/cache/kcau-test (KCAU_TEST_CACHE overrides the folder).

Usage: real_apt_e2e_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_agents_e2e_test as real_agents  # noqa: E402
from harness import settled_events, status_nodes  # noqa: E402
from real_agents_e2e_test import RealAgentCase, run_manifest, run_to_end  # noqa: E402

TOOLS = ("mmdebstrap", "dpkg-deb", "dpkg-scanpackages", "dpkg-query", "chroot")
REPO = "/srv/kcau-repo"
REBOOT_POSTINST = ("touch /var/run/reboot-required\n"
                   "echo kcau-test-kernelish >> /var/run/reboot-required.pkgs")
PACKAGES = [("kcau-test-hello", "1.0", ""), ("kcau-test-hello", "1.1", ""),
            ("kcau-test-kernelish", "1.0", ""), ("kcau-test-kernelish", "1.1", REBOOT_POSTINST)]


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (the agents chroot, dpkg installs into the roots)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return "missing tools (scripts/install-deps.sh installs them): " + " ".join(missing)
    return None


def debian_root():
    """The cached bookworm root, built (mmdebstrap, as test_roots.cc does) under the cache's
    lock when it is not there yet; the plug-in unit tests share both the lock and the files."""
    cache = os.environ.get("KCAU_TEST_CACHE", "/var/cache/kcau-test")
    tarball = os.path.join(cache, "bookworm-apt.tar")
    root = os.path.join(cache, "bookworm-apt")
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(tarball):
            subprocess.run(
                ["mmdebstrap", "--quiet", "--variant=apt", "--format=tar",
                 "--dpkgopt=path-exclude=/usr/share/doc/*",
                 "--dpkgopt=path-exclude=/usr/share/man/*",
                 "--dpkgopt=path-exclude=/usr/share/locale/*", "bookworm", tarball + ".tmp"],
                check=True)
            os.rename(tarball + ".tmp", tarball)
            shutil.rmtree(root, ignore_errors=True)
        if not os.path.exists(root):
            shutil.rmtree(root + ".tmp", ignore_errors=True)
            os.mkdir(root + ".tmp")
            subprocess.run(["tar", "-C", root + ".tmp", "-xf", tarball], check=True)
            os.rename(root + ".tmp", root)
    return root


def build_deb(name, version, postinst, out_dir):
    """NAME_VERSION_all.deb in out_dir: one file, /usr/share/NAME/version, and the postinst."""
    tree = os.path.join(out_dir, f"{name}-{version}")
    os.makedirs(os.path.join(tree, "DEBIAN"))
    os.makedirs(os.path.join(tree, "usr/share", name))
    with open(os.path.join(tree, "usr/share", name, "version"), "w") as f:
        f.write(version + "\n")
    with open(os.path.join(tree, "DEBIAN/control"), "w") as f:
        f.write(f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
                "Maintainer: kcau tests <kcau@example.invalid>\n"
                "Description: kcau end-to-end test package\n")
    if postinst:
        path = os.path.join(tree, "DEBIAN/postinst")
        with open(path, "w") as f:
            f.write("#!/bin/sh\nset -e\n" + postinst + "\n")
        os.chmod(path, 0o755)
    deb = os.path.join(out_dir, f"{name}_{version}_all.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", tree, deb], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(tree)
    return deb


def in_root(root, *command):
    """Runs `command` chrooted into `root` with a clean environment, as an admin would."""
    subprocess.run(["chroot", root, "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "DEBIAN_FRONTEND=noninteractive", *command],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def installed_version(root, package):
    return subprocess.run(
        ["dpkg-query", "--admindir=" + os.path.join(root, "var/lib/dpkg"), "-W",
         "-f=${Version}", package], check=True, capture_output=True, text=True).stdout


def events_of(cluster, run):
    items = settled_events(cluster, "-A", "--field-selector", f"involvedObject.name={run}")
    return [(e["reason"], e["message"]) for e in items]


class RealAgentAptUpgrade(RealAgentCase):
    """The packages plug-in with the real apt-get and dpkg in two Debian roots: node-1 gets
    kcau-test-hello and kcau-test-kernelish 1.1 (whose postinst asks for a reboot) and is
    rebooted once; node-2 gets kcau-test-hello 1.1 only and is not rebooted."""

    debs = None

    @classmethod
    def setUpClass(cls):
        reason = skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.debs = tempfile.mkdtemp(prefix="kcau-apt-e2e-")
        cls.template = debian_root()
        cls.deb = {(n, v): build_deb(n, v, p, cls.debs) for n, v, p in PACKAGES}
        # Only the repository in the root: apt never reaches for Debian's mirror here.
        cls.SCENARIO = f"""
nodeDefaults:
  agent: real
  rebootDuration: 500ms
  rootTemplate: {cls.template}
  files: {{"/etc/apt/sources.list": "deb [trusted=yes] file:{REPO} ./\\n"}}
nodes:
  - {{namePrefix: node-, count: 2}}
"""

    @classmethod
    def tearDownClass(cls):
        if cls.debs:
            shutil.rmtree(cls.debs, ignore_errors=True)

    def lay_out(self, node, repo):
        """Installs both packages' 1.0 in the node's root with its own dpkg, and publishes
        `repo` (name, version pairs) in its file: repository."""
        root = self.cluster.agent_root(node)
        for name in ("kcau-test-hello", "kcau-test-kernelish"):
            shutil.copy(self.deb[(name, "1.0")], os.path.join(root, "tmp"))
            in_root(root, "dpkg", "-i", f"/tmp/{name}_1.0_all.deb")
            os.remove(os.path.join(root, "tmp", f"{name}_1.0_all.deb"))
        repo_dir = os.path.join(root, REPO.lstrip("/"))
        os.makedirs(repo_dir)
        for package in repo:
            shutil.copy(self.deb[package], repo_dir)
        with open(os.path.join(repo_dir, "Packages"), "w") as packages:
            subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=repo_dir,
                           check=True, stdout=packages, stderr=subprocess.DEVNULL)

    def test_upgrades_with_apt_and_reboots_where_a_package_asks(self):
        c = self.cluster
        self.lay_out("node-1", [("kcau-test-hello", "1.1"), ("kcau-test-kernelish", "1.1")])
        self.lay_out("node-2", [("kcau-test-hello", "1.1"), ("kcau-test-kernelish", "1.0")])
        for node in ("node-1", "node-2"):
            self.assertEqual(installed_version(c.agent_root(node), "kcau-test-hello"), "1.0")
        before = self.boot_ids_now()

        run, boot_ids = run_to_end(c, run_manifest("apt", [{"name": "packages"}]), "apt",
                                   timeout=240)
        self.assertEqual(run["status"]["phase"], "Succeeded", run["status"])
        expected = {"node-1": {"kcau-test-hello": "1.1", "kcau-test-kernelish": "1.1"},
                    "node-2": {"kcau-test-hello": "1.1", "kcau-test-kernelish": "1.0"}}
        for node, versions in expected.items():
            for package, version in versions.items():
                with self.subTest(node=node, package=package):
                    self.assertEqual(installed_version(c.agent_root(node), package), version)
        # kernelish 1.1's postinst asked for a reboot on node-1 only.
        self.assert_rebooted_once("node-1", run, boot_ids, before)
        quiet = status_nodes(run)["node-2"]
        self.assertEqual((quiet["phase"], quiet["round"]), ("Succeeded", 1), quiet)
        self.assertFalse(quiet.get("rebooted"), quiet)
        self.assert_not_rebooted("node-2", boot_ids, before)

        # What apt installed, by the titles the agents reported, in each node's outcome Event.
        installed = [m for r, m in events_of(c, "apt") if r == "NodeUpdated"]
        on_node_1 = [m for m in installed if "node-1" in m]
        on_node_2 = [m for m in installed if "node-2" in m]
        self.assertEqual(len(on_node_1), 1, installed)
        self.assertEqual(len(on_node_2), 1, installed)
        self.assertIn("kcau-test-hello 1.1", on_node_1[0])
        self.assertIn("kcau-test-kernelish 1.1", on_node_1[0])
        self.assertIn("kcau-test-hello 1.1", on_node_2[0])
        self.assertNotIn("kcau-test-kernelish", on_node_2[0])


if __name__ == "__main__":
    real_agents.BUILD_DIR = os.path.abspath(sys.argv[1])
    real_agents.SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
