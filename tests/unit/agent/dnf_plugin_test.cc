// The `packages` plug-in's dnf back end against the real dnf and rpm (Debian's packages),
// acting on a throwaway installroot with test rpms in a local repository (createrepo_c):
// never on the test machine's own packages. The test host runs dnf outside the root with
// --installroot (chroot_test_host.h says why).
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

using testing::BuildRpm;
using testing::ChrootTestHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Shell;
using testing::TempDir;
using testing::TestPackage;
using ::testing::UnorderedElementsAre;

// Debian's dnf enables the `local` plug-in, which would copy every package into a host
// folder; a Fedora host has it off. The release version of an empty root cannot be read.
const std::vector<std::string> kDnfOptions = {"--releasever=kcau", "--disableplugin=local"};

constexpr char kSecurityAdvisory[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="kcau@example.invalid" status="stable" type="security" version="1.4">
    <id>KCAU-2026-0001</id>
    <title>kcau-test-kernelish security update</title>
    <issued date="2026-01-01 00:00:00"/>
    <severity>Important</severity>
    <description>A test advisory.</description>
    <pkglist>
      <collection short="kcau">
        <name>kcau test</name>
        <package name="kcau-test-kernelish" version="1.1" release="1" epoch="0" arch="noarch">
          <filename>kcau-test-kernelish-1.1-1.noarch.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
</updates>
)";

class DnfPluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::MissingTools(
        {"dnf", "rpm", "rpmbuild", "createrepo_c", "modifyrepo_c", "timeout"});
    if (!skip_.empty()) return;
    rpms_ = std::make_unique<TempDir>();
    for (const TestPackage& package : std::vector<TestPackage>{
             {"kcau-test-hello", "1.0"},
             {"kcau-test-hello", "1.1"},
             {"kcau-test-kernelish", "1.0"},
             {"kcau-test-kernelish", "1.1"},
             {"kcau-test-broken", "1.0"},
             {"kcau-test-broken", "1.1",
              "error(\"kcau-test-broken: cannot configure the frobnicator\")"}}) {
      setup_error_ += BuildRpm(package, rpms_->path());
    }
  }
  static void TearDownTestSuite() { rpms_.reset(); }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(setup_error_, "");
    root_ = dir_.path() + "/root";
    repo_ = dir_.path() + "/repo";
    // The root's own dnf.conf, not the test machine's; kcau-test-kernelish stands for a
    // kernel in needs-restarting's list, as an administrator adds packages there.
    ASSERT_EQ(
        Shell("mkdir -p " + repo_ + " " + root_ + "/etc/yum.repos.d " + root_ +
              "/etc/dnf/plugins/needs-restarting.d && printf '[main]\\ngpgcheck=0\\n' > " + root_ +
              "/etc/dnf/dnf.conf && printf '[kcau-test]\\nname=kcau test\\n"
              "baseurl=file://" +
              repo_ + "\\ngpgcheck=0\\n' > " + root_ +
              "/etc/yum.repos.d/kcau-test.repo && echo kcau-test-kernelish > " + root_ +
              "/etc/dnf/plugins/needs-restarting.d/kcau-test.conf"),
        "");
    host_ = std::make_unique<ChrootTestHost>(root_, kDnfOptions);
  }

  // Puts exactly `rpms` ("kcau-test-hello-1.0") in the repository, with the security
  // advisory for kcau-test-kernelish 1.1 when `advisory`.
  void Publish(const std::vector<std::string>& rpms, bool advisory = false) {
    std::string script = "rm -rf " + repo_ + "/* && mkdir -p " + repo_ + "\n";
    for (const std::string& rpm : rpms) {
      script += "cp " + rpms_->path() + "/" + rpm + "-1.noarch.rpm " + repo_ + "/\n";
    }
    script += "createrepo_c -q " + repo_ + "\n";
    if (advisory) {
      std::ofstream(dir_.path() + "/updateinfo.xml") << kSecurityAdvisory;
      script += "modifyrepo_c --mdtype=updateinfo " + dir_.path() + "/updateinfo.xml " + repo_ +
                "/repodata >/dev/null\n";
    }
    ASSERT_EQ(Shell(script), "");
  }

  void InstallInRoot(const std::string& packages) {
    std::string options;
    for (const std::string& option : kDnfOptions) options += " " + option;
    ASSERT_EQ(Shell("dnf -y -q --installroot=" + root_ + options + " install " + packages +
                    " >/dev/null"),
              "");
  }

  // "1.0-1", or "" when the root's rpm database has no `package`.
  std::string Installed(const std::string& package) {
    std::string out = dir_.path() + "/version";
    Shell("rpm --root=" + root_ + " -q --qf '%{VERSION}-%{RELEASE}' " + package + " > " + out);
    std::ifstream in(out);
    std::string version(std::istreambuf_iterator<char>(in), {});
    return version.find("not installed") == std::string::npos ? version : "";
  }

  std::unique_ptr<Plugin> Make(std::map<std::string, std::string> arguments, bool rolling = false) {
    StatusOr<std::unique_ptr<Plugin>> plugin =
        MakePlugin("packages", arguments, PluginOptions{.os_rolling_upgrade = rolling});
    EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
    return plugin.ok() ? std::move(*plugin) : nullptr;
  }

  static inline std::string skip_;
  static inline std::string setup_error_;
  static inline std::unique_ptr<TempDir> rpms_;
  TempDir dir_;
  std::string root_;
  std::string repo_;
  std::unique_ptr<ChrootTestHost> host_;
};

TEST_F(DnfPluginTest, ScansStagesAndInstallsAnUpgradeWithTheHostsDnf) {
  Publish({"kcau-test-hello-1.0"});
  InstallInRoot("kcau-test-hello");
  Publish({"kcau-test-hello-1.0", "kcau-test-hello-1.1"});
  // No backend named: the root has /usr/bin/dnf and no apt-get.
  ASSERT_EQ(Shell("mkdir -p " + root_ + "/usr/bin && touch " + root_ + "/usr/bin/dnf"), "");
  std::unique_ptr<Plugin> plugin = Make({});

  StatusOr<std::vector<std::string>> found = plugin->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-hello 1.1-1"));
  EXPECT_THAT(host_->commands()[0], HasSubstr("dnf -q check-update --refresh"));

  StatusOr<StageResult> staged = plugin->Stage(*host_);
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_THAT(staged->titles, ElementsAre("kcau-test-hello 1.1-1"));
  EXPECT_THAT(host_->commands().back(), HasSubstr("--downloadonly"));
  EXPECT_EQ(Installed("kcau-test-hello"), "1.0-1");

  StatusOr<InstallResult> installed = plugin->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-hello 1.1-1"));
  EXPECT_FALSE(installed->reboot_required) << installed->message;
  EXPECT_EQ(Installed("kcau-test-hello"), "1.1-1");

  StatusOr<std::vector<std::string>> after = Make({})->Scan(*host_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_THAT(*after, IsEmpty());
}

TEST_F(DnfPluginTest, NeedsRestartingDecidesTheReboot) {
  Publish({"kcau-test-hello-1.0", "kcau-test-kernelish-1.0"});
  InstallInRoot("kcau-test-hello kcau-test-kernelish");
  Publish({"kcau-test-hello-1.1", "kcau-test-kernelish-1.1"});

  StatusOr<InstallResult> installed = Make({{"backend", "dnf"}})->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles,
              UnorderedElementsAre("kcau-test-hello 1.1-1", "kcau-test-kernelish 1.1-1"));
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->reboot_required_by, ElementsAre("kcau-test-kernelish"));
  EXPECT_THAT(host_->commands().back(), HasSubstr("needs-restarting -r"));
}

TEST_F(DnfPluginTest, SecurityOnlyAndExcludeNarrowWhatIsInstalled) {
  Publish({"kcau-test-hello-1.0", "kcau-test-kernelish-1.0"});
  InstallInRoot("kcau-test-hello kcau-test-kernelish");
  Publish({"kcau-test-hello-1.1", "kcau-test-kernelish-1.1"}, /*advisory=*/true);

  std::unique_ptr<Plugin> security = Make({{"backend", "dnf"}, {"securityOnly", "true"}});
  StatusOr<std::vector<std::string>> found = security->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-kernelish 1.1-1"));

  std::unique_ptr<Plugin> excluding = Make({{"backend", "dnf"}, {"exclude", "*kernel*"}});
  StatusOr<InstallResult> installed = excluding->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-hello 1.1-1"));
  EXPECT_EQ(Installed("kcau-test-hello"), "1.1-1");
  EXPECT_EQ(Installed("kcau-test-kernelish"), "1.0-1");
}

TEST_F(DnfPluginTest, AFailingScriptletIsAnErrorWithRpmsLastLines) {
  Publish({"kcau-test-broken-1.0"});
  InstallInRoot("kcau-test-broken");
  Publish({"kcau-test-broken-1.1"});

  StatusOr<InstallResult> installed = Make({{"backend", "dnf"}})->Install(*host_);
  ASSERT_FALSE(installed.ok());
  EXPECT_THAT(installed.status().message(), HasSubstr("dnf -y upgrade\" failed (exit 1)"));
  EXPECT_THAT(installed.status().message(),
              HasSubstr("kcau-test-broken: cannot configure the frobnicator"));
  EXPECT_EQ(Installed("kcau-test-broken"), "1.0-1");
}

TEST_F(DnfPluginTest, RollingUpgradeIsADistroSync) {
  Publish({"kcau-test-hello-1.0"});
  InstallInRoot("kcau-test-hello");
  Publish({"kcau-test-hello-1.1"});

  std::unique_ptr<Plugin> rolling = Make({{"backend", "dnf"}}, /*rolling=*/true);
  StatusOr<std::vector<std::string>> found = rolling->Scan(*host_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("kcau-test-hello 1.1-1"));
  StatusOr<InstallResult> installed = rolling->Install(*host_);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_THAT(installed->titles, ElementsAre("kcau-test-hello 1.1-1"));
  EXPECT_EQ(Installed("kcau-test-hello"), "1.1-1");
  bool synced = false;
  for (const std::string& command : host_->commands()) {
    synced = synced || command == "dnf -y distro-sync";
  }
  EXPECT_TRUE(synced);
}

}  // namespace
}  // namespace kcau::agent
