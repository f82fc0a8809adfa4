#include "controller/malloc_tuning.h"

#include <limits.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace kcau::controller {

namespace {

constexpr char kThreadCaches[] = "glibc.malloc.tcache_count=2";

}  // namespace

void StartWithSmallerThreadCaches(char** argv) {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  // The binary's own path rather than /proc/self/exe: the kernel names a process after the
  // file it executes, and ps, top, pidof and perf should see kcau-controller, not "exe".
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return;
  path[n] = '\0';
  setenv("GLIBC_TUNABLES", kThreadCaches, 1);
  execv(path, argv);
  unsetenv("GLIBC_TUNABLES");  // not started again: the default it is
}

void TuneArenas() {
  // glibc gives each thread that allocates an arena of its own and keeps what is freed in
  // it: across the controller's threads that held ~400 MiB of freed heap after a 50,000-pod
  // list. One arena (and ReturnFreedHeapToSystem after each list, kube/informer.cc) hands it back;
  // what one thread frees, any other reuses. Against two arenas: peak 46 MiB instead of 50-54 at
  // 5,000 nodes, for ~10% more CPU and a slower reaction p99 (docs/bench.md).
  mallopt(M_ARENA_MAX, 1);
  // A pass's largest buffers (a run's status text, its 5,000 node views) come and go: from
  // mmap they go back to the system when freed. glibc's default raises the threshold to the
  // largest block freed, and then they fragment the heap for good.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

}  // namespace kcau::controller
