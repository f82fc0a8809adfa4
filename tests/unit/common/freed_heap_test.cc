// ReturnFreedHeapToSystem from many threads at once, as the informers call it when their
// lists end together. Each round runs in a fresh child process, because what once broke it
// (under AddressSanitizer: glibc's malloc set up by the first trim, racing) happens only on a
// process's first calls.
#include "common/freed_heap.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

namespace kcau {
namespace {

constexpr int kRounds = 50;
constexpr int kThreads = 8;

// Runs in the child: every thread waits for the others, then all trim together.
[[noreturn]] void TrimFromManyThreadsAtOnce() {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&go] {
      while (!go.load()) std::this_thread::yield();
      ReturnFreedHeapToSystem();
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  _exit(0);
}

TEST(FreedHeapTest, ManyThreadsMayReturnItAtOnceFromAProcesssFirstCall) {
  for (int round = 0; round < kRounds; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork";
    if (child == 0) TrimFromManyThreadsAtOnce();
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "round " << round << ": the child died (status " << status << ")";
  }
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  FILE* statm = fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  if (fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
  fclose(statm);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(FreedHeapTest, FreedHeapUnderALiveBlockStopsBeingResident) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator, not glibc's, owns the heap";
#endif
  constexpr size_t kBlock = 64 * 1024;  // below glibc's mmap threshold: heap, not mmap
  constexpr size_t kFreed = 64 << 20;
  std::vector<char*> blocks;
  for (size_t i = 0; i < kFreed / kBlock; ++i) blocks.push_back(new char[kBlock]());
  // A live block above them keeps glibc from shrinking the heap's top by itself on free.
  std::unique_ptr<char[]> above(new char[kBlock]());
  for (char* b : blocks) delete[] b;
  const size_t before = ResidentBytes();
  ReturnFreedHeapToSystem();
  const size_t after = ResidentBytes();
  EXPECT_GT(before, after + kFreed / 2) << "resident " << before << " -> " << after;
}

}  // namespace
}  // namespace kcau
