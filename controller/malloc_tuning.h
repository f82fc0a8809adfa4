// How kcau-controller sets glibc's allocator, the first thing its main() does: the settings
// and what each bought are in docs/bench.md ("Memory"). Not thread-safe: call it before any
// thread starts.
#pragma once

namespace kcau::controller {

// glibc keeps up to seven freed blocks of each small size in a cache per thread (tcache),
// where no other thread reuses them and no neighbour merges with them. Two are as quick for
// the controller and held ~3 MiB less at 5,000 nodes. glibc reads that setting only from
// GLIBC_TUNABLES when a process starts, so the controller starts itself again (execv of the
// file /proc/self/exe names: same pid, same arguments, same process name) with it set,
// unless GLIBC_TUNABLES is already set, by a deployment that tunes glibc itself or by that
// first start. If the execv fails (the binary replaced on disk meanwhile) the controller
// runs on with glibc's default.
void StartWithSmallerThreadCaches(char** argv);

// One arena, not one per thread, and a fixed mmap threshold (mallopt).
void TuneArenas();

}  // namespace kcau::controller
