// Helpers for tests that run real processes: a command, whether a process has exited, and a scoped
// change of this process's supplementary groups (to see that a command drops them).
//
// Thread-safety: ScopedSupplementaryGroups changes the whole process; use it from a test's
// main thread while no other command runs.
#pragma once

#include <grp.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/host.h"
#include "common/clock.h"

namespace kcau::agent::testing {

// A command with a timeout short enough for a test that goes wrong.
inline Command Argv(std::vector<std::string> argv) {
  Command command;
  command.argv = std::move(argv);
  command.timeout = std::chrono::seconds(30);
  return command;
}

// True once `pid` has exited within `limit` (gone, or a zombie its new parent has not reaped
// yet).
inline bool ExitedWithin(pid_t pid, Duration limit) {
  RealClock clock;
  const MonoTime give_up = clock.Monotonic() + limit;
  while (true) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    // "pid (comm) STATE ...": the state follows the last ')'.
    const size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') {
      return true;
    }
    if (clock.Monotonic() >= give_up) return false;
    clock.Sleep(std::chrono::milliseconds(20));
  }
}

// The pid a command printed on its first line (`sleep 60 & echo $!`).
inline pid_t FirstLineAsPid(const std::string& output) {
  return static_cast<pid_t>(std::stol(output.substr(0, output.find('\n'))));
}

// Sets this process's supplementary groups for the scope (needs root), then restores them.
class ScopedSupplementaryGroups {
 public:
  explicit ScopedSupplementaryGroups(const std::vector<gid_t>& groups)
      : saved_(static_cast<size_t>(getgroups(0, nullptr))) {
    if (getgroups(static_cast<int>(saved_.size()), saved_.data()) < 0 ||
        setgroups(groups.size(), groups.data()) != 0) {
      throw std::runtime_error("cannot set the supplementary groups");
    }
  }
  ~ScopedSupplementaryGroups() { setgroups(saved_.size(), saved_.data()); }
  ScopedSupplementaryGroups(const ScopedSupplementaryGroups&) = delete;
  ScopedSupplementaryGroups& operator=(const ScopedSupplementaryGroups&) = delete;

 private:
  std::vector<gid_t> saved_;
};

}  // namespace kcau::agent::testing
