#include "tests/unit/agent/chroot_test_host.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace kcau::agent::testing {

namespace {

constexpr size_t kOutputKept = 64 * 1024;

Status Errno(const std::string& what, int error) {
  return error == ENOENT ? NotFoundError(what + ": " + std::strerror(error))
                         : InternalError(what + ": " + std::strerror(error));
}

std::string Relative(const std::string& path) {
  size_t begin = path.find_first_not_of('/');
  return begin == std::string::npos ? "." : path.substr(begin);
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

ChrootTestHost::ChrootTestHost(std::string root, std::vector<std::string> dnf_options)
    : root_(std::move(root)), dnf_options_(std::move(dnf_options)) {
  root_fd_ = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

ChrootTestHost::~ChrootTestHost() {
  if (root_fd_ >= 0) close(root_fd_);
}

std::vector<std::string> ChrootTestHost::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

int ChrootTestHost::OpenInRoot(const std::string& path, int flags) const {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT;
  long fd = syscall(SYS_openat2, root_fd_, Relative(path).c_str(), &how, sizeof(how));
  return fd < 0 ? -errno : static_cast<int>(fd);
}

StatusOr<CommandResult> ChrootTestHost::Run(const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError("empty argv");
  if (!command.stdin_text.empty()) return InvalidArgumentError("the test host takes no stdin");
  {
    std::string joined;
    for (const std::string& arg : command.argv) joined += (joined.empty() ? "" : " ") + arg;
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(joined);
  }
  double seconds = static_cast<double>(command.timeout.count()) / 1000;
  std::vector<std::string> argv = {"/usr/bin/timeout", "-k", "5", std::to_string(seconds) + "s"};
  if (command.argv[0] == "dnf") {
    argv.insert(argv.end(), {"/usr/bin/dnf", "--installroot=" + root_});
    argv.insert(argv.end(), dnf_options_.begin(), dnf_options_.end());
    argv.insert(argv.end(), command.argv.begin() + 1, command.argv.end());
  } else {
    argv.insert(argv.end(), {"/usr/sbin/chroot"});
    if (command.run_as_user) {
      argv.push_back("--userspec=" + std::to_string(*command.run_as_user) + ":" +
                     std::to_string(*command.run_as_user));
    }
    argv.insert(argv.end(), {root_, "/usr/bin/env", "--chdir=" + command.working_dir});
    argv.insert(argv.end(), command.argv.begin(), command.argv.end());
  }
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"};
  for (const auto& [key, value] : command.env) env.push_back(key + "=" + value);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Errno("pipe", errno);
  std::vector<char*> c_argv;
  for (std::string& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (std::string& entry : env) c_env.push_back(entry.data());
  c_env.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return Errno("fork", errno);
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  CommandResult result;
  char buffer[8192];
  ssize_t got;
  while ((got = read(pipe_fds[0], buffer, sizeof(buffer))) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    result.output.append(buffer, static_cast<size_t>(got));
    if (result.output.size() > 2 * kOutputKept) {
      result.output.erase(0, result.output.size() - kOutputKept);
    }
  }
  close(pipe_fds[0]);
  if (result.output.size() > kOutputKept) {
    result.output.erase(0, result.output.size() - kOutputKept);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // timeout(1): 124 when it stopped the command, 137 when it had to kill it.
  result.timed_out = code == 124 || code == 137;
  result.exit_code = result.timed_out ? -1 : code;
  return result;
}

StatusOr<std::string> ChrootTestHost::ReadFile(const std::string& path) {
  int fd = OpenInRoot(path, O_RDONLY);
  if (fd < 0) return Errno("read " + path, -fd);
  std::string content;
  char buffer[8192];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0) content.append(buffer, got);
  close(fd);
  return content;
}

Status ChrootTestHost::WriteFile(const std::string& path, const std::string& content,
                                 uint32_t mode) {
  int dir = OpenInRoot(Parent(path), O_DIRECTORY | O_RDONLY);
  if (dir < 0) return Errno("write " + path, -dir);
  std::string temporary = "." + BaseName(path) + ".kcau-new";
  int fd = openat(dir, temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  bool written =
      fd >= 0 &&
      write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      fchmod(fd, mode) == 0 && fsync(fd) == 0;
  int error = errno;
  if (fd >= 0) close(fd);
  if (written && renameat(dir, temporary.c_str(), dir, BaseName(path).c_str()) != 0) {
    written = false;
    error = errno;
  }
  close(dir);
  return written ? Status::Ok() : Errno("write " + path, error);
}

Status ChrootTestHost::RemoveFile(const std::string& path) {
  int dir = OpenInRoot(Parent(path), O_DIRECTORY | O_RDONLY);
  if (dir == -ENOENT) return Status::Ok();
  if (dir < 0) return Errno("remove " + path, -dir);
  int removed = unlinkat(dir, BaseName(path).c_str(), 0);
  int error = errno;
  close(dir);
  return removed == 0 || error == ENOENT ? Status::Ok() : Errno("remove " + path, error);
}

StatusOr<FileInfo> ChrootTestHost::Stat(const std::string& path) {
  int fd = OpenInRoot(path, O_PATH);
  if (fd == -ENOENT || fd == -ENOTDIR) return FileInfo{};
  if (fd < 0) return Errno("stat " + path, -fd);
  struct stat st {};
  int stated = fstat(fd, &st);
  int error = errno;
  close(fd);
  if (stated != 0) return Errno("stat " + path, error);
  return FileInfo{.exists = true,
                  .is_directory = S_ISDIR(st.st_mode),
                  .mode = st.st_mode & 07777,
                  .uid = st.st_uid,
                  .gid = st.st_gid};
}

StatusOr<std::vector<std::string>> ChrootTestHost::ListDirectory(const std::string& path) {
  int fd = OpenInRoot(path, O_DIRECTORY | O_RDONLY);
  if (fd < 0) return Errno("list " + path, -fd);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return Errno("list " + path, errno);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

StatusOr<std::string> ChrootTestHost::BootId() { return std::string("kcau-test-boot"); }

Status ChrootTestHost::Reboot(RebootKind kind) {
  return InternalError("the test host does not reboot");
}

}  // namespace kcau::agent::testing
