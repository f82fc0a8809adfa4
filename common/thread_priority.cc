#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kcau {

namespace {

// With PRIO_PROCESS and a thread's id, Linux reads and sets that thread's nice value alone
// (POSIX would mean the whole process; Linux schedules threads, not processes).
id_t ThisThreadId() { return static_cast<id_t>(syscall(SYS_gettid)); }

}  // namespace

int ThisThreadsNice() {
  // -1 is a nice value as well as the error return: errno tells them apart.
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, ThisThreadId());
  return errno == 0 ? nice : 0;
}

bool LowerThisThreadsPriority(int increment) {
  return setpriority(PRIO_PROCESS, ThisThreadId(), ThisThreadsNice() + increment) == 0;
}

}  // namespace kcau
