// Finds the file a host path names when the host's root directory is mounted somewhere else
// ("/host" in the agent's pod, a throwaway directory in tests). Prefixing is not enough:
// hosts are full of absolute symlinks ("/var/run" -> "/run", "/etc/resolv.conf" ->
// "/run/systemd/resolve/stub-resolv.conf"), and the kernel would follow those to this
// process's own /run, not the host's. So the path is walked a component at a time and every
// symlink is followed as the host itself would follow it: absolute targets start again at
// the root, and ".." stops at the root as it does at "/". openat2(RESOLVE_IN_ROOT) does this
// in the kernel, but only from Linux 5.6, and nodes still run older kernels.
//
// The answer is a snapshot: a symlink changed on the host after the walk is not seen. The
// agent administers the host; it does not defend against it.
//
// Thread-safety: plain functions.
#pragma once

#include <string>

#include "common/status.h"

namespace kcau::agent {

enum class FinalSymlink {
  kFollow,  // the file a symlink points to (read, write, stat, list)
  kKeep,    // the symlink itself (remove)
};

// `root` + the resolved `path`, with no symlink left in it except possibly the last
// component (kKeep). Components that do not exist end the walk and are appended as they are
// (a file about to be created). InvalidArgument when `path` is not absolute or symlinks loop.
StatusOr<std::string> ResolveInRoot(const std::string& root, const std::string& path,
                                    FinalSymlink final_symlink);

}  // namespace kcau::agent
