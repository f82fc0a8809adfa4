// The one line an InstallResult's message says: what was installed and why a reboot follows,
// the same for every plug-in.
//
// Thread-safety: a plain function.
#pragma once

#include <string>

#include "agent/plugin.h"

namespace kcau::agent {

// "installed 2 updates; reboot required by kcau-test-kernelish", "nothing to install".
std::string DescribeInstall(const InstallResult& result);

}  // namespace kcau::agent
