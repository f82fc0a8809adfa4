#include "tests/unit/agent/test_roots.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kcau::agent::testing {

namespace {

std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/var/tmp") + "/kcau-plugin-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string Shell(const std::string& script) {
  std::string command = "bash -ec " + Quote(script) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string output;
  std::array<char, 4096> buffer;
  size_t got;
  while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), got);
  int status = pclose(pipe);
  if (status == 0) return "";
  return "exit status " + std::to_string(status) + " from:\n" + script + "\n" + output;
}

std::string MissingTools(const std::vector<std::string>& tools) {
  if (geteuid() != 0) return "the test must run as root (chroot)";
  std::string missing;
  for (const std::string& tool : tools) {
    if (!Shell("command -v " + tool + " >/dev/null").empty()) missing += " " + tool;
  }
  return missing.empty() ? "" : "missing tools (scripts/install-deps.sh installs them):" + missing;
}

std::string DebianRoot(std::string& error) {
  const char* override_dir = std::getenv("KCAU_TEST_CACHE");
  std::string dir = override_dir ? override_dir : "/var/cache/kcau-test";
  std::string tarball = dir + "/bookworm-apt.tar";
  std::string root = dir + "/bookworm-apt";
  std::filesystem::create_directories(dir);
  int lock = open((dir + "/.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    error = "cannot lock " + dir + "/.lock";
    if (lock >= 0) close(lock);
    return "";
  }
  error.clear();
  if (!std::filesystem::exists(tarball)) {
    // Docs, manuals and translations are a third of the root and no test reads them.
    error = Shell(
        "mmdebstrap --quiet --variant=apt --format=tar "
        "--dpkgopt='path-exclude=/usr/share/doc/*' "
        "--dpkgopt='path-exclude=/usr/share/man/*' "
        "--dpkgopt='path-exclude=/usr/share/locale/*' bookworm " +
        Quote(tarball + ".tmp") + " && mv " + Quote(tarball + ".tmp") + " " + Quote(tarball) +
        " && rm -rf " + Quote(root));
  }
  if (error.empty() && !std::filesystem::exists(root)) {
    error = Shell("rm -rf " + Quote(root + ".tmp") + " && mkdir " + Quote(root + ".tmp") +
                  " && tar -C " + Quote(root + ".tmp") + " -xf " + Quote(tarball) + " && mv " +
                  Quote(root + ".tmp") + " " + Quote(root));
  }
  close(lock);
  return error.empty() ? root : "";
}

ThrowawayRoot::ThrowawayRoot(const std::string& lower) {
  path_ = dir_.path() + "/root";
  std::string upper = dir_.path() + "/upper";
  std::string work = dir_.path() + "/work";
  for (const std::string& made : {path_, upper, work}) std::filesystem::create_directories(made);
  std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (mount("overlay", path_.c_str(), "overlay", 0, options.c_str()) == 0) {
    mounted_ = true;
    return;
  }
  error_ = Shell("cp -a " + Quote(lower) + "/. " + Quote(path_) + "/");
}

ThrowawayRoot::~ThrowawayRoot() {
  if (mounted_) umount2(path_.c_str(), MNT_DETACH);
}

std::string BuildDeb(const TestPackage& package, const std::string& out_dir) {
  std::string tree = out_dir + "/" + package.name + "-" + package.version;
  std::string control = "Package: " + package.name + "\nVersion: " + package.version +
                        "\nArchitecture: all\nMaintainer: kcau tests <kcau@example.invalid>\n" +
                        (package.depends.empty() ? "" : "Depends: " + package.depends + "\n") +
                        "Description: kcau plug-in test package\n";
  std::string script =
      "mkdir -p " + Quote(tree + "/DEBIAN") + " " + Quote(tree + "/usr/share/" + package.name) +
      "\n" + "echo " + Quote(package.version) + " > " +
      Quote(tree + "/usr/share/" + package.name + "/version") + "\n" + "printf %s " +
      Quote(control) + " > " + Quote(tree + "/DEBIAN/control") + "\n";
  if (!package.postinst.empty()) {
    script += "printf '#!/bin/sh\\nset -e\\n%s\\n' " + Quote(package.postinst) + " > " +
              Quote(tree + "/DEBIAN/postinst") + "\nchmod 755 " + Quote(tree + "/DEBIAN/postinst") +
              "\n";
  }
  script += "dpkg-deb --root-owner-group --build " + Quote(tree) + " " +
            Quote(out_dir + "/" + package.name + "_" + package.version + "_all.deb") +
            " >/dev/null\nrm -rf " + Quote(tree);
  return Shell(script);
}

std::string BuildRpm(const TestPackage& package, const std::string& out_dir) {
  std::string top = out_dir + "/rpmbuild-" + package.name + "-" + package.version;
  std::string spec = "Name: " + package.name + "\nVersion: " + package.version +
                     "\nRelease: 1\nSummary: kcau plug-in test package\nLicense: MIT\n"
                     "BuildArch: noarch\n" +
                     (package.depends.empty() ? "" : "Requires: " + package.depends + "\n") +
                     "%description\nkcau plug-in test package\n%install\nmkdir -p "
                     "%{buildroot}/usr/share/" +
                     package.name + "\necho " + package.version + " > %{buildroot}/usr/share/" +
                     package.name + "/version\n%files\n/usr/share/" + package.name + "/version\n";
  // Lua needs no shell in the root: an empty dnf root has none.
  if (!package.postinst.empty()) spec += "%pre -p <lua>\n" + package.postinst + "\n";
  std::string spec_path = top + ".spec";
  {
    std::filesystem::create_directories(top);
    std::ofstream(spec_path) << spec;
  }
  return Shell("rpmbuild --quiet --define " + Quote("_topdir " + top) + " -bb " + Quote(spec_path) +
               " >/dev/null\nmv " + Quote(top) + "/RPMS/noarch/*.rpm " + Quote(out_dir) +
               "/\nrm -rf " + Quote(top) + " " + Quote(spec_path));
}

}  // namespace kcau::agent::testing
