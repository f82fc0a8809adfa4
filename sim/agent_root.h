// The disk of a node whose agent is the real kcau-agent (kcau-sim --real-agents): a small
// busybox root that `kcau-agent --test-root ROOT` acts chrooted into. It holds
//   /bin/busybox (a static one) and applet links (sh, echo, cat, ... ), /etc/passwd with root
//   and a uid 1000 user, /tmp, /root, /var/lib/kcau (the agent's journal), /var/run -> /run,
//   /run/kcau-sim/boot_id (what the agent reads as the boot ID; kcau-sim writes it at every
//   boot), and the files the scenario lists (node `files`);
// and the agent asks for a reboot by writing its kind to /run/kcau-sim/reboot.
//
// Paths in the root are resolved as the node itself would resolve them (agent/path_in_root.h),
// so /var/run/x lands in the root's /run, never in this machine's.
//
// Thread-safety: plain functions over the file system; callers keep one root to one thread.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "sim/scenario.h"

namespace kcau::sim {

// kcau-sim's own folder in a root: the boot ID and the reboot request.
inline constexpr char kRootSimDir[] = "/run/kcau-sim";

// A static busybox on this machine (Debian's busybox-static): /bin/busybox or
// /usr/bin/busybox. NotFound (saying which package) when there is none, InvalidArgument
// when the one found needs a dynamic loader (it could not run chrooted into a bare root).
StatusOr<std::string> FindStaticBusybox();

// Makes a new root at `root` (its parent must exist; `root` must not) with `boot_id` and
// `files` written in.
Status MakeAgentRoot(const std::string& root, const std::string& busybox,
                     const std::string& boot_id, const std::map<std::string, RootFile>& files);

// Makes a new root at `root` (its parent must exist; `root` must not) as a copy of the
// directory `root_template` (`cp -a`: owners, modes, links and device nodes kept, so a
// Debian root made by mmdebstrap stays one its apt and dpkg work in), then adds what the agent
// needs (/var/lib/kcau, /run/kcau-sim) with `boot_id` and `files` written in.
Status MakeAgentRootFromTemplate(const std::string& root, const std::string& root_template,
                                 const std::string& boot_id,
                                 const std::map<std::string, RootFile>& files);

// Writes /run/kcau-sim/boot_id atomically (a reader never sees half an ID).
Status WriteRootBootId(const std::string& root, const std::string& boot_id);

// The reboot kind ("full", "soft", "kexec") the agent asked for in /run/kcau-sim/reboot,
// which is removed as it is taken; nullopt when no reboot is asked for. An unknown kind is
// taken as "full" (what a machine does when asked to restart).
StatusOr<std::optional<std::string>> TakeRebootRequest(const std::string& root);

// What a reboot does to the disk: /run is a tmpfs, so it comes back empty (and a sentinel
// such as /run/reboot-required with it); only kcau-sim's own folder is kept.
Status EmptyRunOnReboot(const std::string& root);

}  // namespace kcau::sim
