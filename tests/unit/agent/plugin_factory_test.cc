// MakePlugin's refusals, the hotfix manifest, the back-end choice, and what runs where the
// test machine has no real tool (rpm-ostree, bootc, dnf without needs-restarting, a timeout)
// on a ScriptedHost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/plugin.h"
#include "agent/plugins/hotfix_manifest.h"
#include "agent/plugins/packages_plugin.h"
#include "tests/unit/agent/scripted_host.h"

namespace kcau::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ScriptedHost;

std::unique_ptr<Plugin> Make(const std::string& name,
                             const std::map<std::string, std::string>& arguments,
                             const PluginOptions& options = {}) {
  StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin(name, arguments, options);
  EXPECT_TRUE(plugin.ok()) << plugin.status().ToString();
  return plugin.ok() ? std::move(plugin.value()) : nullptr;
}

TEST(MakePluginTest, RefusesWhatItDoesNotKnowNamingIt) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> arguments;
    bool rolling;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"wsus",
            {},
            false,
            "unknown plug-in \"wsus\" (known: packages, reboot-required, script)"},
           {"packages",
            {{"incude", "x"}},
            false,
            "plug-in packages: unknown argument \"incude\" (known: backend, timeoutMinutes, "
            "include, exclude, securityOnly, includeRecommended, targetRelease)"},
           {"packages",
            {{"backend", "yum"}},
            false,
            "plug-in packages: argument \"backend\": \"yum\" is neither \"apt\" nor \"dnf\""},
           {"packages",
            {{"timeoutMinutes", "soon"}},
            false,
            "argument \"timeoutMinutes\": \"soon\" is not a number of minutes above 0 and at most "
            "1440"},
           {"packages", {{"timeoutMinutes", "0"}}, false, "argument \"timeoutMinutes\""},
           {"packages", {{"timeoutMinutes", "1441"}}, false, "argument \"timeoutMinutes\""},
           {"packages",
            {{"securityOnly", "yes"}},
            false,
            "argument \"securityOnly\": \"yes\" is neither \"true\" nor \"false\""},
           {"packages", {{"includeRecommended", "1"}}, false, "argument \"includeRecommended\""},
           {"packages",
            {{"include", "openssl,,curl"}},
            false,
            "argument \"include\": an empty item in \"openssl,,curl\""},
           {"packages",
            {{"exclude", "a;rm -rf /"}},
            false,
            "argument \"exclude\": \"a;rm -rf /\" may hold only letters, digits and"},
           {"packages",
            {{"targetRelease", "trixie"}},
            false,
            "argument \"targetRelease\": applies only with osRollingUpgrade"},
           {"packages", {{"targetRelease", "tri xie"}}, true, "argument \"targetRelease\""},
           {"packages",
            {{"include", "openssl"}},
            true,
            "argument \"include\": does not apply with osRollingUpgrade"},
           {"packages", {{"securityOnly", "true"}}, true, "argument \"securityOnly\": does not"},
           {"reboot-required",
            {{"path", "/x"}},
            false,
            "plug-in reboot-required: unknown argument \"path\" (known: sentinel)"},
           {"reboot-required",
            {{"sentinel", "var/run/x"}},
            false,
            "argument \"sentinel\": \"var/run/x\" is not an absolute path"},
           {"script", {}, false, "plug-in script: argument \"path\": is required"},
           {"script",
            {{"path", "hotfixes"}},
            false,
            "argument \"path\": \"hotfixes\" is not an absolute path on the host"},
           {"script", {{"path", "/srv/../etc"}}, false, "argument \"path\""},
           {"script",
            {{"path", "/srv/h"}, {"disableAclChecks", "maybe"}},
            false,
            "argument \"disableAclChecks\""},
           {"script",
            {{"path", "/srv/h"}, {"DisableAclChecks", "true"}},
            false,
            "unknown argument \"DisableAclChecks\""},
       }) {
    StatusOr<std::unique_ptr<Plugin>> plugin =
        MakePlugin(c.name, c.arguments, PluginOptions{.os_rolling_upgrade = c.rolling});
    ASSERT_FALSE(plugin.ok()) << c.name << " " << c.error;
    EXPECT_EQ(plugin.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(plugin.status().message(), HasSubstr(c.error));
  }
}

TEST(MakePluginTest, AcceptsWhatItKnows) {
  for (const auto& [name, arguments] :
       std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {"packages", {}},
           {"packages",
            {{"backend", "apt"},
             {"timeoutMinutes", "45"},
             {"include", "openssl, lib*"},
             {"exclude", "linux-image-*"},
             {"securityOnly", "true"},
             {"includeRecommended", "false"}}},
           {"reboot-required", {{"sentinel", "/run/reboot-needed"}}},
           {"script", {{"path", "/srv/hotfixes/"}, {"disableAclChecks", "true"}}}}) {
    StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin(name, arguments, {});
    ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
    EXPECT_EQ((*plugin)->Name(), name);
  }
  EXPECT_TRUE(MakePlugin("packages", {{"targetRelease", "trixie"}},
                         PluginOptions{.os_rolling_upgrade = true})
                  .ok());
  // A huge value is not copied whole into the message.
  StatusOr<std::unique_ptr<Plugin>> huge =
      MakePlugin("packages", {{"backend", std::string(16384, 'x')}}, {});
  ASSERT_FALSE(huge.ok());
  EXPECT_LT(huge.status().message().size(), 300u);
}

TEST(HotfixManifestTest, ReadsEntriesWithDefaults) {
  StatusOr<std::vector<HotfixEntry>> entries = ParseHotfixManifest(
      "- script: 01-a.sh\n"
      "- script: 02-b.sh\n  installerTimeoutMinutes: 2.5\n  reboot: true\n");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  EXPECT_THAT(*entries, ElementsAre(HotfixEntry{.script = "01-a.sh"},
                                    HotfixEntry{.script = "02-b.sh",
                                                .timeout = std::chrono::milliseconds(150'000),
                                                .reboot = true}));
  EXPECT_TRUE(ParseHotfixManifest("[]").ok());
}

TEST(HotfixManifestTest, RefusesBadManifestsNamingTheItemAndField) {
  for (const auto& [yaml, error] : std::vector<std::pair<std::string, std::string>>{
           {"script: a.sh", "kcau-hotfix.yaml: not a list of scripts"},
           {"- [a.sh]", "item 1: not a map"},
           {"- reboot: true", "item 1: \"script\" is missing"},
           {"- script: ../etc/x", "item 1: \"script\": \"../etc/x\" is not the name of a file"},
           {"- script: a.sh\n- script: a.sh", "item 2: \"script\": \"a.sh\" is listed twice"},
           {"- script: a.sh\n  installerTimeoutMinutes: -1", "item 1: \"installerTimeoutMinutes\""},
           {"- script: a.sh\n  reboot: sometimes", "item 1: \"reboot\": \"sometimes\" is neither"},
           {"- script: a.sh\n  rebot: true", "item 1: unknown field \"rebot\""},
           {"- script: [", "not YAML"},
       }) {
    StatusOr<std::vector<HotfixEntry>> entries = ParseHotfixManifest(yaml);
    ASSERT_FALSE(entries.ok()) << yaml;
    EXPECT_THAT(entries.status().message(), HasSubstr(error)) << yaml;
  }
}

TEST(PackageBackendTest, ChosenFromTheHost) {
  struct Case {
    std::vector<std::string> files;
    std::map<std::string, std::string> arguments;
    std::string first_command;  // what Scan runs first
  };
  for (const Case& c : std::vector<Case>{
           {{"/usr/bin/apt-get", "/usr/bin/dnf"}, {}, "apt-get"},
           {{"/usr/bin/dnf"}, {}, "dnf"},
           {{"/usr/bin/apt-get"}, {{"backend", "dnf"}}, "dnf"},
           {{"/run/ostree-booted", "/usr/bin/rpm-ostree", "/usr/bin/bootc", "/usr/bin/dnf"},
            {},
            "rpm-ostree upgrade --check"},
           {{"/run/ostree-booted", "/usr/bin/bootc"}, {}, "bootc upgrade --check"},
       }) {
    ScriptedHost host;
    for (const std::string& file : c.files) host.AddFile(file);
    StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin("packages", c.arguments, {});
    ASSERT_TRUE(plugin.ok());
    (void)(*plugin)->Scan(host);  // unscripted: fails after its first command
    ASSERT_FALSE(host.commands().empty());
    EXPECT_THAT(host.commands()[0], ::testing::StartsWith(c.first_command));
  }
  ScriptedHost bare;
  StatusOr<std::unique_ptr<Plugin>> plugin = MakePlugin("packages", {}, {});
  StatusOr<std::vector<std::string>> none = (*plugin)->Scan(bare);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("name one with the argument \"backend\""));
}

TEST(ImageUpdatesTest, RpmOstreeStagesADeploymentThatNeedsAReboot) {
  ScriptedHost host;
  host.AddFile("/run/ostree-booted");
  host.AddFile("/usr/bin/rpm-ostree");
  host.Answer("rpm-ostree upgrade --check", 0,
              "AvailableUpdate:\n        Version: 40.20240416.3.0 (2024-04-29T21:07:48Z)\n"
              "         Commit: 3f0a9ab1\n");
  host.Answer("rpm-ostree upgrade --download-only", 0, "");
  host.Answer("rpm-ostree upgrade --unchanged-exit-77", 0, "Staging deployment...done\n");
  std::unique_ptr<Plugin> plugin = Make("packages", {}, PluginOptions{.os_rolling_upgrade = true});
  EXPECT_THAT(*plugin->Scan(host), ElementsAre("OS image 40.20240416.3.0"));
  EXPECT_THAT(plugin->Stage(host)->titles, ElementsAre("OS image 40.20240416.3.0"));
  StatusOr<InstallResult> installed = plugin->Install(host);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_TRUE(installed->firmware_or_kernel_changed);
  EXPECT_THAT(installed->titles, ElementsAre("OS image 40.20240416.3.0"));

  ScriptedHost current;
  current.AddFile("/run/ostree-booted");
  current.AddFile("/usr/bin/rpm-ostree");
  current.Answer("rpm-ostree upgrade --check", 77, "No updates available.\n");
  current.Answer("rpm-ostree upgrade --unchanged-exit-77", 77, "No upgrade available.\n");
  std::unique_ptr<Plugin> again = Make("packages", {});
  EXPECT_THAT(*again->Scan(current), IsEmpty());
  StatusOr<InstallResult> nothing = again->Install(current);
  ASSERT_TRUE(nothing.ok()) << nothing.status().ToString();
  EXPECT_FALSE(nothing->reboot_required);
}

TEST(ImageUpdatesTest, BootcQueuesAndAsksStatusForTheStagedDeployment) {
  ScriptedHost host;
  host.AddFile("/run/ostree-booted");
  host.AddFile("/usr/bin/bootc");
  host.Answer("bootc upgrade --check", 0,
              "Update available for: docker://quay.io/example/os:stable\n  Version: 41.1\n"
              "  Digest: sha256:0123\n");
  host.Answer("bootc upgrade", 0, "Queued for next boot: quay.io/example/os:stable\n");
  host.Answer(
      "bootc status --format=json", 0,
      R"({"apiVersion":"org.containers.bootc/v1","status":{"staged":{"image":{}},"booted":{}}})");
  std::unique_ptr<Plugin> plugin = Make("packages", {});
  StatusOr<InstallResult> installed = plugin->Install(host);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_TRUE(installed->reboot_required);
  EXPECT_THAT(installed->titles, ElementsAre("OS image 41.1"));

  ScriptedHost current;
  current.AddFile("/run/ostree-booted");
  current.AddFile("/usr/bin/bootc");
  current.Answer("bootc upgrade --check", 0, "No changes in: quay.io/example/os:stable\n");
  EXPECT_THAT(*Make("packages", {})->Scan(current), IsEmpty());
}

TEST(ImageUpdatesTest, NarrowingAndTargetReleaseAreRefusedOnImageHosts) {
  ScriptedHost host;
  host.AddFile("/run/ostree-booted");
  host.AddFile("/usr/bin/rpm-ostree");
  StatusOr<std::vector<std::string>> narrowed =
      (*MakePlugin("packages", {{"include", "openssl"}}, {}))->Scan(host);
  ASSERT_FALSE(narrowed.ok());
  EXPECT_THAT(narrowed.status().message(), HasSubstr("cannot apply on an image-based host"));
  StatusOr<std::vector<std::string>> release =
      (*MakePlugin("packages", {{"targetRelease", "41"}},
                   PluginOptions{.os_rolling_upgrade = true}))
          ->Scan(host);
  ASSERT_FALSE(release.ok());
  EXPECT_THAT(release.status().message(), HasSubstr("\"targetRelease\": not supported"));
  EXPECT_THAT(host.commands(), IsEmpty());
}

TEST(DnfPackagesTest, WithoutNeedsRestartingTheNewestKernelDecides) {
  for (const auto& [running, reboot] : std::vector<std::pair<std::string, bool>>{
           {"6.8.4-300.fc40.x86_64", true}, {"6.8.5-301.fc40.x86_64", false}}) {
    ScriptedHost host;
    host.Answer("dnf -q check-update --refresh", 100,
                "\nkernel-core.x86_64     6.8.5-301.fc40     updates\n");
    host.Answer("dnf -y upgrade", 0, "Complete!\n");
    host.Answer("dnf -q repoquery --installed --qf %{name} %{evr} kernel-core", 0,
                "kernel-core 6.8.4-300.fc40\nkernel-core 6.8.5-301.fc40\n");
    host.Answer("dnf -q needs-restarting -r", 1,
                "No such command: needs-restarting. Please use /usr/bin/dnf --help\n");
    host.Answer("rpm -q --last kernel-core kernel", 1,
                "kernel-core-6.8.5-301.fc40.x86_64   Tue 01 Dec 2026 10:00:00 AM UTC\n"
                "kernel-core-6.8.4-300.fc40.x86_64   Mon 30 Nov 2026 10:00:00 AM UTC\n"
                "package kernel is not installed\n");
    host.Answer("uname -r", 0, running + "\n");
    StatusOr<InstallResult> installed =
        (*MakePlugin("packages", {{"backend", "dnf"}}, {}))->Install(host);
    ASSERT_TRUE(installed.ok()) << installed.status().ToString();
    EXPECT_THAT(installed->titles, ElementsAre("kernel-core 6.8.5-301.fc40"));
    EXPECT_EQ(installed->reboot_required, reboot) << running;
    EXPECT_TRUE(installed->firmware_or_kernel_changed);
  }
}

TEST(AptPackagesTest, ATimeoutSaysSoWithTheLastOutput) {
  ScriptedHost host;
  host.Answer("apt-get -q -o DPkg::Lock::Timeout=120 -o APT::Update::Error-Mode=any update", -1,
              "Get:1 http://deb.debian.org/debian bookworm InRelease\n0% [Waiting for headers]",
              true);
  StatusOr<std::vector<std::string>> found =
      (*MakePlugin("packages", {{"backend", "apt"}, {"timeoutMinutes", "5"}}, {}))->Scan(host);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(found.status().message(), HasSubstr("update\" timed out after 5 minutes:\n"));
  EXPECT_THAT(found.status().message(), HasSubstr("0% [Waiting for headers]"));
}

TEST(AptPackagesTest, OptionsReachApt) {
  ScriptedHost host;
  const std::string apt =
      "apt-get -q -o DPkg::Lock::Timeout=120 -o APT::Update::Error-Mode=any "
      "-t trixie --no-install-recommends ";
  host.Answer(apt + "update", 0, "");
  host.Answer(apt + "-s full-upgrade", 0,
              "Inst base-files [12.4] (13.8 Debian:13/testing [amd64])\n");
  std::unique_ptr<Plugin> plugin =
      Make("packages",
           {{"backend", "apt"}, {"targetRelease", "trixie"}, {"includeRecommended", "false"}},
           PluginOptions{.os_rolling_upgrade = true});
  StatusOr<std::vector<std::string>> found = plugin->Scan(host);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_THAT(*found, ElementsAre("base-files 13.8"));
}

}  // namespace
}  // namespace kcau::agent
