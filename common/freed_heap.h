// Hands the heap a process has freed back to the system. glibc keeps freed heap for reuse
// unless asked; after a one-off peak (an informer's first list of 50,000 pods) that would stay
// resident for good.
#pragma once

namespace kcau {

// Safe from any thread, any number at once.
void ReturnFreedHeapToSystem();

}  // namespace kcau
