// The node agent's one door to the machine it updates: run a command on the host, read and
// write the host's files, read its boot ID, reboot it. Plug-ins, hooks and the agent's own
// journal see nothing else, so the same code runs
//   - on a real node (NsenterHost: the DaemonSet's pod has hostPID and the host's root
//     mounted; commands enter PID 1's namespaces with nsenter, as kured does, and files are
//     read under the mount), and
//   - in tests (ChrootHost: a throwaway root directory made with mmdebstrap or dpkg --root;
//     commands run chrooted into it, so the real apt-get, dpkg, dnf and rpm act on that root
//     and never on the test machine's own packages; a reboot is asked of kcau-sim).
// Paths are always the host's absolute paths ("/var/run/reboot-required").
//
// Thread-safety: implementations are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::agent {

struct Command {
  std::vector<std::string> argv;                // argv[0] is looked up in the host's PATH
  std::map<std::string, std::string> env;       // added to a minimal env (PATH, LANG=C.UTF-8)
  Duration timeout = std::chrono::minutes(30);  // then SIGTERM, 5 s later SIGKILL
  std::optional<int64_t> run_as_user;           // hooks: spec.hookRunner; unset: root
  std::string stdin_text;                       // written to the command's standard input
  std::string working_dir = "/";
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  bool timed_out = false;
  std::string output;  // standard output and error interleaved, the last 64 KiB kept
  bool operator==(const CommandResult&) const = default;
};

struct FileInfo {
  bool exists = false;
  bool is_directory = false;
  uint32_t mode = 0;  // permission bits (st_mode & 07777)
  int64_t uid = 0;
  int64_t gid = 0;
};

// How to restart the host (RebootMode / AttemptSoftReboot, agent/protocol.h's reboot-mode).
enum class RebootKind {
  kFull,   // systemctl reboot
  kSoft,   // systemctl soft-reboot (userspace only; same kernel)
  kKexec,  // systemctl kexec into the installed kernel (skips firmware)
};

const char* RebootKindName(RebootKind kind);  // "full", "soft", "kexec"

class Host {
 public:
  virtual ~Host() = default;

  // Runs a command on the host as root (or run_as_user). A command that could not be
  // started at all is an error; one that ran and failed is a CommandResult.
  virtual StatusOr<CommandResult> Run(const Command& command) = 0;

  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Atomic: written beside, fsynced, renamed over `path` (a crash leaves old or new).
  virtual Status WriteFile(const std::string& path, const std::string& content,
                           uint32_t mode = 0644) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;  // absent is fine
  virtual StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // Names in a directory (not recursive), sorted.
  virtual StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) = 0;

  // /proc/sys/kernel/random/boot_id: changes on every boot, soft reboots included.
  virtual StatusOr<std::string> BootId() = 0;
  // Starts the reboot and returns (the process is killed by it soon after). Whether a kind
  // is available is the caller's question (e.g. `systemctl soft-reboot` needs systemd 254).
  virtual Status Reboot(RebootKind kind) = 0;
};

}  // namespace kcau::agent
