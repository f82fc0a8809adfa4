// NsenterHost: the nsenter command line it builds, its files under a stand-in host mount,
// the kernel's boot ID, and real runs through nsenter. Entering PID 1 is tried for real where
// this machine allows it; the rest enters this test process's own namespaces, which runs the
// same nsenter with the same options (user switch, working directory, failures).
#include "agent/nsenter_host.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>

#include "common/clock.h"
#include "tests/unit/agent/process_helpers.h"
#include "tests/unit/agent/temp_dir.h"

namespace kcau::agent {
namespace {

using testing::Argv;
using testing::ExitedWithin;
using testing::FirstLineAsPid;
using testing::ScopedSupplementaryGroups;
using testing::TempDir;

// Why this process cannot enter `pid`'s namespaces, or "" when it can try.
std::string CannotEnter(pid_t pid) {
  if (geteuid() != 0)
    return "entering namespaces needs root; running as uid " + std::to_string(geteuid());
  for (const char* ns : {"mnt", "uts", "ipc", "net", "pid"}) {
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
    close(fd);
  }
  return "";
}

TEST(NsenterHostTest, WrappedArgvEntersPid1LikeKured) {
  TempDir mount;
  mount.Write("etc/passwd", "hook:x:1234:4321::/:/bin/sh\n");
  RealClock clock;
  NsenterHost host(clock, mount.path());
  Command plain = Argv({"systemctl", "is-system-running"});
  EXPECT_EQ(host.WrappedArgv(plain),
            (std::vector<std::string>{"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p",
                                      "--wdns=/", "--", "systemctl", "is-system-running"}));
  // The user switch is nsenter's, with the primary group from the host's /etc/passwd.
  Command hook = Argv({"/usr/local/bin/hook.sh", "pre"});
  hook.run_as_user = 1234;
  hook.working_dir = "/var/lib/kcau";
  EXPECT_EQ(host.WrappedArgv(hook),
            (std::vector<std::string>{"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p",
                                      "--wdns=/var/lib/kcau", "-S", "1234", "-G", "4321", "--",
                                      "/usr/local/bin/hook.sh", "pre"}));
  hook.run_as_user = 5555;  // not in the host's passwd: the uid is the group
  std::vector<std::string> unlisted = host.WrappedArgv(hook);
  EXPECT_EQ(std::vector<std::string>(unlisted.begin() + 9, unlisted.begin() + 13),
            (std::vector<std::string>{"-S", "5555", "-G", "5555"}));
}

TEST(NsenterHostTest, SystemctlRebootVerbs) {
  EXPECT_EQ(SystemctlRebootArgv(RebootKind::kFull),
            (std::vector<std::string>{"systemctl", "reboot"}));
  EXPECT_EQ(SystemctlRebootArgv(RebootKind::kSoft),
            (std::vector<std::string>{"systemctl", "soft-reboot"}));
  EXPECT_EQ(SystemctlRebootArgv(RebootKind::kKexec),
            (std::vector<std::string>{"systemctl", "kexec"}));
}

TEST(NsenterHostTest, FilesAreUnderTheHostMount) {
  TempDir mount;
  mount.MakeDirectory("run");
  mount.Symlink("/run", "var/run");
  RealClock clock;
  NsenterHost host(clock, mount.path());
  ASSERT_TRUE(host.WriteFile("/var/run/reboot-required", "yes\n", 0640).ok());
  EXPECT_EQ(mount.Read("run/reboot-required"), "yes\n");  // the host's /run, not ours
  StatusOr<std::string> read = host.ReadFile("/var/run/reboot-required");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "yes\n");
  StatusOr<FileInfo> info = host.Stat("/run/reboot-required");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mode, 0640u);
  EXPECT_EQ(*host.ListDirectory("/run"), std::vector<std::string>{"reboot-required"});
  ASSERT_TRUE(host.RemoveFile("/run/reboot-required").ok());
  EXPECT_FALSE(host.Stat("/var/run/reboot-required")->exists);
}

TEST(NsenterHostTest, BootIdIsTheKernels) {
  RealClock clock;
  NsenterHost host(clock, "/nonexistent-host-mount");
  StatusOr<std::string> id = host.BootId();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(std::regex_match(
      *id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")))
      << *id;
  std::ifstream kernel("/proc/sys/kernel/random/boot_id");
  std::string line;
  std::getline(kernel, line);
  EXPECT_EQ(*id, line);
}

TEST(NsenterHostTest, RunsInPid1sNamespaces) {
  if (std::string why = CannotEnter(1); !why.empty()) GTEST_SKIP() << why;
  RealClock clock;
  NsenterHost host(clock, "/");
  StatusOr<CommandResult> result = host.Run(Argv({"true"}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->exit_code, 0) << result->output;
}

// The same nsenter, entering this process's namespaces.
class NsenterSelfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = CannotEnter(getpid()); !why.empty()) GTEST_SKIP() << why;
    mount_.Write("etc/passwd", "hook:x:1234:4321::/:/bin/sh\n");
    host_ = std::make_unique<NsenterHost>(clock_, mount_.path(), getpid());
  }
  RealClock clock_;
  TempDir mount_;
  std::unique_ptr<NsenterHost> host_;
};

TEST_F(NsenterSelfTest, RunsWithTheMinimalEnvironmentAndWorkingDirectory) {
  Command command = Argv({"sh", "-c", "echo \"$PATH $LANG $FOO\"; pwd; echo err >&2; exit 7"});
  command.env = {{"FOO", "bar"}};
  command.working_dir = "/usr/bin";
  StatusOr<CommandResult> result = host_->Run(command);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->output,
            std::string(CommandRunner::kMinimalPath) + " C.UTF-8 bar\n/usr/bin\nerr\n");
  EXPECT_EQ(result->exit_code, 7);
}

TEST_F(NsenterSelfTest, RunAsUserSwitchesInsideNsenter) {
  Command command = Argv({"sh", "-c", "id -u; id -g; id -G"});
  command.run_as_user = 1234;
  StatusOr<CommandResult> result = InternalError("not run");
  {
    ScopedSupplementaryGroups groups({0, 4242});  // which nsenter must drop
    result = host_->Run(command);
  }
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->output, "1234\n4321\n4321\n");
}

TEST_F(NsenterSelfTest, NsenterFailuresAreErrors) {
  StatusOr<CommandResult> missing = host_->Run(Argv({"kcau-no-such-binary"}));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("kcau-no-such-binary"), std::string::npos);

  Command nowhere = Argv({"true"});
  nowhere.working_dir = "/nonexistent-kcau-dir";
  StatusOr<CommandResult> no_dir = host_->Run(nowhere);
  EXPECT_EQ(no_dir.status().code(), StatusCode::kInternal) << no_dir.status().ToString();
  EXPECT_NE(no_dir.status().message().find("nsenter: "), std::string::npos);

  // A command's own exit 1 or 127 is a result, not an error.
  StatusOr<CommandResult> own = host_->Run(Argv({"sh", "-c", "echo nsenter-like; exit 127"}));
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->exit_code, 127);

  // No process has a pid as large as pid_max: its namespaces cannot be opened.
  std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
  pid_t pid_max = 0;
  pid_max_file >> pid_max;
  ASSERT_GT(pid_max, 0);
  RealClock clock;
  NsenterHost gone(clock, mount_.path(), pid_max);
  StatusOr<CommandResult> no_target = gone.Run(Argv({"true"}));
  EXPECT_EQ(no_target.status().code(), StatusCode::kInternal) << no_target.status().ToString();
  EXPECT_NE(no_target.status().message().find("/proc/" + std::to_string(pid_max) + "/ns/"),
            std::string::npos)
      << no_target.status().ToString();

  // Validation names the caller's fields, not those of the wrapped nsenter command.
  Command bad = Argv({"true", std::string("a\0b", 3)});
  StatusOr<CommandResult> invalid = host_->Run(bad);
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("command.argv[1]"), std::string::npos)
      << invalid.status().ToString();
}

TEST_F(NsenterSelfTest, TimeoutKillsWhatNsenterStarted) {
  Command command = Argv({"sh", "-c", "sleep 60 & echo $!; wait"});
  command.timeout = std::chrono::milliseconds(500);
  const MonoTime start = clock_.Monotonic();
  StatusOr<CommandResult> result = host_->Run(command);
  const Duration took = std::chrono::duration_cast<Duration>(clock_.Monotonic() - start);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_LT(took, std::chrono::milliseconds(500) + std::chrono::seconds(1));
  ASSERT_FALSE(result->output.empty());
  EXPECT_TRUE(ExitedWithin(FirstLineAsPid(result->output), std::chrono::seconds(2)))
      << "the background sleep outlived the timeout";
}

}  // namespace
}  // namespace kcau::agent
