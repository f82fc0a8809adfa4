#include "agent/command_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <vector>

#include "agent/errno_status.h"
#include "agent/primary_group.h"
#include "agent/process_group.h"
#include "agent/unique_fd.h"

extern char** environ;

namespace kcau::agent {
namespace {

constexpr int64_t kMaxUid = 4294967294;  // (uid_t)-1 means "unchanged" to setuid
// Without a pidfd (Linux < 5.3) the exit of the child is noticed by polling this often.
constexpr Duration kExitPollInterval = std::chrono::milliseconds(50);

// What the child failed at before it could exec, sent to the parent over a pipe.
enum class ChildStage : int { kRedirect, kChroot, kSetgroups, kSetgid, kSetuid, kChdir, kExec };

struct ChildFailure {
  ChildStage stage;
  int error;
};

// Everything the child needs, built before fork: after fork the child may only make
// async-signal-safe calls, so it must not allocate. argv and envp point into the storage
// strings, so a plan may move (the strings stay where they are) but not be copied.
struct ChildPlan {
  ChildPlan() = default;
  ChildPlan(const ChildPlan&) = delete;
  ChildPlan& operator=(const ChildPlan&) = delete;
  ChildPlan(ChildPlan&&) = default;

  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string path;  // the command's PATH, for the error when argv[0] is not found
  std::string root;  // "/" or a directory to chroot into
  std::string working_dir;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  int max_fd = 0;  // for closing descriptors where close_range is missing
};

// A started child: its pid (also its process group) and the parent's ends of its streams.
struct Child {
  pid_t pid = -1;
  UniqueFd output;  // read end of the stdout+stderr pipe
  UniqueFd input;   // our end of the stdin socket; invalid without stdin_text
  UniqueFd pidfd;   // readable when the child exits; invalid on kernels without pidfd_open
};

ChildPlan MakePlan(const Command& command, const std::string& root) {
  ChildPlan plan;
  plan.argv_storage = command.argv;
  std::map<std::string, std::string> env = {{"PATH", CommandRunner::kMinimalPath},
                                            {"LANG", "C.UTF-8"}};
  for (const auto& [key, value] : command.env) env[key] = value;
  for (const auto& [key, value] : env) plan.env_storage.push_back(key + "=" + value);
  plan.path = env["PATH"];
  for (std::string& arg : plan.argv_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& var : plan.env_storage) plan.envp.push_back(var.data());
  plan.envp.push_back(nullptr);
  plan.root = root;
  plan.working_dir = command.working_dir;
  if (command.run_as_user) {
    plan.switch_user = true;
    plan.uid = static_cast<uid_t>(*command.run_as_user);
    plan.gid = static_cast<gid_t>(PrimaryGroupOf(root, *command.run_as_user));
  }
  rlimit files{};
  plan.max_fd = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                    ? static_cast<int>(std::min<rlim_t>(files.rlim_cur, 1 << 20))
                    : 1 << 16;
  return plan;
}

// Marks every descriptor above stderr close-on-exec, so the command inherits only its three
// streams (the agent's sockets and files stay the agent's).
void CloseOnExecAboveStdio(int max_fd) {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  for (int fd = 3; fd < max_fd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Makes `fd` the child's descriptor `target` (0, 1 or 2), inherited across exec.
bool MoveTo(int fd, int target) {
  if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
  return dup2(fd, target) == target;
}

// In the child, after fork: only async-signal-safe calls from here on.
[[noreturn]] void RunChild(const ChildPlan& plan, int input, int output, int report) {
  auto fail = [report](ChildStage stage) {
    ChildFailure failure{stage, errno};
    ssize_t ignored = write(report, &failure, sizeof(failure));
    (void)ignored;
    _exit(127);
  };
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);

  if (!MoveTo(input, 0) || !MoveTo(output, 1) || !MoveTo(output, 2)) fail(ChildStage::kRedirect);
  CloseOnExecAboveStdio(plan.max_fd);
  if (plan.root != "/" && chroot(plan.root.c_str()) != 0) fail(ChildStage::kChroot);
  if (plan.switch_user) {
    if (setgroups(0, nullptr) != 0) fail(ChildStage::kSetgroups);
    if (setgid(plan.gid) != 0) fail(ChildStage::kSetgid);
    if (setuid(plan.uid) != 0) fail(ChildStage::kSetuid);
  }
  if (chdir(plan.working_dir.c_str()) != 0) fail(ChildStage::kChdir);
  // execvp searches the PATH of `environ`, so the command's own PATH is installed first.
  environ = const_cast<char**>(plan.envp.data());
  execvp(plan.argv[0], plan.argv.data());
  fail(ChildStage::kExec);
  _exit(127);  // not reached: fail does not return
}

Status FailureStatus(const ChildFailure& failure, const ChildPlan& plan, const Command& command) {
  const std::string& program = command.argv[0];
  switch (failure.stage) {
    case ChildStage::kRedirect:
      return ErrnoStatus(failure.error, "redirect the standard streams of " + program);
    case ChildStage::kChroot:
      return ErrnoStatus(failure.error, "chroot into " + plan.root);
    case ChildStage::kSetgroups:
      return ErrnoStatus(failure.error, "drop the supplementary groups for " + program);
    case ChildStage::kSetgid:
      return ErrnoStatus(failure.error, "command.run_as_user: setgid " + std::to_string(plan.gid));
    case ChildStage::kSetuid:
      return ErrnoStatus(failure.error, "command.run_as_user: setuid " + std::to_string(plan.uid));
    case ChildStage::kChdir:
      return ErrnoStatus(failure.error, "command.working_dir: chdir " + plan.working_dir);
    case ChildStage::kExec:
      if (failure.error == ENOENT) {
        std::string where = program.find('/') == std::string::npos ? " in PATH " + plan.path : "";
        if (plan.root != "/") where += " under " + plan.root;
        return NotFoundError("command.argv[0]: " + program + " not found" + where);
      }
      return ErrnoStatus(failure.error, "command.argv[0]: execute " + program);
  }
  return InternalError("child of " + program + " failed at an unknown stage");
}

// Keeps the last CommandRunner::kOutputLimit bytes of a stream.
class OutputTail {
 public:
  void Append(const char* data, size_t size) {
    text_.append(data, size);
    // Trimmed in batches so a chatty command does not move 64 KiB on every read.
    if (text_.size() > 2 * CommandRunner::kOutputLimit) Trim();
  }
  std::string Take() {
    Trim();
    // A cut inside a multi-byte UTF-8 character would leave invalid text for the JSON
    // results it ends up in: drop the orphaned continuation bytes (at most three).
    size_t skip = 0;
    while (cut_ && skip < 3 && skip < text_.size() &&
           (static_cast<unsigned char>(text_[skip]) & 0xC0) == 0x80) {
      ++skip;
    }
    return text_.substr(skip);
  }

 private:
  void Trim() {
    if (text_.size() <= CommandRunner::kOutputLimit) return;
    text_.erase(0, text_.size() - CommandRunner::kOutputLimit);
    cut_ = true;
  }
  std::string text_;
  bool cut_ = false;
};

StatusOr<Child> Start(const ChildPlan& plan, const Command& command) {
  UniqueFd child_input;
  Child child;
  if (command.stdin_text.empty()) {
    child_input.Reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!child_input.valid()) return ErrnoStatus(errno, "open /dev/null");
  } else {
    // A socket rather than a pipe: send(MSG_NOSIGNAL) to a command that stopped reading
    // fails with EPIPE instead of raising SIGPIPE in the agent.
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
      return ErrnoStatus(errno, "socketpair for standard input");
    }
    child.input.Reset(ends[0]);
    child_input.Reset(ends[1]);
  }
  int output_ends[2];
  if (pipe2(output_ends, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe for output");
  child.output.Reset(output_ends[0]);
  UniqueFd child_output(output_ends[1]);
  int report_ends[2];
  if (pipe2(report_ends, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe for start errors");
  UniqueFd report_read(report_ends[0]);
  UniqueFd report_write(report_ends[1]);

  child.pid = fork();
  if (child.pid < 0) return ErrnoStatus(errno, "fork for " + command.argv[0]);
  if (child.pid == 0) RunChild(plan, child_input.get(), child_output.get(), report_write.get());

  report_write.Reset();
  child_input.Reset();
  child_output.Reset();
  // End of file: the exec succeeded and closed the child's end. A ChildFailure: it did not.
  ChildFailure failure{};
  ssize_t n;
  do {
    n = read(report_read.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    int status;
    while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return FailureStatus(failure, plan, command);
  }
#ifdef SYS_pidfd_open
  child.pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, child.pid, 0)));
#endif
  fcntl(child.output.get(), F_SETFL, O_NONBLOCK);
  return child;
}

// Reads what is in the pipe now; false at end of file.
bool ReadAvailable(int fd, OutputTail& tail) {
  char buffer[16 * 1024];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      tail.Append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: open, nothing more now; 0: end of file
  }
}

// After the command exited: what it wrote before is in the pipe; background processes it
// left may keep writing, so read what is there now and no more.
void ReadLeftover(int fd, OutputTail& tail) {
  int available = 0;
  if (ioctl(fd, FIONREAD, &available) != 0) return;
  char buffer[16 * 1024];
  while (available > 0) {
    ssize_t n = read(fd, buffer, std::min<size_t>(sizeof(buffer), available));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    tail.Append(buffer, static_cast<size_t>(n));
    available -= static_cast<int>(n);
  }
}

// Writes more of `text` from `offset`; false when done or the command stopped reading.
bool WriteSome(int fd, const std::string& text, size_t& offset) {
  while (offset < text.size()) {
    ssize_t n = send(fd, text.data() + offset, text.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return false;
}

int PollTimeoutMs(Duration remaining) {
  return static_cast<int>(std::clamp<int64_t>(remaining.count(), 0, 24 * 3600 * 1000));
}

}  // namespace

Status ValidateCommand(const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError("command.argv is empty");
  if (command.argv[0].empty()) return InvalidArgumentError("command.argv[0] is empty");
  for (size_t i = 0; i < command.argv.size(); ++i) {
    if (command.argv[i].find('\0') != std::string::npos) {
      return InvalidArgumentError("command.argv[" + std::to_string(i) + "] contains a NUL byte");
    }
  }
  for (const auto& [key, value] : command.env) {
    if (key.empty() || key.find_first_of(std::string("=\0", 2)) != std::string::npos) {
      return InvalidArgumentError("command.env key \"" + key +
                                  "\" is not a variable name (empty, or has '=' or NUL)");
    }
    if (value.find('\0') != std::string::npos) {
      return InvalidArgumentError("command.env[" + key + "] contains a NUL byte");
    }
  }
  if (command.timeout <= Duration::zero()) {
    return InvalidArgumentError("command.timeout must be positive, got " +
                                std::to_string(command.timeout.count()) + " ms");
  }
  if (command.run_as_user && (*command.run_as_user < 0 || *command.run_as_user > kMaxUid)) {
    return InvalidArgumentError("command.run_as_user " + std::to_string(*command.run_as_user) +
                                " is not a uid (0.." + std::to_string(kMaxUid) + ")");
  }
  if (command.working_dir.empty() || command.working_dir.front() != '/' ||
      command.working_dir.find('\0') != std::string::npos) {
    return InvalidArgumentError("command.working_dir \"" + command.working_dir +
                                "\" is not an absolute path");
  }
  return Status::Ok();
}

CommandRunner::CommandRunner(const Clock& clock, std::string root)
    : clock_(clock), root_(std::move(root)) {}

StatusOr<CommandResult> CommandRunner::Run(const Command& command) const {
  if (Status s = ValidateCommand(command); !s.ok()) return s;
  const ChildPlan plan = MakePlan(command, root_);
  const MonoTime deadline = clock_.Monotonic() + command.timeout;
  StatusOr<Child> started = Start(plan, command);
  if (!started.ok()) return started.status();
  Child& child = *started;
  const pid_t group = child.pid;  // setsid made the child the leader of its own group

  OutputTail tail;
  size_t stdin_offset = 0;
  bool exited = false;
  int wait_status = 0;
  bool timed_out = false;
  bool killed = false;
  MonoTime kill_at;
  while (true) {
    if (!exited) {
      pid_t reaped = waitpid(child.pid, &wait_status, WNOHANG);
      if (reaped == child.pid) {
        exited = true;
      } else if (reaped < 0 && errno != EINTR) {
        // Someone else reaped it (SIGCHLD ignored): its exit status is gone.
        Status lost = ErrnoStatus(errno, "wait for " + command.argv[0]);
        kill(-group, SIGKILL);
        return lost;
      }
    }
    const MonoTime now = clock_.Monotonic();
    if (exited) {
      if (child.output.valid()) ReadLeftover(child.output.get(), tail);
      if (!timed_out) break;
      // Timed out and the leader is gone: the rest of its group gets what is left of the
      // grace period, then SIGKILL.
      if (!ProcessGroupHasLiveMembers(group)) break;
      if (now >= kill_at) {
        kill(-group, SIGKILL);
        break;
      }
    } else if (!timed_out && now >= deadline) {
      timed_out = true;
      kill(-group, SIGTERM);
      kill_at = now + kKillGrace;
    } else if (timed_out && !killed && now >= kill_at) {
      killed = true;
      kill(-group, SIGKILL);
    }

    std::vector<pollfd> fds;
    if (child.output.valid()) fds.push_back({child.output.get(), POLLIN, 0});
    if (child.input.valid()) fds.push_back({child.input.get(), POLLOUT, 0});
    const bool watch_exit = !exited && child.pidfd.valid();
    if (watch_exit) fds.push_back({child.pidfd.get(), POLLIN, 0});
    Duration wait = timed_out ? (killed ? kExitPollInterval
                                        : std::chrono::duration_cast<Duration>(kill_at - now))
                              : std::chrono::duration_cast<Duration>(deadline - now);
    if (!watch_exit) wait = std::min(wait, kExitPollInterval);
    // Rounded up, so the loop does not spin through the last fraction of a millisecond.
    if (poll(fds.data(), fds.size(), PollTimeoutMs(wait + Duration(1))) < 0 && errno != EINTR) {
      Status failed = ErrnoStatus(errno, "poll the streams of " + command.argv[0]);
      kill(-group, SIGKILL);
      while (!exited && waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      return failed;
    }
    for (const pollfd& fd : fds) {
      if (fd.revents == 0) continue;
      if (fd.fd == child.output.get()) {
        if (!ReadAvailable(fd.fd, tail)) child.output.Reset();
      } else if (fd.fd == child.input.get()) {
        if (!WriteSome(fd.fd, command.stdin_text, stdin_offset)) child.input.Reset();
      }
    }
  }

  CommandResult result;
  result.timed_out = timed_out;
  result.exit_code = !timed_out && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  result.output = tail.Take();
  return result;
}

}  // namespace kcau::agent
