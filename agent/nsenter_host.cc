#include "agent/nsenter_host.h"

#include "agent/boot_id.h"
#include "agent/primary_group.h"

namespace kcau::agent {
namespace {

constexpr char kBootIdPath[] = "/proc/sys/kernel/random/boot_id";
constexpr Duration kRebootCommandTimeout = std::chrono::minutes(2);

// nsenter's own failures (the namespaces could not be entered, the working directory or the
// program is missing) come before the command runs, so its output is then exactly one line
// of nsenter's and the exit code is 1, or 126/127 when the exec failed. Those are errors to
// Run's caller, not results of the command.
Status NsenterFailure(const CommandResult& result, const Command& command) {
  constexpr std::string_view kPrefix = "nsenter: ";
  const std::string& out = result.output;
  const bool one_nsenter_line = out.starts_with(kPrefix) && out.find('\n') == out.size() - 1;
  if (result.timed_out || !one_nsenter_line) return Status::Ok();
  const std::string message = out.substr(0, out.size() - 1);
  switch (result.exit_code) {
    case 127:
      return NotFoundError("command.argv[0]: " + command.argv[0] + " not found on the host (" +
                           message + ")");
    case 126:
      return InvalidArgumentError("command.argv[0]: " + command.argv[0] +
                                  " cannot be executed on the host (" + message + ")");
    case 1:
      return InternalError("could not start " + command.argv[0] + " on the host: " + message);
    default:
      return Status::Ok();
  }
}

}  // namespace

std::vector<std::string> SystemctlRebootArgv(RebootKind kind) {
  switch (kind) {
    case RebootKind::kFull:
      return {"systemctl", "reboot"};
    case RebootKind::kSoft:
      return {"systemctl", "soft-reboot"};
    case RebootKind::kKexec:
      return {"systemctl", "kexec"};
  }
  return {"systemctl", "reboot"};
}

NsenterHost::NsenterHost(const Clock& clock, std::string host_mount, pid_t target_pid)
    : RootedHost(std::move(host_mount)), target_pid_(target_pid), runner_(clock) {}

std::vector<std::string> NsenterHost::WrappedArgv(const Command& command) const {
  std::vector<std::string> argv = {"nsenter", "-t", std::to_string(target_pid_),
                                   "-m",      "-u", "-i",
                                   "-n",      "-p", "--wdns=" + command.working_dir};
  if (command.run_as_user) {
    argv.push_back("-S");
    argv.push_back(std::to_string(*command.run_as_user));
    argv.push_back("-G");
    argv.push_back(std::to_string(PrimaryGroupOf(root(), *command.run_as_user)));
  }
  argv.push_back("--");
  argv.insert(argv.end(), command.argv.begin(), command.argv.end());
  return argv;
}

StatusOr<CommandResult> NsenterHost::Run(const Command& command) {
  // Checked here so that errors name the caller's fields, not the wrapped command's.
  if (Status s = ValidateCommand(command); !s.ok()) return s;
  Command wrapped = command;
  wrapped.argv = WrappedArgv(command);
  wrapped.run_as_user.reset();  // nsenter switches, after entering (see the header)
  wrapped.working_dir = "/";    // this pod's; nsenter enters the host's (--wdns)
  StatusOr<CommandResult> result = runner_.Run(wrapped);
  if (!result.ok()) return result.status();
  if (Status failed = NsenterFailure(*result, command); !failed.ok()) return failed;
  return result;
}

StatusOr<std::string> NsenterHost::BootId() { return ReadBootIdFile(kBootIdPath); }

Status NsenterHost::Reboot(RebootKind kind) {
  Command command;
  command.argv = SystemctlRebootArgv(kind);
  command.timeout = kRebootCommandTimeout;
  StatusOr<CommandResult> result = Run(command);
  if (!result.ok()) return result.status();
  if (result->exit_code == 0) return Status::Ok();
  return InternalError(
      std::string(RebootKindName(kind)) + " reboot: systemctl " + command.argv[1] +
      (result->timed_out ? " timed out" : " exited " + std::to_string(result->exit_code)) + ": " +
      result->output);
}

}  // namespace kcau::agent
