// The `script` plug-in running real scripts as root in a throwaway Debian root (an overlay
// over the cached mmdebstrap root, so the scripts have a shell), and the reboot-required
// plug-in on a plain directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/plugin.h"
#include "tests/unit/agent/chroot_test_host.h"
#include "tests/unit/agent/test_roots.h"

namespace kcau::agent {
namespace {

using testing::ChrootTestHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempDir;

class ScriptPluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::MissingTools({"mmdebstrap", "chroot", "timeout"});
    if (skip_.empty()) debian_root_ = testing::DebianRoot(setup_error_);
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(setup_error_, "");
    throwaway_ = std::make_unique<testing::ThrowawayRoot>(debian_root_);
    ASSERT_EQ(throwaway_->error(), "");
    host_ = std::make_unique<ChrootTestHost>(throwaway_->path());
    std::filesystem::create_directories(Path(kFolder));
    chmod(Path(kFolder).c_str(), 0755);
  }

  std::string Path(const std::string& host_path) const { return throwaway_->path() + host_path; }

  void Write(const std::string& host_path, const std::string& content, mode_t mode) {
    std::ofstream(Path(host_path)) << content;
    chmod(Path(host_path).c_str(), mode);
  }
  void Script(const std::string& name, const std::string& body) {
    Write(std::string(kFolder) + "/" + name, "#!/bin/sh\nset -e\n" + body + "\n", 0755);
  }
  void Manifest(const std::string& yaml) {
    Write(std::string(kFolder) + "/kcau-hotfix.yaml", yaml, 0644);
  }
  std::string Read(const std::string& host_path) {
    std::ifstream in(Path(host_path));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::unique_ptr<Plugin> Make(std::map<std::string, std::string> arguments) {
    StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin("script", arguments, {});
    EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
    return plugin.ok() ? std::move(*plugin) : nullptr;
  }

  static constexpr char kFolder[] = "/srv/hotfixes";
  static inline std::string skip_;
  static inline std::string setup_error_;
  static inline std::string debian_root_;
  std::unique_ptr<testing::ThrowawayRoot> throwaway_;
  std::unique_ptr<ChrootTestHost> host_;
};

TEST_F(ScriptPluginTest, RunsTheManifestsScriptsInItsOrderAsRootAndEachOnce) {
  Script("b-first.sh", "echo \"b $(id -u) $(pwd)\" >> /var/log/kcau-order");
  Script("a-second.sh", "echo a >> /var/log/kcau-order");
  Manifest("- script: b-first.sh\n- script: a-second.sh\n  installerTimeoutMinutes: 5\n");
  std::unique_ptr<Plugin> plugin = Make({{"path", kFolder}});

  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("b-first.sh", "a-second.sh"));
  StatusOr<StageResult> staged = plugin->Stage(*host_);
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_THAT(staged->titles, ElementsAre("b-first.sh", "a-second.sh"));
  EXPECT_EQ(Read("/var/log/kcau-order"), "");

  StatusOr<InstallResult> installed = plugin->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("b-first.sh", "a-second.sh"));
  EXPECT_FALSE(installed->reboot_required);
  EXPECT_EQ(Read("/var/log/kcau-order"), "b 0 /srv/hotfixes\na\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(Path("/var/lib/kcau/hotfixes")),
                          std::filesystem::directory_iterator()),
            2);

  // Applied scripts are recorded on the host: a later run finds and runs nothing.
  StatusOr<std::vector<std::string>> after = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_THAT(*after, IsEmpty());
  StatusOr<InstallResult> again = Make({{"path", kFolder}})->Install(*host_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_THAT(again->titles, IsEmpty());
  EXPECT_EQ(Read("/var/log/kcau-order"), "b 0 /srv/hotfixes\na\n");

  // A changed script is a new hotfix.
  Script("a-second.sh", "echo a2 >> /var/log/kcau-order");
  StatusOr<std::vector<std::string>> changed = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_THAT(*changed, ElementsAre("a-second.sh"));
}

TEST_F(ScriptPluginTest, AScriptMarkedRebootAsksForAReboot) {
  Script("kernel-param.sh", "true");
  Script("plain.sh", "true");
  Manifest("- script: kernel-param.sh\n  reboot: true\n- script: plain.sh\n  reboot: false\n");
  StatusOr<InstallResult> installed = Make({{"path", kFolder}})->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->reboot_required_by, ElementsAre("kernel-param.sh"));
  EXPECT_EQ(installed->message, "installed 2 updates; reboot required by kernel-param.sh");
}

TEST_F(ScriptPluginTest, AWorldWritableFolderIsRefusedUnlessAclChecksAreOff) {
  Script("fix.sh", "echo ran >> /var/log/kcau-fix");
  Manifest("- script: fix.sh\n");
  chmod(Path(kFolder).c_str(), 0777);

  StatusOr<InstallResult> refused = Make({{"path", kFolder}})->Install(*host_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthorized);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("/srv/hotfixes is writable by group or others (mode 0777)"));
  EXPECT_EQ(Read("/var/log/kcau-fix"), "");

  StatusOr<InstallResult> allowed =
      Make({{"path", kFolder}, {"disableAclChecks", "true"}})->Install(*host_);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_THAT(allowed->titles, ElementsAre("fix.sh"));
  EXPECT_EQ(Read("/var/log/kcau-fix"), "ran\n");
}

TEST_F(ScriptPluginTest, AScriptNotRootsOrWritableByOthersIsRefused) {
  Script("fix.sh", "true");
  Manifest("- script: fix.sh\n");
  chmod(Path("/srv/hotfixes/fix.sh").c_str(), 0775);
  StatusOr<std::vector<std::string>> group_writable = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_FALSE(group_writable.ok());
  EXPECT_THAT(group_writable.status().message(),
              HasSubstr("/srv/hotfixes/fix.sh is writable by group or others (mode 0775)"));

  chmod(Path("/srv/hotfixes/fix.sh").c_str(), 0755);
  ASSERT_EQ(chown(Path("/srv/hotfixes/fix.sh").c_str(), 1000, 1000), 0);
  StatusOr<std::vector<std::string>> not_roots = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_FALSE(not_roots.ok());
  EXPECT_THAT(not_roots.status().message(),
              HasSubstr("/srv/hotfixes/fix.sh is owned by uid 1000, not root"));
}

TEST_F(ScriptPluginTest, AScriptOverItsTimeoutIsStoppedAndNotRecorded) {
  Script("slow.sh", "sleep 30");
  Manifest("- script: slow.sh\n  installerTimeoutMinutes: 0.02\n");  // 1.2 s
  std::unique_ptr<Plugin> plugin = Make({{"path", kFolder}});
  auto started = std::chrono::steady_clock::now();
  StatusOr<InstallResult> installed = plugin->Install(*host_);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(installed.ok());
  EXPECT_THAT(installed.status().message(),
              HasSubstr("/srv/hotfixes/slow.sh\" timed out after 0.02 minutes"));
  EXPECT_LT(took, std::chrono::seconds(15));
  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("slow.sh"));
}

TEST_F(ScriptPluginTest, AFailingScriptStopsTheRunSayingWhatItPrinted) {
  Script("one.sh", "echo one >> /var/log/kcau-order");
  Script("two.sh", "echo 'two: the disk is on fire' >&2; exit 3");
  Script("three.sh", "echo three >> /var/log/kcau-order");
  Manifest("- script: one.sh\n- script: two.sh\n- script: three.sh\n");
  StatusOr<InstallResult> installed = Make({{"path", kFolder}})->Install(*host_);
  ASSERT_FALSE(installed.ok());
  EXPECT_THAT(installed.status().message(), HasSubstr("two.sh\" failed (exit 3)"));
  EXPECT_THAT(installed.status().message(), HasSubstr("two: the disk is on fire"));
  EXPECT_THAT(installed.status().message(), HasSubstr("(applied before it: one.sh)"));
  EXPECT_EQ(Read("/var/log/kcau-order"), "one\n");
  StatusOr<std::vector<std::string>> found = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("two.sh", "three.sh"));
}

TEST_F(ScriptPluginTest, AManifestNamingAMissingScriptIsAnError) {
  Manifest("- script: gone.sh\n");
  StatusOr<std::vector<std::string>> found = Make({{"path", kFolder}})->Scan(*host_);
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.status().message(), HasSubstr("/srv/hotfixes/gone.sh does not exist"));
}

// The reboot-required plug-in needs files only: a plain directory is its host.
class RebootRequiredPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the test host needs root";
    std::filesystem::create_directories(dir_.path() + "/var/run");
    host_ = std::make_unique<ChrootTestHost>(dir_.path());
  }
  std::unique_ptr<Plugin> Make(std::map<std::string, std::string> arguments = {}) {
    StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin("reboot-required", arguments, {});
    EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
    return plugin.ok() ? std::move(*plugin) : nullptr;
  }
  TempDir dir_;
  std::unique_ptr<ChrootTestHost> host_;
};

TEST_F(RebootRequiredPluginTest, NoSentinelNoReboot) {
  StatusOr<std::vector<std::string>> found = Make()->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, IsEmpty());
  StatusOr<InstallResult> installed = Make()->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_FALSE(installed->reboot_required);
  EXPECT_THAT(installed->titles, IsEmpty());
}

TEST_F(RebootRequiredPluginTest, TheSentinelAsksForARebootNamingItsPackages) {
  std::ofstream(dir_.path() + "/var/run/reboot-required") << "*** System restart required ***\n";
  std::ofstream(dir_.path() + "/var/run/reboot-required.pkgs")
      << "linux-image-6.1.0-18-amd64\nlibc6\nlinux-image-6.1.0-18-amd64\n";
  StatusOr<std::vector<std::string>> found = Make()->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("reboot required"));
  StatusOr<StageResult> staged = Make()->Stage(*host_);
  ASSERT_TRUE(staged.ok());
  EXPECT_THAT(staged->titles, IsEmpty());
  StatusOr<InstallResult> installed = Make()->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->reboot_required_by, ElementsAre("linux-image-6.1.0-18-amd64", "libc6"));
  EXPECT_TRUE(installed->firmware_or_kernel_changed);
  EXPECT_THAT(installed->titles, IsEmpty());
}

TEST_F(RebootRequiredPluginTest, AnotherSentinelByArgument) {
  std::filesystem::create_directories(dir_.path() + "/run/kcau");
  std::ofstream(dir_.path() + "/run/kcau/reboot") << "";
  StatusOr<InstallResult> installed = Make({{"sentinel", "/run/kcau/reboot"}})->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->reboot_required_by, ElementsAre("/run/kcau/reboot"));
  EXPECT_FALSE(installed->firmware_or_kernel_changed);
  StatusOr<InstallResult> default_sentinel = Make()->Install(*host_);
  ASSERT_TRUE(default_sentinel.ok());
  EXPECT_FALSE(default_sentinel->reboot_required);
}

}  // namespace
}  // namespace kcau::agent
