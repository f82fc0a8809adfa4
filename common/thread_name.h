// Names the calling thread, so that `top -H`, `ps -L`, perf and gdb say which part of a
// process is busy (an informer, a drain, the reconcile worker) rather than listing forty
// threads called after the binary. docs/operating.md lists the names kcau-controller uses.
#pragma once

#include <string>
#include <string_view>

namespace kcau {

// Linux keeps 15 bytes of a thread's name: a longer one is cut to its first 15.
void NameThisThread(std::string_view name);

// The calling thread's name (for tests).
std::string ThisThreadName();

}  // namespace kcau
