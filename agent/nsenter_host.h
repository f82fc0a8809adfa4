// The Host of a real node: the agent runs in a privileged DaemonSet pod with hostPID and the
// host's root directory mounted (at "/host"). Commands enter the namespaces of the host's
// PID 1 with nsenter, as kured does, so they run with the host's binaries, mounts, network
// and systemd; files are the host's, reached through the mount (agent/rooted_files.h); the
// boot ID is the kernel's; a reboot is systemd's.
//
// A command with run_as_user switches user inside nsenter (its --setuid/--setgid, after it
// entered the namespaces), not in the runner before nsenter starts: entering PID 1's
// namespaces takes CAP_SYS_ADMIN, which an unprivileged nsenter no longer has. nsenter's own
// switch is preferred to running the host's `setpriv` after it, because it needs nothing on
// the host (minimal node images lack setpriv) and drops the supplementary groups all the
// same. The group is the user's primary group in the host's /etc/passwd, or the uid. The
// working directory is entered by nsenter too (--wdns, util-linux 2.38, resolved in the
// host's mount namespace; nsenter changes to it before switching user).
//
// Thread-safety: no mutable state; safe to call from several threads at once.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "agent/command_runner.h"
#include "agent/host.h"
#include "agent/rooted_host.h"
#include "common/clock.h"

namespace kcau::agent {

// {"systemctl", "reboot" | "soft-reboot" | "kexec"}.
std::vector<std::string> SystemctlRebootArgv(RebootKind kind);

class NsenterHost final : public RootedHost {
 public:
  // `target_pid`: whose namespaces commands enter; the host's init (1) on a node. Tests give
  // their own pid, whose namespaces they may enter where PID 1's are out of reach.
  explicit NsenterHost(const Clock& clock, std::string host_mount = "/host", pid_t target_pid = 1);

  // The argv the runner starts for `command`: nsenter and its options, "--", command.argv.
  std::vector<std::string> WrappedArgv(const Command& command) const;

  StatusOr<CommandResult> Run(const Command& command) override;
  // The kernel's /proc/sys/kernel/random/boot_id: one value in every namespace, so this
  // pod's /proc answers for the host.
  StatusOr<std::string> BootId() override;
  // `systemctl reboot|soft-reboot|kexec` on the host; an error carries systemctl's output.
  Status Reboot(RebootKind kind) override;

 private:
  pid_t target_pid_;
  CommandRunner runner_;
};

}  // namespace kcau::agent
