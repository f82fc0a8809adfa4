// Whether a process group still has a live member, for the runner's grace period after a
// timeout. kill(-group, 0) alone is not enough: a member that already died stays in the
// group as a zombie until its new parent reaps it, and an init that reaps lazily (a
// container's, or a sandbox's) would keep the runner waiting out the whole grace period for
// processes that are gone. So /proc is read: a member counts when its state is not zombie.
//
// Thread-safety: a plain function.
#pragma once

#include <sys/types.h>

namespace kcau::agent {

// False once every process of `group` has exited (or the group never existed). When /proc
// cannot be read, any member counts, zombies included.
bool ProcessGroupHasLiveMembers(pid_t group);

}  // namespace kcau::agent
