#include "common/freed_heap.h"

#include <malloc.h>

namespace kcau {

void ReturnFreedHeapToSystem() {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's allocator owns the heap, so glibc's holds nothing of ours. It also
  // leaves glibc's malloc uninitialised, and malloc_trim then initialises it on first use,
  // which is not thread-safe: two informers finishing their lists together crashed in mtrim.
  return;
#else
  malloc_trim(0);
#endif
}

}  // namespace kcau
