// Clean shutdown for kcau's binaries: SIGTERM/SIGINT are blocked before any thread starts
// (threads inherit the mask) and then awaited synchronously by main(), so shutdown code runs
// in an ordinary thread instead of a signal handler with its async-signal-safety traps.
// BlockStopSignals from main() before creating threads; WaitForStopSignal from main() only.
#pragma once

#include <signal.h>

namespace kcau {

class StopSignals {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread (and so in every thread started later).
  StopSignals();
  // Returns the signal that arrived.
  int Wait() const;

 private:
  sigset_t set_;
};

}  // namespace kcau
