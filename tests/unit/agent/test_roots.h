// What the plug-in tests build with real tools: throwaway roots (a Debian bookworm root from
// a cached mmdebstrap tarball, or an empty directory for dnf --installroot), test packages
// (dpkg-deb, rpmbuild) and local repositories (dpkg-scanpackages + apt-ftparchive,
// createrepo_c + modifyrepo_c). Nothing touches the test machine's own packages.
//
// Thread-safety: the tarball is built under a file lock (ctest may run suites at once);
// everything else works in the caller's own directories.
#pragma once

#include <string>
#include <vector>

namespace kcau::agent::testing {

// A fresh directory under $TMPDIR (default /var/tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `script` with bash -e; returns "" on success, else the exit code and output.
std::string Shell(const std::string& script);

// Whether the tools a suite needs are here and the test runs as root (chroot needs it);
// "" when so, else what is missing.
std::string MissingTools(const std::vector<std::string>& tools);

// /var/cache/kcau-test/bookworm-apt/ (KCAU_TEST_CACHE overrides the folder): a Debian
// bookworm root extracted from bookworm-apt.tar beside it, which is made with
// `mmdebstrap --variant=apt bookworm` from Debian's mirror when missing. Both are reused by
// later runs; tests never write into the root itself (see ThrowawayRoot). Returns the
// root's path, or "" with `error` set.
std::string DebianRoot(std::string& error);

// A writable view of the directory `lower` for one test: an overlay mount whose upper layer
// lives in a TempDir (milliseconds, and `lower` never changes), or a full copy where overlay
// mounts are refused. Unmounted and removed by the destructor.
class ThrowawayRoot {
 public:
  explicit ThrowawayRoot(const std::string& lower);
  ~ThrowawayRoot();
  ThrowawayRoot(const ThrowawayRoot&) = delete;
  ThrowawayRoot& operator=(const ThrowawayRoot&) = delete;
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }  // "" when usable

 private:
  TempDir dir_;
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

struct TestPackage {
  std::string name;
  std::string version;
  std::string postinst;  // shell lines for apt; for rpm, the Lua of a %pre that fails
  std::string depends;   // apt Depends:, rpm Requires:
};

// Builds `package` into `out_dir` with dpkg-deb; "" on success, else why not.
std::string BuildDeb(const TestPackage& package, const std::string& out_dir);
// Builds `package` into `out_dir` with rpmbuild (noarch, release 1).
std::string BuildRpm(const TestPackage& package, const std::string& out_dir);

}  // namespace kcau::agent::testing
