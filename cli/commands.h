// `kubectl cau`: the CAU cmdlet family as kubectl plugin verbs (docs/kubectl-cau.md):
//   run (Invoke-CauRun), scan (Invoke-CauScan), get (Get-CauRun), stop (Stop-CauRun),
//   report (Get-CauReport), export (Export-CauReport), and apply / progress for scripts.
// RunCli parses the whole command line (flags anywhere), talks to the API server named by
// the kubeconfig only when the verb needs it (a --dry-run run does not), and returns the
// exit code: 0 done, 1 failed or declined, 2 bad usage.
//
// Thread-safety: one call at a time per CliEnv (it owns the streams it writes).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "common/clock.h"

namespace kcau::cli {

struct CliEnv {
  Clock& clock;       // run names, ages, the 1 s poll of --watch and of scan's wait
  std::istream& in;   // the answer to "Create UpdateRun X? [y/N]"
  std::ostream& out;  // results
  std::ostream& err;  // errors and progress notes
  bool terminal;      // stdout is a terminal: --watch redraws in place
};

int RunCli(const std::vector<std::string>& args, CliEnv& env);

}  // namespace kcau::cli
