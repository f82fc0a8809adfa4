// The `packages` plug-in's apt back end against the real apt-get and dpkg, acting on a
// throwaway Debian bookworm root (mmdebstrap, cached) with test packages in local
// repositories: never on the test machine's own packages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/plugin.h"
#include "tests/unit/agent/chroot_test_host.h"
#include "tests/unit/agent/test_roots.h"

namespace kcau::agent {
namespace {

using testing::BuildDeb;
using testing::ChrootTestHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Shell;
using testing::TempDir;
using testing::TestPackage;
using ::testing::UnorderedElementsAre;

class AptPluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::MissingTools(
        {"mmdebstrap", "dpkg-deb", "dpkg-scanpackages", "apt-ftparchive", "chroot", "timeout"});
    if (!skip_.empty()) return;
    debian_root_ = testing::DebianRoot(setup_error_);
    if (!setup_error_.empty()) return;
    debs_ = std::make_unique<TempDir>();
    const std::string reboot =
        "touch /var/run/reboot-required; echo kcau-test-kernelish >> "
        "/var/run/reboot-required.pkgs";
    for (const TestPackage& package : std::vector<TestPackage>{
             {"kcau-test-hello", "1.0"},
             {"kcau-test-hello", "1.1"},
             {"kcau-test-hello", "1.2", "", "kcau-test-newdep"},
             {"kcau-test-newdep", "1.0"},
             {"kcau-test-kernelish", "1.0"},
             {"kcau-test-kernelish", "1.1", reboot},
             {"kcau-test-broken", "1.0"},
             {"kcau-test-broken", "1.1",
              "echo 'kcau-test-broken: cannot configure the frobnicator' >&2; exit 3"}}) {
      setup_error_ += BuildDeb(package, debs_->path());
    }
  }
  static void TearDownTestSuite() { debs_.reset(); }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(setup_error_, "");
    throwaway_ = std::make_unique<testing::ThrowawayRoot>(debian_root_);
    ASSERT_EQ(throwaway_->error(), "");
    root_ = throwaway_->path();
    // Only the test repositories: apt never reaches for Debian's mirror in a test.
    ASSERT_EQ(Shell("mkdir -p " + root_ + "/srv/kcau-main " + root_ +
                    "/srv/kcau-security && touch " + root_ + "/srv/kcau-main/Packages " + root_ +
                    "/srv/kcau-security/Packages && printf '%s\\n' "
                    "'deb [trusted=yes] copy:/srv/kcau-main ./' "
                    "'deb [trusted=yes] copy:/srv/kcau-security ./' > " +
                    root_ + "/etc/apt/sources.list"),
              "");
    host_ = std::make_unique<ChrootTestHost>(root_);
  }

  // Puts exactly `debs` ("kcau-test-hello_1.0") in the repository `repo` (main or security,
  // whose Release names the suite bookworm-security, as Debian's security archive does).
  void Publish(const std::string& repo, const std::vector<std::string>& debs) {
    std::string dir = root_ + "/srv/kcau-" + repo;
    std::string script = "rm -f " + dir + "/*\n";
    for (const std::string& deb : debs) {
      script += "cp " + debs_->path() + "/" + deb + "_all.deb " + dir + "/\n";
    }
    script += "cd " + dir + " && dpkg-scanpackages --multiversion . > Packages 2>/dev/null\n";
    if (repo == "security") {
      script +=
          "apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm-security "
          "-o APT::FTPArchive::Release::Label=kcau-test-security release . > ../Release.tmp "
          "&& mv ../Release.tmp Release\n";
    }
    ASSERT_EQ(Shell(script), "");
  }

  // Installs `packages` in the root with its own apt, from the repositories as they are.
  void InstallInRoot(const std::string& packages) {
    ASSERT_EQ(Shell("chroot " + root_ +
                    " env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "
                    "sh -c 'apt-get -q update && apt-get install -y -q " +
                    packages + "' >/dev/null"),
              "");
  }

  // The version the root's dpkg database has of `package`, "" if none.
  std::string Installed(const std::string& package) {
    std::string out = dir_.path() + "/version";
    Shell("dpkg-query --admindir=" + root_ + "/var/lib/dpkg -W -f='${Version}' " + package + " > " +
          out);
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::unique_ptr<Plugin> Make(const std::map<std::string, std::string>& arguments,
                               bool rolling = false) {
    StatusOr<std::unique_ptr<Plugin>> plugin =
        MakePlugin("packages", arguments, PluginOptions{.os_rolling_upgrade = rolling});
    EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
    return plugin.ok() ? std::move(*plugin) : nullptr;
  }

  static inline std::string skip_;
  static inline std::string setup_error_;
  static inline std::string debian_root_;
  static inline std::unique_ptr<TempDir> debs_;
  TempDir dir_;
  std::unique_ptr<testing::ThrowawayRoot> throwaway_;
  std::string root_;
  std::unique_ptr<ChrootTestHost> host_;
};

TEST_F(AptPluginTest, ScansStagesAndInstallsAnUpgradeWithTheHostsApt) {
  Publish("main", {"kcau-test-hello_1.0"});
  InstallInRoot("kcau-test-hello");
  Publish("main", {"kcau-test-hello_1.0", "kcau-test-hello_1.1"});
  std::unique_ptr<Plugin> plugin = Make({});  // no backend named: the root has apt-get

  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-hello 1.1"));
  EXPECT_THAT(host_->commands()[0], HasSubstr("apt-get"));

  StatusOr<StageResult> staged = plugin->Stage(*host_);
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_THAT(staged->titles, ElementsAre("kcau-test-hello 1.1"));
  EXPECT_TRUE(
      std::filesystem::exists(root_ + "/var/cache/apt/archives/kcau-test-hello_1.1_all.deb"));
  EXPECT_EQ(Installed("kcau-test-hello"), "1.0");

  StatusOr<InstallResult> installed = plugin->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-hello 1.1"));
  EXPECT_FALSE(installed->reboot_required);
  EXPECT_EQ(installed->message, "installed 1 update");
  EXPECT_EQ(Installed("kcau-test-hello"), "1.1");

  StatusOr<std::vector<std::string>> after = Make({})->Scan(*host_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_THAT(*after, IsEmpty());
}

TEST_F(AptPluginTest, APackageThatLeavesRebootRequiredAsksForAReboot) {
  Publish("main", {"kcau-test-hello_1.0", "kcau-test-kernelish_1.0"});
  InstallInRoot("kcau-test-hello kcau-test-kernelish");
  Publish("main", {"kcau-test-hello_1.1", "kcau-test-kernelish_1.1"});

  StatusOr<InstallResult> installed = Make({})->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles,
              UnorderedElementsAre("kcau-test-hello 1.1", "kcau-test-kernelish 1.1"));
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->reboot_required_by, ElementsAre("kcau-test-kernelish"));
  EXPECT_EQ(installed->message, "installed 2 updates; reboot required by kcau-test-kernelish");
  EXPECT_EQ(Installed("kcau-test-kernelish"), "1.1");
}

TEST_F(AptPluginTest, IncludeAndExcludeNarrowWhatIsInstalled) {
  Publish("main", {"kcau-test-hello_1.0", "kcau-test-kernelish_1.0"});
  InstallInRoot("kcau-test-hello kcau-test-kernelish");
  Publish("main", {"kcau-test-hello_1.1", "kcau-test-kernelish_1.1"});
  std::unique_ptr<Plugin> plugin = Make({{"include", "kcau-test-*"}, {"exclude", "*kernel*"}});

  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-hello 1.1"));
  StatusOr<InstallResult> installed = plugin->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-hello 1.1"));
  EXPECT_FALSE(installed->reboot_required);
  EXPECT_EQ(Installed("kcau-test-hello"), "1.1");
  EXPECT_EQ(Installed("kcau-test-kernelish"), "1.0");
}

TEST_F(AptPluginTest, SecurityOnlyTakesWhatComesFromTheSecurityArchive) {
  Publish("main", {"kcau-test-hello_1.0", "kcau-test-kernelish_1.0"});
  InstallInRoot("kcau-test-hello kcau-test-kernelish");
  Publish("main", {"kcau-test-hello_1.1"});
  Publish("security", {"kcau-test-kernelish_1.1"});
  std::unique_ptr<Plugin> plugin = Make({{"securityOnly", "true"}});

  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-kernelish 1.1"));
  StatusOr<InstallResult> installed = plugin->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-kernelish 1.1"));
  EXPECT_EQ(Installed("kcau-test-kernelish"), "1.1");
  EXPECT_EQ(Installed("kcau-test-hello"), "1.0");
}

TEST_F(AptPluginTest, AFailingPostinstIsAnErrorWithDpkgsLastLines) {
  Publish("main", {"kcau-test-broken_1.0"});
  InstallInRoot("kcau-test-broken");
  Publish("main", {"kcau-test-broken_1.1"});

  StatusOr<InstallResult> installed = Make({})->Install(*host_);
  ASSERT_FALSE(installed.ok());
  const std::string& message = installed.status().message();
  EXPECT_THAT(message, HasSubstr("apt-get"));
  EXPECT_THAT(message, HasSubstr("failed (exit 100)"));
  EXPECT_THAT(message, HasSubstr("kcau-test-broken: cannot configure the frobnicator"));
  EXPECT_THAT(message, HasSubstr("post-installation script subprocess returned error exit "
                                 "status 3"));
  EXPECT_LE(message.size(), 4096u + 512u);
}

TEST_F(AptPluginTest, RollingUpgradeTakesWhatPlainUpgradeKeepsBack) {
  Publish("main", {"kcau-test-hello_1.0"});
  InstallInRoot("kcau-test-hello");
  Publish("main", {"kcau-test-hello_1.2", "kcau-test-newdep_1.0"});

  // The new version needs a package not installed yet: `upgrade` keeps it back.
  StatusOr<std::vector<std::string>> plain = Make({})->Scan(*host_);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_THAT(*plain, IsEmpty());

  std::unique_ptr<Plugin> rolling = Make({}, /*rolling=*/true);
  StatusOr<std::vector<std::string>> found = rolling->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, UnorderedElementsAre("kcau-test-hello 1.2", "kcau-test-newdep 1.0"));
  StatusOr<InstallResult> installed = rolling->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles,
              UnorderedElementsAre("kcau-test-hello 1.2", "kcau-test-newdep 1.0"));
  EXPECT_EQ(Installed("kcau-test-hello"), "1.2");
  EXPECT_EQ(Installed("kcau-test-newdep"), "1.0");
  EXPECT_THAT(host_->commands().back(), HasSubstr("dpkg-query"));
}

}  // namespace
}  // namespace kcau::agent
