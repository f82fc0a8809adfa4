// ProcessGroupHasLiveMembers: a zombie member is not a live one (kill(-group, 0) says it is).
#include "agent/process_group.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "tests/unit/agent/process_helpers.h"

namespace kcau::agent {
namespace {

// A child leading a process group of its own; it exits at once or waits for a signal.
pid_t StartGroupLeader(bool exit_at_once) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (exit_at_once) _exit(0);
    while (true) pause();
  }
  setpgid(pid, pid);  // also here, so the group exists whichever side runs first
  return pid;
}

TEST(ProcessGroupTest, LiveMemberCounts) {
  const pid_t leader = StartGroupLeader(/*exit_at_once=*/false);
  ASSERT_GT(leader, 0);
  EXPECT_TRUE(ProcessGroupHasLiveMembers(leader));
  kill(leader, SIGKILL);
  int status;
  ASSERT_EQ(waitpid(leader, &status, 0), leader);
  EXPECT_FALSE(ProcessGroupHasLiveMembers(leader));  // reaped: the group is gone
}

TEST(ProcessGroupTest, ZombieMemberDoesNot) {
  const pid_t leader = StartGroupLeader(/*exit_at_once=*/true);
  ASSERT_GT(leader, 0);
  ASSERT_TRUE(testing::ExitedWithin(leader, std::chrono::seconds(5)));
  // Not reaped yet: the zombie still answers kill(-group, 0), but is not alive.
  EXPECT_EQ(kill(-leader, 0), 0);
  EXPECT_FALSE(ProcessGroupHasLiveMembers(leader));
  int status;
  ASSERT_EQ(waitpid(leader, &status, 0), leader);
}

}  // namespace
}  // namespace kcau::agent
