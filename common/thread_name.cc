#include "common/thread_name.h"

#include <pthread.h>

namespace kcau {

namespace {

constexpr size_t kMaxName = 15;  // the kernel's TASK_COMM_LEN, less the terminating NUL

}  // namespace

void NameThisThread(std::string_view name) {
  const std::string kept(name.substr(0, kMaxName));
  // Fails only for a name longer than the kernel keeps, which it is not: a name is a help to
  // whoever looks at the process, never a reason to stop.
  pthread_setname_np(pthread_self(), kept.c_str());
}

std::string ThisThreadName() {
  char name[kMaxName + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

}  // namespace kcau
