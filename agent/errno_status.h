// A failed system call as a Status: the errno picks the code callers decide on (a missing
// file is NotFound, a refused one Unauthorized) and the message names what was attempted.
// Thread-safety: a plain function (strerror_r, no shared buffer).
#pragma once

#include <string>

#include "common/status.h"

namespace kcau::agent {

// "open /host/etc/os-release: No such file or directory" as NotFound, and so on.
Status ErrnoStatus(int error, const std::string& what);

}  // namespace kcau::agent
