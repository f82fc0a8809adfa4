#include "agent/process_group.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace kcau::agent {
namespace {

// The state and process group of `pid` from /proc/PID/stat ("pid (comm) S ppid pgrp ...";
// comm may hold spaces and parentheses, so fields are counted from the last ')').
bool ReadStateAndGroup(const char* pid, char& state, pid_t& group) {
  const std::string path = std::string("/proc/") + pid + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[512];
  ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  const std::string line(buffer, static_cast<size_t>(n));
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return false;
  state = line[paren + 2];
  char* cursor = nullptr;
  std::strtol(line.c_str() + paren + 3, &cursor, 10);  // ppid
  group = static_cast<pid_t>(std::strtol(cursor, nullptr, 10));
  return true;
}

}  // namespace

bool ProcessGroupHasLiveMembers(pid_t group) {
  if (kill(-group, 0) != 0) return false;  // no member at all, not even a zombie
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return true;
  while (const dirent* entry = readdir(proc.get())) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    char state = 0;
    pid_t member_group = 0;
    if (!ReadStateAndGroup(entry->d_name, state, member_group)) continue;  // gone meanwhile
    if (member_group == group && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace kcau::agent
