// ChrootHost over a throwaway root made of busybox-static and a few links: commands really
// run inside it (their writes land in the tree, their PATH and /etc/passwd are the tree's),
// and files, boot ID and reboot behave as Host promises.
#include "agent/chroot_host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/clock.h"
#include "tests/unit/agent/temp_dir.h"

namespace kcau::agent {
namespace {

using testing::TempDir;

const std::vector<std::string> kApplets = {"cat", "chmod", "chown", "echo",  "env",  "id",
                                           "ls",  "pwd",   "sh",    "sleep", "test", "touch"};

class ChrootHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "chroot needs root; running as uid " << geteuid();
    const std::string busybox = testing::FindBusybox();
    // Installed by scripts/install-deps.sh; a missing one is a broken setup, not a skip.
    ASSERT_FALSE(busybox.empty()) << "busybox not found: apt-get install busybox-static";
    testing::LayOutBusyboxRoot(root_, busybox, kApplets,
                               "root:x:0:0:root:/root:/bin/sh\n"
                               "hook:x:1234:4321:hook runner:/:/bin/sh\n");
    std::filesystem::permissions(root_.At("tmp"),
                                 std::filesystem::perms::all | std::filesystem::perms::sticky_bit);
    root_.MakeDirectory("run");
    root_.Write("run/kcau-sim/boot_id", "0f5b2c3e-1111-4a4a-8b8b-123456789abc\n");
    host_ = std::make_unique<ChrootHost>(clock_, root_.path(), root_.At("run/kcau-sim/boot_id"),
                                         [this](RebootKind kind) {
                                           reboots_.push_back(kind);
                                           return reboot_answer_;
                                         });
  }

  CommandResult RunOk(std::vector<std::string> argv, std::optional<int64_t> user = std::nullopt,
                      std::string working_dir = "/") {
    Command command;
    command.argv = std::move(argv);
    command.run_as_user = user;
    command.working_dir = std::move(working_dir);
    command.timeout = std::chrono::seconds(30);
    StatusOr<CommandResult> result = host_->Run(command);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : CommandResult{};
  }

  RealClock clock_;
  TempDir root_;
  std::unique_ptr<ChrootHost> host_;
  std::vector<RebootKind> reboots_;
  Status reboot_answer_;
};

TEST_F(ChrootHostTest, CommandsWriteIntoTheRoot) {
  CommandResult result = RunOk({"sh", "-c", "echo hi > /tmp/x"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(root_.Read("tmp/x"), "hi\n");
}

TEST_F(ChrootHostTest, CommandsSeeOnlyTheRoot) {
  EXPECT_EQ(RunOk({"ls", "/"}).output, "bin\netc\nrun\ntmp\nvar\n");
  EXPECT_EQ(RunOk({"cat", "/etc/passwd"}).output, root_.Read("etc/passwd"));
  // apt-get exists on this machine but not in the root: argv[0] is looked up inside.
  Command apt;
  apt.argv = {"apt-get", "update"};
  StatusOr<CommandResult> missing = host_->Run(apt);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("under " + root_.path()), std::string::npos)
      << missing.status().ToString();
}

TEST_F(ChrootHostTest, WorkingDirectoryInsideTheRoot) {
  EXPECT_EQ(RunOk({"pwd"}, std::nullopt, "/tmp").output, "/tmp\n");
  // Through the root's /var/run -> /run link: inside the root, not this machine's /run.
  EXPECT_EQ(RunOk({"sh", "-c", "pwd -P; ls"}, std::nullopt, "/var/run").output, "/run\nkcau-sim\n");
}

TEST_F(ChrootHostTest, RunAsUserTakesItsGroupFromTheRootsPasswd) {
  // hook is 1234:4321 in the root's /etc/passwd; this machine does not know uid 1234.
  EXPECT_EQ(RunOk({"sh", "-c", "id -u; id -g; id -G"}, 1234).output, "1234\n4321\n4321\n");
  // A uid the root does not list runs with the uid as its group.
  EXPECT_EQ(RunOk({"sh", "-c", "id -u; id -g"}, 5555).output, "5555\n5555\n");
  // The user's file, made by the command, is owned accordingly.
  EXPECT_EQ(RunOk({"touch", "/tmp/by-hook"}, 1234).exit_code, 0);
  StatusOr<FileInfo> info = host_->Stat("/tmp/by-hook");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->uid, 1234);
  EXPECT_EQ(info->gid, 4321);
}

TEST_F(ChrootHostTest, FilesRoundTripAndCommandsSeeThem) {
  ASSERT_TRUE(host_->WriteFile("/etc/kcau.conf", "key=value\n", 0600).ok());
  StatusOr<std::string> read = host_->ReadFile("/etc/kcau.conf");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "key=value\n");
  EXPECT_EQ(RunOk({"cat", "/etc/kcau.conf"}).output, "key=value\n");
  // Through the root's own /var/run -> /run link, seen the same way by a command.
  ASSERT_TRUE(host_->WriteFile("/var/run/reboot-required", "").ok());
  EXPECT_EQ(RunOk({"test", "-f", "/run/reboot-required"}).exit_code, 0);
  ASSERT_TRUE(host_->RemoveFile("/var/run/reboot-required").ok());
  EXPECT_EQ(RunOk({"test", "-f", "/run/reboot-required"}).exit_code, 1);
}

TEST_F(ChrootHostTest, StatReportsWhatCommandsSet) {
  CommandResult made =
      RunOk({"sh", "-c", "touch /tmp/o && chown 1234:4321 /tmp/o && chmod 2750 /tmp/o"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  StatusOr<FileInfo> info = host_->Stat("/tmp/o");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->exists);
  EXPECT_FALSE(info->is_directory);
  EXPECT_EQ(info->mode, 02750u);
  EXPECT_EQ(info->uid, 1234);
  EXPECT_EQ(info->gid, 4321);
  StatusOr<FileInfo> tmp = host_->Stat("/tmp");
  ASSERT_TRUE(tmp.ok());
  EXPECT_TRUE(tmp->is_directory);
  EXPECT_EQ(tmp->mode, 01777u);
  EXPECT_FALSE(host_->Stat("/tmp/absent")->exists);
}

TEST_F(ChrootHostTest, ListDirectoryIsSorted) {
  StatusOr<std::vector<std::string>> bin = host_->ListDirectory("/bin");
  ASSERT_TRUE(bin.ok()) << bin.status().ToString();
  std::vector<std::string> want = kApplets;
  want.push_back("busybox");
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*bin, want);
}

TEST_F(ChrootHostTest, BootIdIsTheFilesLine) {
  StatusOr<std::string> first = host_->BootId();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, "0f5b2c3e-1111-4a4a-8b8b-123456789abc");
  root_.Write("run/kcau-sim/boot_id", "9d1e7a44-2222-4b4b-9c9c-abcdefabcdef\n");  // rebooted
  EXPECT_EQ(*host_->BootId(), "9d1e7a44-2222-4b4b-9c9c-abcdefabcdef");
  root_.Write("run/kcau-sim/boot_id", "\n");
  EXPECT_EQ(host_->BootId().status().code(), StatusCode::kInvalidArgument);
  std::filesystem::remove(root_.At("run/kcau-sim/boot_id"));
  EXPECT_EQ(host_->BootId().status().code(), StatusCode::kNotFound);
}

TEST_F(ChrootHostTest, RebootCallsTheCallback) {
  for (RebootKind kind : {RebootKind::kFull, RebootKind::kSoft, RebootKind::kKexec}) {
    EXPECT_TRUE(host_->Reboot(kind).ok());
  }
  EXPECT_EQ(reboots_,
            (std::vector<RebootKind>{RebootKind::kFull, RebootKind::kSoft, RebootKind::kKexec}));
  reboot_answer_ = UnavailableError("kcau-sim is not reachable");
  Status refused = host_->Reboot(RebootKind::kFull);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), "kcau-sim is not reachable");
}

TEST(ChrootHostWithoutCallbackTest, RebootIsAnError) {
  RealClock clock;
  ChrootHost host(clock, "/nonexistent", "/nonexistent/boot_id", nullptr);
  Status status = host.Reboot(RebootKind::kSoft);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("soft reboot"), std::string::npos) << status.ToString();
}

TEST(RebootKindNameTest, Names) {
  EXPECT_STREQ(RebootKindName(RebootKind::kFull), "full");
  EXPECT_STREQ(RebootKindName(RebootKind::kSoft), "soft");
  EXPECT_STREQ(RebootKindName(RebootKind::kKexec), "kexec");
}

}  // namespace
}  // namespace kcau::agent
