// kubectl-cau: the CAU cmdlet family as a kubectl plugin (`kubectl cau VERB ...`); the verbs
// are in cli/commands.h, their documentation in docs/kubectl-cau.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/clock.h"

int main(int argc, char** argv) {
  kcau::RealClock clock;
  kcau::cli::CliEnv env{clock, std::cin, std::cout, std::cerr, isatty(STDOUT_FILENO) == 1};
  const int code = kcau::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
  // Ended without running destructors, as kcau-controller and kcau-agent end: cpprestsdk's
  // thread pool may still run continuations of finished requests, and static destruction
  // under them corrupted the heap at exit now and then ("malloc_consolidate(): unaligned
  // fastbin chunk detected" after a successful `run --force`).
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}
