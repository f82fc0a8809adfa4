// kubectl-cau: the CAU cmdlet family as a kubectl plugin (`kubectl cau VERB ...`); the verbs
// are in cli/commands.h, their documentation in docs/kubectl-cau.md.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/clock.h"

int main(int argc, char** argv) {
  kcau::RealClock clock;
  kcau::cli::CliEnv env{clock, std::cin, std::cout, std::cerr, isatty(STDOUT_FILENO) == 1};
  return kcau::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
