// A thread's share of a busy CPU. The controller's bulk work (its passes, drains, node writes
// and Events) runs at a lower priority than the threads a node going back into service waits
// for (the node informer that shows its agent's result, the uncordons, the HTTP client's I/O
// threads): at a wave's end hundreds of nodes come back within a second, and on a full core
// their uncordons waited behind the bulk for the CPU (docs/architecture.md). When the core
// is not full, the bulk loses nothing.
#pragma once

namespace kcau {

// How much higher a bulk thread's nice value is than the process's. Linux's scheduler weighs
// nice 5 at about a third of nice 0 (335 against 1024), so a bulk thread still progresses
// beside busy urgent ones.
inline constexpr int kBulkWorkNiceIncrement = 5;

// Raises the calling thread's nice value by `increment` (Linux keeps one per thread; raising
// it needs no privilege). False, and the thread left as it was, when the kernel refuses.
bool LowerThisThreadsPriority(int increment);

// The calling thread's nice value.
int ThisThreadsNice();

}  // namespace kcau
