// A Host for the plug-in tests: commands run chrooted into a throwaway root directory
// (`timeout` then `chroot ROOT argv...`), files are the root's, resolved inside it
// (openat2 RESOLVE_IN_ROOT, so the root's absolute symlinks such as /var/run -> /run stay in
// it). dnf is the exception: Debian's dnf runs outside the root with --installroot=ROOT, the
// way dnf bootstraps a root, so that a dnf test root needs no Python inside; the plug-ins do
// not know.
//
// Needs root (chroot). Thread-safety: Run and the file calls may be called from several
// threads; the object is not changed after construction.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "agent/host.h"

namespace kcau::agent::testing {

class ChrootTestHost final : public Host {
 public:
  // `root`: an absolute directory. `dnf_options`: added to each dnf command after the
  // --installroot the host adds.
  explicit ChrootTestHost(std::string root, std::vector<std::string> dnf_options = {});
  ~ChrootTestHost() override;

  StatusOr<CommandResult> Run(const Command& command) override;
  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteFile(const std::string& path, const std::string& content,
                   uint32_t mode = 0644) override;
  Status RemoveFile(const std::string& path) override;
  StatusOr<FileInfo> Stat(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) override;
  StatusOr<std::string> BootId() override;
  Status Reboot(RebootKind kind) override;

  const std::string& root() const { return root_; }
  // Every command run, as "argv joined by spaces" (what the plug-in asked, before chroot).
  std::vector<std::string> commands() const;

 private:
  // An fd for `path` inside the root (O_PATH unless `flags` say otherwise), or -errno.
  int OpenInRoot(const std::string& path, int flags) const;

  std::string root_;
  std::vector<std::string> dnf_options_;
  int root_fd_ = -1;
  mutable std::mutex mu_;
  std::vector<std::string> commands_;
};

}  // namespace kcau::agent::testing
