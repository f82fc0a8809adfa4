// Reads a boot ID file (the kernel's /proc/sys/kernel/random/boot_id, or the one kcau-sim
// writes for a simulated node): its one line, without the newline.
// Thread-safety: a plain function.
#pragma once

#include <string>

#include "common/status.h"

namespace kcau::agent {

// NotFound when the file is missing; InvalidArgument when it holds no ID.
StatusOr<std::string> ReadBootIdFile(const std::string& path);

}  // namespace kcau::agent
