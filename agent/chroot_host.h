// The Host of a test or of a node simulated by kcau-sim: the "host" is a directory tree
// (made with mmdebstrap, dpkg --root, or a few busybox links) and commands run chrooted into
// it, so the real apt-get, dpkg, dnf and rpm act on that tree and never on the machine's own
// packages. Files are the tree's (agent/rooted_files.h); the boot ID is whatever the test or
// kcau-sim wrote to `boot_id_file`; a reboot is handed to `reboot`, which kcau-sim makes a
// reboot of its simulated node. Running commands takes root (chroot).
//
// The chroot is made by the runner in the child rather than by prefixing {"chroot", root}:
// chroot(1) always changes to "/" inside the root, losing Command::working_dir, and the user
// switch has to come after the chroot, which the runner does in that order.
//
// Thread-safety: no mutable state; safe to call from several threads at once if `reboot` is.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/command_runner.h"
#include "agent/host.h"
#include "agent/rooted_host.h"
#include "common/clock.h"

namespace kcau::agent {

class ChrootHost final : public RootedHost {
 public:
  using RebootFn = std::function<Status(RebootKind)>;

  // `boot_id_file` is a path on this machine (e.g. root_dir + "/run/kcau-sim/boot_id").
  ChrootHost(const Clock& clock, std::string root_dir, std::string boot_id_file, RebootFn reboot);

  StatusOr<CommandResult> Run(const Command& command) override;
  StatusOr<std::string> BootId() override;
  // What `reboot` returns; Internal when none was given.
  Status Reboot(RebootKind kind) override;

 private:
  std::string boot_id_file_;
  RebootFn reboot_;
  CommandRunner runner_;
};

}  // namespace kcau::agent
