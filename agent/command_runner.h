// Runs a Command (agent/host.h) as a child process and waits for it: both hosts' Run is this
// runner, NsenterHost putting nsenter in front of the argv and ChrootHost giving a root.
//
// The child gets
//   - exactly the argv given, argv[0] looked up in PATH; no shell in between;
//   - a minimal environment: PATH (kMinimalPath), LANG=C.UTF-8, then Command::env (which may
//     override both), so nothing of the agent's own environment (tokens, proxies) leaks in;
//   - stdin_text on its standard input (a socket, then end of file), or /dev/null;
//   - one pipe for standard output and error, so the two interleave as a terminal shows them;
//   - a session and process group of its own, so the timeout reaches everything it started:
//     SIGTERM to the group, SIGKILL kKillGrace later for whatever of the group is left;
//   - default signal dispositions and an empty signal mask: the agent blocks SIGTERM in all
//     its threads (common/stop_signals.h) and a child would inherit that and outlive the
//     timeout, and an ignored SIGPIPE would make `producer | head` spin;
//   - when `root` is not "/", a chroot into it, so argv[0], working_dir and the user's group
//     are those of the tree under `root` (a throwaway root in tests);
//   - with run_as_user, that uid, its primary group in root's /etc/passwd (or the uid as the
//     group) and no supplementary groups, switched after the chroot and before the chdir, so
//     the user must be able to reach working_dir.
// The timeout is measured on the injected clock's monotonic time. Only the last
// kOutputLimit bytes of output are kept (the end of a failure is what explains it), cut at
// the start of a UTF-8 character. When the command exits, whatever it left behind in the
// background is not waited for: its output so far is read and the result returned.
//
// Thread-safety: Run may be called from several threads at once; every descriptor is
// close-on-exec, so one command never holds another's pipes open.
#pragma once

#include <cstddef>
#include <string>

#include "agent/host.h"
#include "common/clock.h"
#include "common/status.h"

namespace kcau::agent {

// OK, or InvalidArgument naming the field of `command` that cannot be run (an empty argv, a
// NUL byte, an env key with '=', a timeout <= 0, a uid out of range, a relative working_dir).
Status ValidateCommand(const Command& command);

class CommandRunner {
 public:
  static constexpr char kMinimalPath[] =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  static constexpr size_t kOutputLimit = 64 * 1024;
  static constexpr Duration kKillGrace = std::chrono::seconds(5);

  // `root`: "/" runs commands on this machine; another directory is chrooted into first.
  explicit CommandRunner(const Clock& clock, std::string root = "/");

  // InvalidArgument for a malformed command (naming the field), NotFound when argv[0] or
  // working_dir does not exist, other errors when the child could not be set up; a command
  // that started is a CommandResult whatever its exit.
  StatusOr<CommandResult> Run(const Command& command) const;

 private:
  const Clock& clock_;
  std::string root_;
};

}  // namespace kcau::agent
