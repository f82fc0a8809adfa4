#include "sim/real_agents.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sim/agent_root.h"
#include "sim/api_server.h"
#include "sim/kubeconfig_file.h"

extern char** environ;

namespace kcau::sim {

namespace {

namespace fs = std::filesystem;

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// In the child, between fork and exec: async-signal-safe calls only (no allocation).
[[noreturn]] void ExecAgent(char* const argv[], int log_fd, int null_fd, pid_t parent) {
  setpgid(0, 0);
  // Dies with kcau-sim, even a SIGKILLed one; and if kcau-sim died before this line, now.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  // kcau-sim blocks SIGTERM and SIGINT in every thread (common/stop_signals.h); the agent
  // must start with the defaults, or StopAll's SIGTERM would not reach it.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
  if (dup2(null_fd, 0) != 0 || dup2(log_fd, 1) != 1 || dup2(log_fd, 2) != 2) _exit(126);
    // kcau-sim's own descriptors (its listening socket, watches) are none of the agent's.
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
#endif
  {
    for (int fd = 3; fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  execve(argv[0], argv, environ);
  static const char kFailed[] = "kcau-sim: cannot execute the agent binary\n";
  ssize_t ignored = write(2, kFailed, sizeof(kFailed) - 1);
  (void)ignored;
  _exit(127);
}

// Whether `pid` (a child) has exited; it is left a zombie, so its pid, and the process group
// named after it, cannot be taken by a new process until ReapExited.
bool HasExited(pid_t pid) {
  siginfo_t info = {};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

int ReapExited(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace

RealAgents::RealAgents(RealAgentOptions options, const std::vector<std::string>& nodes)
    : options_(std::move(options)) {
  for (const auto& node : nodes) agents_[node].token = RandomBearerToken();
}

RealAgents::~RealAgents() { StopAll(std::chrono::seconds(5)); }

std::string RealAgents::RootOf(const std::string& node) const {
  return options_.roots_dir + "/" + node;
}

std::string RealAgents::KubeconfigOf(const std::string& node) const {
  return options_.roots_dir + "/" + node + ".kubeconfig";
}

std::map<std::string, std::string> RealAgents::Tokens() const {
  std::map<std::string, std::string> tokens;
  for (const auto& [node, agent] : agents_) tokens[agent.token] = node;
  return tokens;
}

Status RealAgents::PrepareRoot(const std::string& node,
                               const std::map<std::string, RootFile>& files,
                               const std::string& boot_id, bool reuse,
                               const std::string& root_template) {
  const std::string root = RootOf(node);
  if (fs::exists(root)) {
    if (!reuse) {
      return AlreadyExistsError("--agent-roots: " + root +
                                " is the disk of a node from an earlier kcau-sim; remove it, "
                                "or start kcau-sim with the --state-file that goes with it");
    }
    return WriteRootBootId(root, boot_id);
  }
  if (!root_template.empty()) return MakeAgentRootFromTemplate(root, root_template, boot_id, files);
  StatusOr<std::string> busybox = FindStaticBusybox();
  if (!busybox.ok()) return busybox.status();
  return MakeAgentRoot(root, *busybox, boot_id, files);
}

Status RealAgents::WriteKubeconfigs(const std::string& server, const std::string& ca_pem) {
  for (const auto& [node, agent] : agents_) {
    if (!WriteKubeconfig(KubeconfigOf(node), server, agent.token, ca_pem, 0600)) {
      return InternalError("cannot write " + KubeconfigOf(node));
    }
  }
  return Status::Ok();
}

bool RealAgents::Running(const std::string& node) const {
  auto it = agents_.find(node);
  return it != agents_.end() && it->second.pid > 0;
}

Status RealAgents::Start(const std::string& node) {
  auto it = agents_.find(node);
  if (it == agents_.end()) return NotFoundError("node " + node + " has no real agent");
  Agent& agent = it->second;
  if (agent.pid > 0) return Status::Ok();
  if (agent.metrics_addr.empty()) {
    agent.metrics_addr = "127.0.0.1:" + std::to_string(FindFreePort());
    const std::string addr_file = options_.roots_dir + "/" + node + ".metrics";
    std::ofstream(addr_file + ".tmp") << agent.metrics_addr << "\n";
    if (std::rename((addr_file + ".tmp").c_str(), addr_file.c_str()) != 0) {
      return InternalError("cannot write " + addr_file + ": " + std::strerror(errno));
    }
  }
  const std::string& metrics = agent.metrics_addr;
  std::vector<std::string> args = {options_.binary,
                                   "--node",
                                   node,
                                   "--kubeconfig",
                                   KubeconfigOf(node),
                                   "--request-verify-key",
                                   options_.verify_key_file,
                                   "--test-root",
                                   RootOf(node),
                                   "--metrics-addr",
                                   metrics};
  if (!options_.log_format.empty()) args.insert(args.end(), {"--log-format", options_.log_format});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = options_.roots_dir + "/" + node + ".log";
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return InternalError("open " + log_path + ": " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    return InternalError(std::string("open /dev/null: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) ExecAgent(argv.data(), log_fd, null_fd, parent);
  const int fork_error = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) return InternalError(std::string("fork: ") + std::strerror(fork_error));
  setpgid(pid, pid);  // as the child does: whichever runs first, the group exists after both
  agent.pid = pid;
  {
    const std::string pid_file = options_.roots_dir + "/" + node + ".pid";
    std::ofstream(pid_file + ".tmp") << pid << "\n";
    std::rename((pid_file + ".tmp").c_str(), pid_file.c_str());
  }
  spdlog::info("sim: real agent on {} started (pid {}, metrics {}, log {})", node, pid, metrics,
               log_path);
  return Status::Ok();
}

void RealAgents::KillRootProcesses(const std::string& node) const {
  std::error_code ec;
  const fs::path root = fs::canonical(RootOf(node), ec);
  if (ec) return;
  // A process may fork while its siblings die: look again until none is left.
  for (int round = 0; round < 20; ++round) {
    bool found = false;
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return;
    while (const dirent* entry = readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      char link[PATH_MAX];
      const std::string root_link = std::string("/proc/") + entry->d_name + "/root";
      const ssize_t n = readlink(root_link.c_str(), link, sizeof(link) - 1);
      if (n <= 0 || root.string() != std::string(link, static_cast<size_t>(n))) continue;
      if (kill(static_cast<pid_t>(pid), SIGKILL) == 0) found = true;
    }
    closedir(proc);
    if (!found) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RealAgents::Kill(const std::string& node) {
  auto it = agents_.find(node);
  if (it == agents_.end()) return;
  Agent& agent = it->second;
  if (agent.pid > 0) {
    kill(-agent.pid, SIGKILL);
    ReapExited(agent.pid);
    spdlog::info("sim: real agent on {} (pid {}) killed", node, agent.pid);
    agent.pid = -1;
  }
  KillRootProcesses(node);
}

std::vector<std::string> RealAgents::Reap() {
  std::vector<std::string> exited;
  for (auto& [node, agent] : agents_) {
    if (agent.pid <= 0 || !HasExited(agent.pid)) continue;
    kill(-agent.pid, SIGKILL);  // the rest of its group
    spdlog::warn("sim: real agent on {} (pid {}) exited: {}", node, agent.pid,
                 DescribeExit(ReapExited(agent.pid)));
    agent.pid = -1;
    KillRootProcesses(node);
    exited.push_back(node);
  }
  return exited;
}

void RealAgents::StopAll(Duration grace) {
  for (auto& [node, agent] : agents_) {
    if (agent.pid > 0) kill(-agent.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& [node, agent] : agents_) {
    while (agent.pid > 0) {
      if (HasExited(agent.pid)) {
        kill(-agent.pid, SIGKILL);  // whatever else of its group is left
        spdlog::info("sim: real agent on {} stopped: {}", node,
                     DescribeExit(ReapExited(agent.pid)));
        agent.pid = -1;
      } else if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::warn("sim: real agent on {} did not stop within the grace period: killing it",
                     node);
        Kill(node);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    KillRootProcesses(node);
  }
}

}  // namespace kcau::sim
