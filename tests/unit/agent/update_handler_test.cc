// The agent's request handling as a state machine: a signed request is installed once and
// rebooted once, whatever instant the agent is killed at; a request not signed for this node
// is refused in the result; scans change nothing. The host here is an in-memory one (files,
// boot ID, reboots counted) and the plug-ins count their calls: the real plug-ins and hosts
// are tested against the real apt, dpkg and dnf in their own tests.
#include "agent/update_handler.h"

#include <gtest/gtest.h>

#include "tests/unit/agent/test_keys.h"

namespace kcau::agent {
namespace {

class MemoryHost : public Host {
 public:
  StatusOr<CommandResult> Run(const Command& command) override {
    if (command.argv.size() == 2 && command.argv[0] == "systemctl") {
      return CommandResult{
          0, false,
          "systemd " + std::to_string(systemd) + " (" + std::to_string(systemd) + ")\n+PAM\n"};
    }
    return NotFoundError(command.argv[0] + ": not on this host");
  }
  StatusOr<std::string> ReadFile(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return NotFoundError(path);
    return it->second;
  }
  Status WriteFile(const std::string& path, const std::string& content, uint32_t) override {
    files[path] = content;
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override {
    files.erase(path);
    return Status::Ok();
  }
  StatusOr<FileInfo> Stat(const std::string& path) override {
    FileInfo info;
    info.exists = files.count(path) > 0;
    return info;
  }
  StatusOr<std::vector<std::string>> ListDirectory(const std::string&) override {
    return std::vector<std::string>{};
  }
  StatusOr<std::string> BootId() override { return boot_id; }
  Status Reboot(RebootKind kind) override {
    reboots.push_back(kind);
    return Status::Ok();
  }
  // What a reboot does to the host: a new boot ID (the agent is killed meanwhile).
  void Reboots() { boot_id += "+"; }

  std::map<std::string, std::string> files;
  std::string boot_id = "boot-1";
  std::vector<RebootKind> reboots;
  int systemd = 252;
};

struct PluginCalls {
  int scans = 0, stages = 0, installs = 0;
};

class CountingPlugin : public Plugin {
 public:
  CountingPlugin(std::string name, PluginCalls& calls, bool reboot, bool fail, bool kernel)
      : name_(std::move(name)), calls_(calls), reboot_(reboot), fail_(fail), kernel_(kernel) {}
  std::string Name() const override { return name_; }
  StatusOr<std::vector<std::string>> Scan(Host&) override {
    ++calls_.scans;
    return std::vector<std::string>{"hello 1.1-1"};
  }
  StatusOr<StageResult> Stage(Host&) override {
    ++calls_.stages;
    return StageResult{{"hello 1.1-1"}};
  }
  StatusOr<InstallResult> Install(Host&) override {
    ++calls_.installs;
    if (fail_) return InternalError("dpkg: error processing package hello (--configure)");
    InstallResult r;
    r.titles = {"hello 1.1-1"};
    r.reboot_required = reboot_;
    r.firmware_or_kernel_changed = kernel_;
    return r;
  }

 private:
  std::string name_;
  PluginCalls& calls_;
  bool reboot_, fail_, kernel_;
};

class UpdateHandlerTest : public ::testing::Test {
 protected:
  UpdateHandlerTest()
      : keys_(testing::GenerateTestKeyPair()),
        signing_(RequestSigningKey::FromPem(keys_.private_pem, "test").value()),
        verify_(RequestVerifyKeys::FromPem(keys_.public_pem, "test").value()),
        journal_(host_, "update"),
        handler_(
            host_, journal_, "n1", verify_,
            [this](const std::string& name, const std::map<std::string, std::string>&,
                   const PluginOptions&) -> StatusOr<std::unique_ptr<Plugin>> {
              if (name == "nope") return InvalidArgumentError("unknown plug-in \"nope\"");
              return std::unique_ptr<Plugin>(std::make_unique<CountingPlugin>(
                  name, calls_[name], reboot_, failing_ == name, kernel_));
            },
            [this](const AgentResult& r) {
              results_.push_back(r);
              annotations_[kResultAnnotation] = EncodeAgentResult(r);
              return Status::Ok();
            }) {}

  // Writes a request as the controller does, signed with its key for `node`.
  void Request(const std::string& token, const std::string& plugins = R"([{"name":"packages"}])",
               const std::string& node = "n1", const Annotations& extra = {}) {
    Annotations request = extra;
    request[kRequestAnnotation] = token;
    request[kPluginsAnnotation] = plugins;
    request[kRebootModeAnnotation] = reboot_mode_;
    for (const auto& [k, v] : request) annotations_[k] = v;
    for (const char* key :
         {kForceRebootAnnotation, kModeAnnotation, kOptionsAnnotation, kRescanRequestAnnotation}) {
      if (!request.count(key)) annotations_.erase(key);
    }
    for (const auto& [k, v] : request) annotations_[k] = v;
    annotations_[kUpdateSignatureAnnotation] =
        signing_.Sign(RequestKind::kUpdate, node, request).value();
  }

  AgentResult Last() { return results_.back(); }

  testing::TestKeyPair keys_;
  RequestSigningKey signing_;
  RequestVerifyKeys verify_;
  MemoryHost host_;
  Journal journal_;
  std::map<std::string, PluginCalls> calls_;
  bool reboot_ = true;
  bool kernel_ = false;
  std::string failing_;
  std::string reboot_mode_ = "full";
  std::vector<AgentResult> results_;
  Annotations annotations_;
  UpdateHandler handler_;
};

TEST_F(UpdateHandlerTest, InstallsOnceAndRebootsOnceWhateverHowOftenItIsAsked) {
  Request("run/u/n1/1");
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 1);
  ASSERT_EQ(host_.reboots.size(), 1u);
  EXPECT_EQ(host_.reboots[0], RebootKind::kFull);
  EXPECT_EQ(Last().state, AgentState::kInstalled);
  EXPECT_TRUE(Last().reboot_required);
  EXPECT_EQ(Last().reboot_kind, "full");
  EXPECT_EQ(Last().titles, std::vector<std::string>{"hello 1.1-1"});
  EXPECT_EQ(results_[1].staged, std::vector<std::string>{"hello 1.1-1"}) << "staging reported";
  EXPECT_EQ(Last().staged, std::vector<std::string>{"hello 1.1-1"}) << "and kept in the result";

  // The same Node event again before the reboot lands, then after it: nothing more.
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  host_.Reboots();
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 1);
  EXPECT_EQ(host_.reboots.size(), 2u) << "asked again only while the old boot still ran";
  EXPECT_EQ(journal_.Load().value()->step, JournalStep::kDone);
}

// Killed after the journal said "installing": the next agent finishes that install; it is
// the only install of the request, and the reboot follows once.
TEST_F(UpdateHandlerTest, KilledMidInstallFinishesWithoutASecondInstall) {
  Request("run/u/n1/1");
  ASSERT_TRUE(journal_.Save({"run/u/n1/1", JournalStep::kInstalling}).ok());
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  host_.Reboots();
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 1);
  EXPECT_EQ(host_.reboots.size(), 1u);
  EXPECT_EQ(journal_.Load().value()->step, JournalStep::kDone);
}

// Killed after recording the reboot but before asking for it: the boot ID has not changed,
// so the reboot never happened and is asked for now, once.
TEST_F(UpdateHandlerTest, KilledBeforeTheRebootRebootsOnce) {
  Request("run/u/n1/1");
  JournalEntry rebooting{"run/u/n1/1", JournalStep::kRebooting, "boot-1", "full"};
  rebooting.message = EncodeAgentResult({"run/u/n1/1", AgentState::kInstalled, true, 1, ""});
  ASSERT_TRUE(journal_.Save(rebooting).ok());
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(host_.reboots.size(), 1u);
  EXPECT_EQ(calls_["packages"].installs, 0) << "installed before it was killed";
  host_.Reboots();
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(host_.reboots.size(), 1u);
}

struct RefusalCase {
  const char* name;
  std::function<void(Annotations&)> tamper;
  const char* reason;
};

TEST_F(UpdateHandlerTest, RequestsNotSignedForThisNodeAreRefusedInTheResult) {
  const std::vector<RefusalCase> cases = {
      {"unsigned", [](Annotations& a) { a.erase(kUpdateSignatureAnnotation); }, "signature"},
      {"plug-ins changed", [](Annotations& a) { a[kPluginsAnnotation] = R"([{"name":"x"}])"; },
       "signature"},
  };
  int token = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Request("t" + std::to_string(++token));
    c.tamper(annotations_);
    ASSERT_TRUE(handler_.Handle(annotations_).ok());
    EXPECT_EQ(Last().state, AgentState::kFailed);
    EXPECT_EQ(Last().message.rfind("the agent refused this request:", 0), 0u) << Last().message;
    EXPECT_NE(Last().message.find(c.reason), std::string::npos) << Last().message;
  }
  Request("t-other", R"([{"name":"packages"}])", "n2");  // signed for another node
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(Last().state, AgentState::kFailed);
  EXPECT_NE(Last().message.find("n2"), std::string::npos) << Last().message;
  EXPECT_EQ(calls_["packages"].installs, 0);
  EXPECT_TRUE(host_.reboots.empty());
}

TEST_F(UpdateHandlerTest, ScanReportsWhatAppliesAndChangesNothing) {
  Request("scan/1", R"([{"name":"packages"},{"name":"script"}])", "n1",
          {{kModeAnnotation, kScanMode}});
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(Last().state, AgentState::kScanned);
  EXPECT_EQ(Last().updates_found, 2);
  EXPECT_EQ(calls_["packages"].installs + calls_["script"].installs, 0);
  EXPECT_TRUE(host_.reboots.empty());
}

TEST_F(UpdateHandlerTest, APluginFailureIsReportedAndNothingReboots) {
  failing_ = "packages";
  Request("run/u/n1/1", R"([{"name":"packages"},{"name":"script"}])", "n1",
          {{kOptionsAnnotation, R"({"stopOnPluginFailure":true})"}});
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(Last().state, AgentState::kFailed);
  EXPECT_NE(Last().message.find("dpkg: error processing package hello"), std::string::npos)
      << Last().message;
  EXPECT_EQ(calls_["script"].installs, 0) << "stopOnPluginFailure";
  EXPECT_TRUE(host_.reboots.empty());
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 1) << "a failed request is not tried again by the agent";
}

TEST_F(UpdateHandlerTest, UnknownPluginFailsTheRequestNamingIt) {
  Request("run/u/n1/1", R"([{"name":"nope"}])");
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(Last().state, AgentState::kFailed);
  EXPECT_NE(Last().message.find("unknown plug-in \"nope\""), std::string::npos) << Last().message;
}

struct RebootCase {
  const char* name;
  std::string mode;
  int systemd;
  bool kexec;
  bool kernel;
  RebootKind want;
};

TEST_F(UpdateHandlerTest, RebootKindFollowsTheModeAndWhatTheHostOffers) {
  const std::vector<RebootCase> cases = {
      {"full", "full", 256, true, false, RebootKind::kFull},
      {"soft with systemd 254+", "soft", 256, true, false, RebootKind::kSoft},
      {"soft without soft-reboot: kexec", "soft", 252, true, false, RebootKind::kKexec},
      {"soft with neither: full", "soft", 252, false, false, RebootKind::kFull},
      {"soft but a new kernel: full", "soft", 256, true, true, RebootKind::kFull},
  };
  int token = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    host_.systemd = c.systemd;
    if (c.kexec) {
      host_.files["/usr/sbin/kexec"] = "";
    } else {
      host_.files.erase("/usr/sbin/kexec");
    }
    kernel_ = c.kernel;
    reboot_mode_ = c.mode;
    host_.reboots.clear();
    Request("r" + std::to_string(++token));
    ASSERT_TRUE(handler_.Handle(annotations_).ok());
    ASSERT_EQ(host_.reboots.size(), 1u);
    EXPECT_EQ(host_.reboots[0], c.want);
    EXPECT_EQ(Last().reboot_kind, RebootKindName(c.want));
    host_.Reboots();
  }
}

TEST_F(UpdateHandlerTest, ForceRebootRebootsWithoutUpdatesThatAskForIt) {
  reboot_ = false;
  Request("run/u/n1/1", R"([{"name":"packages"}])", "n1", {{kForceRebootAnnotation, "true"}});
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(host_.reboots.size(), 1u);
  reboot_ = false;
  Request("run/u/n1/2");
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(host_.reboots.size(), 1u) << "no update asked for one";
  EXPECT_FALSE(Last().reboot_required);
}

// A request that names its re-scan round (kRescanRequestAnnotation): back from the reboot,
// the agent begins that round itself, with no request of its own written, says in each of
// its results how the round before ended, and forces no second reboot.
TEST_F(UpdateHandlerTest, BackFromTheRebootTheNamedRescanRoundBeginsAtOnce) {
  Request("run/u/n1/1", R"([{"name":"packages"}])", "n1",
          {{kForceRebootAnnotation, "true"}, {kRescanRequestAnnotation, "run/u/n1/1/2"}});
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  ASSERT_EQ(host_.reboots.size(), 1u);
  const AgentResult first = Last();
  EXPECT_EQ(first.token, "run/u/n1/1");
  EXPECT_EQ(first.boot_id, "boot-1");
  EXPECT_TRUE(first.previous.empty());

  reboot_ = false;  // the re-scan finds nothing that needs a restart
  host_.Reboots();
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 2);
  EXPECT_EQ(host_.reboots.size(), 1u) << "forceReboot is the first round's only";
  EXPECT_EQ(Last().token, "run/u/n1/1/2");
  EXPECT_EQ(Last().state, AgentState::kInstalled);
  EXPECT_FALSE(Last().reboot_required);
  EXPECT_EQ(Last().boot_id, "boot-1+");
  ASSERT_EQ(Last().previous.size(), 1u);
  EXPECT_EQ(Last().previous[0], first);
  EXPECT_EQ(DecodeAgentResult(annotations_[kResultAnnotation]), Last()) << "survives encoding";

  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 2) << "the re-scan round, once";
  EXPECT_EQ(journal_.Load().value()->token, "run/u/n1/1/2");
  EXPECT_EQ(journal_.Load().value()->step, JournalStep::kDone);
}

// Killed in the middle of the re-scan round: the next agent finishes that round, still
// saying how the round before ended; the first round is not installed again.
TEST_F(UpdateHandlerTest, KilledMidRescanFinishesThatRound) {
  Request("run/u/n1/1", R"([{"name":"packages"}])", "n1",
          {{kRescanRequestAnnotation, "run/u/n1/1/2"}});
  const AgentResult first{"run/u/n1/1", AgentState::kInstalled, true, 1, ""};
  JournalEntry rescanning{"run/u/n1/1/2", JournalStep::kInstalling};
  rescanning.previous = EncodeAgentResult(first);
  ASSERT_TRUE(journal_.Save(rescanning).ok());
  reboot_ = false;
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(calls_["packages"].installs, 1);
  EXPECT_TRUE(host_.reboots.empty());
  EXPECT_EQ(Last().token, "run/u/n1/1/2");
  EXPECT_EQ(Last().state, AgentState::kInstalled);
  EXPECT_EQ(Last().previous, std::vector<AgentResult>{first});
}

// The re-scan token is part of what the controller signs: one written by anyone else is
// refused, and nothing is installed under it.
TEST_F(UpdateHandlerTest, ARescanTokenTheControllerDidNotSignIsRefused) {
  Request("run/u/n1/1");
  annotations_[kRescanRequestAnnotation] = "run/u/n1/1/2";
  ASSERT_TRUE(handler_.Handle(annotations_).ok());
  EXPECT_EQ(Last().state, AgentState::kFailed);
  EXPECT_NE(Last().message.find("signature"), std::string::npos) << Last().message;
  EXPECT_EQ(calls_["packages"].installs, 0);
}

}  // namespace
}  // namespace kcau::agent
