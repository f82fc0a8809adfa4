"""The OCI images `make image` builds (scripts/build-images.sh): each image's config (user,
entrypoint, labels), then the image itself, unpacked with umoci, runs its binary chrooted
(every shared library there, `--version` equal to the version label), and deploy/*.yaml
names exactly the images built. With podman installed, the images also run under podman.

The images are built into a temporary folder from the binaries in BUILD_DIR (seconds: the
Debian root under them is cached in /var/cache/kcau-test; the first run makes it with
mmdebstrap from Debian's mirror, about a minute).

Usage: image_test.py BUILD_DIR SOURCE_DIR [unittest args]
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

BUILD_DIR = None
SOURCE_DIR = None
TOOLS = ("mmdebstrap", "umoci", "chroot", "strip")
# name: (binary in BUILD_DIR, the config's User, deploy manifest)
IMAGES = {
    "kcau-controller": ("controller/kcau-controller", "65532:65532", "20-controller.yaml"),
    "kcau-agent": ("agent/kcau-agent", "0:0", "30-agent.yaml"),
}
REQUIRED_LABELS = ("title", "description", "version", "created", "licenses", "revision")


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (mmdebstrap, umoci unpack and chroot)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return "missing tools (scripts/install-deps.sh installs them): " + " ".join(missing)
    return None


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        found = re.search(r"project\(kcau VERSION ([0-9.]+)", f.read())
    assert found, "CMakeLists.txt: no project(kcau VERSION x.y.z)"
    return found.group(1)


def blob(layout, digest):
    algorithm, hexdigest = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algorithm, hexdigest)) as f:
        return json.load(f)


def run(*command, timeout=120, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)


class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.work = tempfile.mkdtemp(prefix="kcau-image-test.", dir="/var/tmp")
        cls.out = os.path.join(cls.work, "images")
        started = time.monotonic()
        built = run("bash", os.path.join(SOURCE_DIR, "scripts/build-images.sh"), BUILD_DIR,
                    cls.out, cwd=SOURCE_DIR, timeout=540)
        if built.returncode != 0:
            shutil.rmtree(cls.work)
            raise AssertionError("scripts/build-images.sh failed:\n" + built.stdout +
                                 built.stderr)
        print(f"images built in {time.monotonic() - started:.1f} s", file=sys.stderr)
        cls.version = project_version()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def manifest_and_config(self, name):
        layout = os.path.join(self.out, name)
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        tagged = [m for m in index["manifests"]
                  if m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                  == self.reference(name)]
        self.assertEqual(len(index["manifests"]), 1, f"{name}: one image in the layout: {index}")
        self.assertEqual(len(tagged), 1, f"{name}: tagged {self.reference(name)}: {index}")
        manifest = blob(layout, tagged[0]["digest"])
        return manifest, blob(layout, manifest["config"]["digest"])

    def reference(self, name):
        """What deploy/*.yaml calls the image, and the layout's tag for it."""
        return f"kcau/{name}:{self.version}"

    def unpack(self, name):
        """The image's root filesystem, unpacked once per test run."""
        bundle = os.path.join(self.work, "bundle-" + name)
        if os.path.isdir(bundle):
            return os.path.join(bundle, "rootfs")
        unpacked = run("umoci", "unpack", "--image",
                       os.path.join(self.out, name) + ":" + self.reference(name), bundle)
        self.assertEqual(unpacked.returncode, 0, unpacked.stderr)
        return os.path.join(bundle, "rootfs")

    def test_config_user_entrypoint_and_labels(self):
        for name, (_, user, _) in IMAGES.items():
            with self.subTest(image=name):
                manifest, config = self.manifest_and_config(name)
                self.assertEqual(config["config"]["User"], user)
                self.assertEqual(config["config"]["Entrypoint"], ["/usr/local/bin/" + name])
                labels = config["config"]["Labels"]
                for key in REQUIRED_LABELS:
                    self.assertTrue(labels.get("org.opencontainers.image." + key),
                                    f"{name}: label org.opencontainers.image.{key}: {labels}")
                self.assertEqual(labels["org.opencontainers.image.title"], name)
                self.assertEqual(labels["org.opencontainers.image.version"], self.version)
                self.assertEqual(labels["org.opencontainers.image.created"], config["created"])
                # The same facts as annotations on the manifest, where registries show them.
                self.assertEqual(manifest["annotations"], labels)
                layers = sum(layer["size"] for layer in manifest["layers"])
                print(f"{name}:{self.version}: {len(manifest['layers'])} layers, "
                      f"{layers / 2**20:.1f} MiB compressed", file=sys.stderr)
        _, controller = self.manifest_and_config("kcau-controller")
        uid, gid = controller["config"]["User"].split(":")
        self.assertNotEqual(uid, "0", "the controller runs as a non-root user")
        self.assertNotEqual(gid, "0")

    def test_binaries_run_chrooted_in_the_unpacked_images(self):
        for name, (_, user, _) in IMAGES.items():
            with self.subTest(image=name):
                rootfs = self.unpack(name)
                binary = "/usr/local/bin/" + name
                linked = run("chroot", rootfs, "ldd", binary)
                self.assertEqual(linked.returncode, 0, linked.stdout + linked.stderr)
                self.assertNotIn("not found", linked.stdout, f"{name}: a library is missing")
                # As the image's own user: the controller's 65532 must be able to run it.
                _, config = self.manifest_and_config(name)
                printed = run("chroot", "--userspec=" + user, rootfs, binary, "--version")
                self.assertEqual(printed.returncode, 0, printed.stdout + printed.stderr)
                label = config["config"]["Labels"]["org.opencontainers.image.version"]
                self.assertEqual(printed.stdout.strip(), f"{name} {label}")
                size = run("du", "-sm", rootfs).stdout.split()[0]
                print(f"{name}:{self.version}: {size} MiB unpacked", file=sys.stderr)

    def test_controller_user_and_trust_store_are_in_the_image(self):
        rootfs = self.unpack("kcau-controller")
        with open(os.path.join(rootfs, "etc/passwd")) as f:
            uids = [line.split(":")[2] for line in f if line.strip()]
        self.assertIn("65532", uids, "the controller's user has an /etc/passwd entry")
        self.assertGreater(os.path.getsize(os.path.join(rootfs, "etc/ssl/certs/ca-certificates.crt")),
                           0, "ca-certificates' bundle, for API servers behind a public CA")

    def test_agent_image_can_enter_the_hosts_namespaces(self):
        # NsenterHost runs every host command as `nsenter -t 1 ... --wdns=DIR -- ...`
        # (agent/nsenter_host.cc): the image's nsenter must know --wdns (util-linux 2.38).
        rootfs = self.unpack("kcau-agent")
        helped = run("chroot", rootfs, "nsenter", "--help")
        self.assertEqual(helped.returncode, 0, helped.stderr)
        self.assertIn("--wdns", helped.stdout)

    def test_deploy_manifests_name_the_images_built(self):
        for name, (_, user, manifest) in IMAGES.items():
            with self.subTest(image=name):
                with open(os.path.join(SOURCE_DIR, "deploy", manifest)) as f:
                    docs = [d for d in yaml.safe_load_all(f) if d]
                pod = next(d for d in docs if d["kind"] in ("Deployment", "DaemonSet"))
                images = [c["image"] for c in pod["spec"]["template"]["spec"]["containers"]]
                self.assertEqual(images, [self.reference(name)])
                if name == "kcau-controller":
                    context = pod["spec"]["template"]["spec"]["securityContext"]
                    self.assertEqual(f"{context['runAsUser']}:{context['runAsGroup']}", user)

    def test_archives_are_the_layouts(self):
        for name in IMAGES:
            with self.subTest(image=name):
                archive = os.path.join(self.out, f"{name}-{self.version}.tar")
                listed = run("tar", "-tf", archive)
                self.assertEqual(listed.returncode, 0, listed.stderr)
                self.assertIn("./index.json", listed.stdout.split())
                self.assertIn("./oci-layout", listed.stdout.split())

    def test_runs_under_podman(self):
        if shutil.which("podman") is None:
            self.skipTest("podman is not installed (optional: the chroot runs above are the check)")
        for name in IMAGES:
            with self.subTest(image=name):
                archive = f"{os.path.join(self.out, name)}-{self.version}.tar"
                loaded = run("podman", "load", "--input", archive)
                self.assertEqual(loaded.returncode, 0, loaded.stdout + loaded.stderr)
                # An oci-archive's image keeps the reference it was saved with.
                tag = "localhost/" + self.reference(name)
                self.addCleanup(run, "podman", "rmi", "--force", tag)
                self.assertIn(tag, loaded.stdout)
                # Whether podman can run a container here at all (cgroup layout, rlimits of a
                # nested machine): the image's own /bin/true, not its entrypoint.
                probe = run("podman", "run", "--rm", "--network=none", "--entrypoint=/bin/true",
                            tag)
                if probe.returncode != 0:
                    self.skipTest("podman cannot run containers on this machine: " +
                                  probe.stderr.strip().splitlines()[-1])
                ran = run("podman", "run", "--rm", "--network=none", tag, "--version")
                self.assertEqual(ran.returncode, 0, ran.stdout + ran.stderr)
                self.assertEqual(ran.stdout.strip(), f"{name} {self.version}")

if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
