#include "common/verbosity.h"

#include <atomic>

namespace kcau {

namespace {
std::atomic<int> verbosity{0};
}  // namespace

void SetVerbosity(int level) { verbosity.store(level, std::memory_order_relaxed); }

bool V(int level) { return verbosity.load(std::memory_order_relaxed) >= level; }

}  // namespace kcau
