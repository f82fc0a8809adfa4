// Parsing what apt, dpkg and dnf print, on output captured from real runs
// (tests/testdata/agent/README.md says how each was made), and the failure messages built
// from it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "agent/plugins/apt_output.h"
#include "agent/plugins/dnf_output.h"
#include "agent/plugins/host_command.h"
#include "agent/plugins/image_updates.h"

namespace kcau::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string Captured(const std::string& name) {
  std::ifstream in(std::string(KCAU_SOURCE_DIR) + "/tests/testdata/agent/" + name);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(AptOutputTest, SimulatedUpgradeListsNewVersionsAndTellsTheSecurityArchive) {
  std::vector<PackageUpdate> updates = ParseAptSimulation(Captured("apt-get-s-upgrade.txt"));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0], (PackageUpdate{.name = "kcau-test-hello",
                                       .new_version = "1.1",
                                       .install_spec = "kcau-test-hello=1.1",
                                       .security = false}));
  EXPECT_EQ(updates[1], (PackageUpdate{.name = "kcau-test-kernelish",
                                       .new_version = "1.1",
                                       .install_spec = "kcau-test-kernelish=1.1",
                                       .security = true}));
}

TEST(AptOutputTest, InstLinesOfEveryShape) {
  struct Case {
    std::string line;
    std::string name, version;
    bool security;
  };
  for (const Case& c : std::vector<Case>{
           {"Inst libssl3 [3.0.11-1~deb12u2] (3.0.15-1~deb12u1 Debian-Security:12/stable-security "
            "[amd64])",
            "libssl3", "3.0.15-1~deb12u1", true},
           {"Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable, "
            "Debian-Security:12/stable-security [all])",
            "tzdata", "2025b-0+deb12u1", true},
           {"Inst libc6:i386 [2.36-9] (2.36-9+deb12u4 Debian:12.5/stable [i386])", "libc6:i386",
            "2.36-9+deb12u4", false},
           {"Inst openssl (3.0.13-0ubuntu3.1 Ubuntu:24.04/noble-security [amd64]) []", "openssl",
            "3.0.13-0ubuntu3.1", true},
           {"Inst linux-image-amd64 [6.1.76-1] (6.1.90-1 Debian:12.5/stable-updates [amd64])",
            "linux-image-amd64", "6.1.90-1", false},
       }) {
    std::vector<PackageUpdate> updates = ParseAptSimulation("Conf x (1 y [all])\n" + c.line);
    ASSERT_EQ(updates.size(), 1u) << c.line;
    EXPECT_EQ(updates[0].name, c.name);
    EXPECT_EQ(updates[0].new_version, c.version);
    EXPECT_EQ(updates[0].security, c.security) << c.line;
  }
}

TEST(AptOutputTest, RebootRequiredPackagesOnceEach) {
  EXPECT_THAT(ParseRebootRequiredPackages(Captured("reboot-required.pkgs")),
              ElementsAre("kcau-test-kernelish"));
  EXPECT_THAT(ParseRebootRequiredPackages("a\n\nb\na\n  c \n"), ElementsAre("a", "b", "c"));
}

TEST(FailureOutputTest, ADpkgFailureKeepsItsErrorLinesAndTail) {
  std::string said = FailureOutput(Captured("apt-get-upgrade-postinst-fails.txt"));
  EXPECT_THAT(said, HasSubstr("kcau-test-broken: cannot configure the frobnicator"));
  EXPECT_THAT(said, HasSubstr("E: Sub-process /usr/bin/dpkg returned an error code (1)"));
  EXPECT_THAT(said, Not(StartsWith("Reading package lists")));  // the first lines go
}

TEST(FailureOutputTest, AnRpmErrorFarAboveTheTailIsKept) {
  std::string said = FailureOutput(Captured("dnf-upgrade-pre-fails.txt"));
  EXPECT_THAT(said, StartsWith("error: lua script failed"));
  EXPECT_THAT(said, HasSubstr("cannot configure the frobnicator"));
  EXPECT_THAT(said, HasSubstr("Error: Transaction failed"));
}

TEST(FailureOutputTest, TailIsTwentyLinesAndFourKibAtMost) {
  std::string output;
  for (int i = 1; i <= 100; ++i) output += "line " + std::to_string(i) + "\n";
  std::string tail = OutputTail(output);
  EXPECT_THAT(tail, StartsWith("line 81\n"));
  EXPECT_THAT(tail, ::testing::EndsWith("line 100"));
  EXPECT_EQ(OutputTail(std::string(10000, 'x')).size(), 4096u);
  EXPECT_EQ(OutputTail("only\n\n"), "only");
  EXPECT_EQ(OutputTail(""), "");
  EXPECT_EQ(FailureOutput(std::string(3000, 'e') + "\n" + std::string(3000, 'x')).size(), 4096u);
}

TEST(DnfOutputTest, CheckUpdateListsNewVersions) {
  std::vector<PackageUpdate> updates =
      ParseDnfCheckUpdate(Captured("dnf-check-update.txt"), /*security=*/false);
  EXPECT_THAT(UpdateTitles(updates), ElementsAre("kcau-test-broken 1.1-1", "kcau-test-hello 1.1-1",
                                                 "kcau-test-kernelish 1.1-1"));
  EXPECT_EQ(updates[1].install_spec, "kcau-test-hello-1.1-1.noarch");
  std::vector<PackageUpdate> security =
      ParseDnfCheckUpdate(Captured("dnf-check-update-security.txt"), /*security=*/true);
  ASSERT_EQ(security.size(), 1u);
  EXPECT_EQ(UpdateTitle(security[0]), "kcau-test-kernelish 1.1-1");
  EXPECT_TRUE(security[0].security);
}

TEST(DnfOutputTest, CheckUpdateWrappedNamesEpochsAndObsoletes) {
  // Composed in check-update's layout (a name too long for its column wraps).
  std::string output =
      "\n"
      "a-package-name-longer-than-the-column-allows.x86_64\n"
      "                               2.0-3.fc40               updates\n"
      "shadow-utils.x86_64            2:4.15.1-2.fc40          updates\n"
      "Obsoleting Packages\n"
      "grub2-tools.x86_64             1:2.06-120.fc40          updates\n";
  std::vector<PackageUpdate> updates = ParseDnfCheckUpdate(output, false);
  EXPECT_THAT(UpdateTitles(updates),
              ElementsAre("a-package-name-longer-than-the-column-allows 2.0-3.fc40",
                          "shadow-utils 2:4.15.1-2.fc40"));
  EXPECT_EQ(updates[1].install_spec, "shadow-utils-2:4.15.1-2.fc40.x86_64");
}

TEST(DnfOutputTest, TransactionTableOfADistroSync) {
  EXPECT_THAT(UpdateTitles(ParseDnfTransaction(Captured("dnf-distro-sync-assumeno.txt"))),
              ElementsAre("kcau-test-hello 1.1-1"));
  std::string table =
      "Upgrading:\n"
      " glibc            x86_64   2.39-17.fc40    updates   2.2 M\n"
      "Installing dependencies:\n"
      " a-very-long-dependency-name-indeed\n"
      "                  noarch   1.0-1.fc40      updates    10 k\n"
      "Removing:\n"
      " old-thing        noarch   0.9-1.fc39      @System    1 k\n"
      "\n"
      "Transaction Summary\n";
  EXPECT_THAT(UpdateTitles(ParseDnfTransaction(table)),
              ElementsAre("glibc 2.39-17.fc40", "a-very-long-dependency-name-indeed 1.0-1.fc40"));
}

TEST(DnfOutputTest, NeedsRestartingVerdicts) {
  using Verdict = NeedsRestarting::Verdict;
  NeedsRestarting reboot = ParseNeedsRestarting(Captured("dnf-needs-restarting-reboot.txt"), 1);
  EXPECT_EQ(reboot.verdict, Verdict::kReboot);
  EXPECT_THAT(reboot.packages, ElementsAre("kcau-test-kernelish"));
  EXPECT_EQ(ParseNeedsRestarting(Captured("dnf-needs-restarting-none.txt"), 0).verdict,
            Verdict::kNoReboot);
  EXPECT_EQ(ParseNeedsRestarting(Captured("dnf-needs-restarting-missing.txt"), 1).verdict,
            Verdict::kUnavailable);
  EXPECT_EQ(ParseNeedsRestarting("Error: rpmdb open failed\n", 1).verdict, Verdict::kUnknown);
}

TEST(DnfOutputTest, NewestKernelFromRpmLast) {
  EXPECT_EQ(NewestKernel("kernel-core-6.8.5-301.fc40.x86_64      Tue 01 Dec 2026\n"
                         "kernel-core-6.8.4-300.fc40.x86_64      Mon 30 Nov 2026\n"
                         "package kernel is not installed\n"),
            "6.8.5-301.fc40.x86_64");
  EXPECT_EQ(NewestKernel("kernel-3.10.0-1160.el7.x86_64   Tue 01 Dec 2026\n"),
            "3.10.0-1160.el7.x86_64");
  EXPECT_EQ(NewestKernel("package kernel-core is not installed\n"), std::nullopt);
}

TEST(ImageOutputTest, TitlesAndStagedDeployments) {
  EXPECT_EQ(ImageUpdateTitle("AvailableUpdate:\n        Version: 40.20240416.3.0 (2024-04-29)\n"
                             "         Commit: 3f0a\n"),
            "OS image 40.20240416.3.0");
  EXPECT_EQ(ImageUpdateTitle("Update available for: docker://quay.io/x/y:latest\n"
                             "  Digest: sha256:abcd\n"),
            "OS image sha256:abcd");
  EXPECT_EQ(ImageUpdateTitle("something else\n"), "OS image update");
  EXPECT_EQ(*BootcHasStagedDeployment(R"({"status":{"staged":{"image":{}},"booted":{}}})"), true);
  EXPECT_EQ(*BootcHasStagedDeployment(R"({"status":{"staged":null,"booted":{}}})"), false);
  EXPECT_FALSE(BootcHasStagedDeployment("not json").ok());
}

TEST(PackageUpdateTest, FilterAndKernelNames) {
  PackageFilter filter{.include = {"lib*", "openssl"}, .exclude = {"libc6*"}};
  EXPECT_TRUE(filter.Selects({.name = "libssl3"}));
  EXPECT_TRUE(filter.Selects({.name = "openssl"}));
  EXPECT_FALSE(filter.Selects({.name = "libc6:i386"}));
  EXPECT_FALSE(filter.Selects({.name = "curl"}));
  PackageFilter security{.security_only = true};
  EXPECT_FALSE(security.Selects({.name = "curl"}));
  EXPECT_TRUE(security.Selects({.name = "curl", .security = true}));
  EXPECT_FALSE(PackageFilter{}.Narrows());
  for (const char* name : {"linux-image-6.1.0-18-amd64", "kernel-core", "intel-microcode",
                           "microcode_ctl", "linux-firmware", "firmware-misc-nonfree"}) {
    EXPECT_TRUE(IsKernelOrFirmwarePackage(name)) << name;
  }
  for (const char* name : {"openssl", "kcau-test-kernelish", "libkernel-dev"}) {
    EXPECT_FALSE(IsKernelOrFirmwarePackage(name)) << name;
  }
}

}  // namespace
}  // namespace kcau::agent
