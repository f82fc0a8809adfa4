// A directory of its own for one test, removed with everything in it when the test ends;
// plus small helpers to lay out a throwaway host root inside it.
//
// Thread-safety: one TempDir per test; not shared between threads.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kcau::agent::testing {

// busybox-static (scripts/install-deps.sh): the one binary a throwaway test root needs.
inline std::string FindBusybox() {
  for (const char* path : {"/bin/busybox", "/usr/bin/busybox"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kcau-agent-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + relative ("/etc/passwd" or "etc/passwd").
  std::string At(const std::string& relative) const {
    return path_ + (relative.starts_with('/') ? "" : "/") + relative;
  }
  // Writes `content` at `relative`, creating the directories above it.
  void Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path file = At(relative);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  void MakeDirectory(const std::string& relative) const {
    std::filesystem::create_directories(At(relative));
  }
  // A symlink at `relative` holding `target` as written (absolute targets are the host's).
  void Symlink(const std::string& target, const std::string& relative) const {
    std::filesystem::path link = At(relative);
    std::filesystem::create_directories(link.parent_path());
    std::filesystem::create_symlink(target, link);
  }
  std::string Read(const std::string& relative) const {
    std::ifstream in(At(relative), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + At(relative));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string path_;
};

// Lays out the smallest root a ChrootHost can run commands in: busybox-static as bin/busybox
// with `applets` linked to it, `passwd` as etc/passwd, a /tmp, and /var/run -> /run. The
// root itself is made 0755 (mkdtemp's 0700 would keep other users from resolving "/").
inline void LayOutBusyboxRoot(const TempDir& root, const std::string& busybox,
                              const std::vector<std::string>& applets, const std::string& passwd) {
  std::filesystem::permissions(root.path(), std::filesystem::perms(0755));
  root.MakeDirectory("bin");
  std::filesystem::copy_file(busybox, root.At("bin/busybox"));
  for (const std::string& applet : applets) root.Symlink("busybox", "bin/" + applet);
  root.Write("etc/passwd", passwd);
  root.MakeDirectory("tmp");
  root.Symlink("/run", "var/run");
}

}  // namespace kcau::agent::testing
