// kcau-sim's real-agent nodes without the real agent: the busybox root it prepares, the
// reboot request a root carries, and the process supervision (own kubeconfig, process group,
// no orphans, every process of the node killed with it) and the reboot cycle of
// NodeSimulator, driven by a shell script standing in for kcau-agent. The real kcau-agent in
// those roots is tests/e2e/real_agents_e2e_test.py's.
#include "sim/real_agents.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "kube/resource.h"
#include "sim/agent_root.h"
#include "sim/node_simulator.h"
#include "sim/object_store.h"

namespace kcau::sim {
namespace {

namespace fs = std::filesystem;
using kube::Json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kcau-real-agents-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(Read(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Not a zombie and not gone.
bool Alive(pid_t pid) {
  const std::string status = Read("/proc/" + std::to_string(pid) + "/status");
  return !status.empty() && status.find("State:\tZ") == std::string::npos;
}

// kcau-agent's stand-in: records its arguments and, per start, its pid and the boot ID it
// finds; asks for one soft reboot when DIR/N.ask-reboot exists; then waits to be stopped.
constexpr char kFakeAgent[] = R"sh(#!/bin/sh
root=""
prev=""
for arg in "$@"; do
  if [ "$prev" = --test-root ]; then root=$arg; fi
  prev=$arg
done
echo "$*" > "$root.args"
echo "$$ $(cat "$root/run/kcau-sim/boot_id")" >> "$root.starts"
if [ -e "$root.ask-reboot" ]; then
  rm "$root.ask-reboot"
  echo soft > "$root/run/kcau-sim/reboot"
fi
exec sleep 1000
)sh";

class RealAgentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto busybox = FindStaticBusybox();
    if (!busybox.ok()) GTEST_SKIP() << busybox.status().message();
    busybox_ = *busybox;
    fake_agent_ = scratch_.path() + "/fake-agent";
    std::ofstream(fake_agent_) << kFakeAgent;
    fs::permissions(fake_agent_, fs::perms(0755));
    roots_ = scratch_.path() + "/roots";
    fs::create_directory(roots_);
  }

  RealAgentOptions Options() const { return {fake_agent_, roots_, scratch_.path() + "/key.pem"}; }

  std::string Root(const std::string& node) const { return roots_ + "/" + node; }

  pid_t StartedPid(const std::string& node, size_t start) const {
    const auto lines = Lines(Root(node) + ".starts");
    return start < lines.size() ? std::stoi(lines[start]) : -1;
  }

  TempDir scratch_;
  std::string busybox_;
  std::string fake_agent_;
  std::string roots_;
};

TEST_F(RealAgentsTest, RootHoldsWhatTheAgentNeedsAndTheScenarioFiles) {
  const std::string root = Root("n1");
  const std::string host_file = "kcau-real-agents-test-" + std::to_string(getpid());
  ASSERT_TRUE(MakeAgentRoot(root, busybox_, "boot-1",
                            {{"/run/reboot-required", {"", 0644}},
                             {"/var/run/" + host_file, {"x", 0644}},
                             {"/opt/hotfix/01.sh", {"#!/bin/sh\n", 0755}}})
                  .ok());
  EXPECT_TRUE(fs::is_regular_file(root + "/bin/busybox"));
  for (const char* applet : {"sh", "echo", "cat", "touch", "id", "sleep", "test", "mkdir"}) {
    EXPECT_EQ(fs::read_symlink(root + "/bin/" + applet), "busybox") << applet;
  }
  EXPECT_NE(Read(root + "/etc/passwd").find("root:x:0:0:"), std::string::npos);
  EXPECT_NE(Read(root + "/etc/passwd").find(":x:1000:1000:"), std::string::npos);
  EXPECT_EQ(fs::read_symlink(root + "/var/run"), "/run");
  EXPECT_TRUE(fs::is_directory(root + "/var/lib/kcau"));
  EXPECT_EQ(fs::status(root + "/tmp").permissions(), fs::perms(01777));
  EXPECT_EQ(fs::status(root).permissions(), fs::perms(0755));
  EXPECT_EQ(Read(root + "/run/kcau-sim/boot_id"), "boot-1\n");
  EXPECT_TRUE(fs::exists(root + "/run/reboot-required"));
  EXPECT_EQ(fs::status(root + "/opt/hotfix/01.sh").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::status(root + "/opt/hotfix").permissions(), fs::perms(0755));
  // /var/run is the root's /run, as on the node: never this machine's.
  EXPECT_EQ(Read(root + "/run/" + host_file), "x");
  EXPECT_FALSE(fs::exists("/run/" + host_file));

  Status again = MakeAgentRoot(root, busybox_, "boot-2", {});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
}

// A template root is copied as it is (modes, symlinks, owners), then gets what the agent
// needs; the scenario's files win over the template's.
TEST_F(RealAgentsTest, RootFromATemplateIsACopyWithTheSimsFilesAdded) {
  const std::string tmpl = scratch_.path() + "/template";
  fs::create_directories(tmpl + "/etc/apt");
  fs::create_directories(tmpl + "/run");
  fs::create_directories(tmpl + "/var/lib/dpkg");
  fs::permissions(tmpl, fs::perms(0700));
  std::ofstream(tmpl + "/etc/apt/sources.list") << "deb file:/srv/repo ./\n";
  std::ofstream(tmpl + "/etc/motd") << "template\n";
  std::ofstream(tmpl + "/var/lib/dpkg/status") << "Package: x\n";
  fs::permissions(tmpl + "/var/lib/dpkg/status", fs::perms(0640));
  fs::create_symlink("/run", tmpl + "/var/run");
  const bool as_root = geteuid() == 0;  // only root can give a file away
  if (as_root) {
    ASSERT_EQ(chown((tmpl + "/etc/apt/sources.list").c_str(), 1000, 1000), 0);
  }

  const std::string root = Root("n1");
  ASSERT_TRUE(MakeAgentRootFromTemplate(
                  root, tmpl, "boot-1",
                  {{"/etc/motd", {"scenario\n", 0644}}, {"/var/run/reboot-required", {"", 0644}}})
                  .ok());
  EXPECT_EQ(Read(root + "/etc/apt/sources.list"), "deb file:/srv/repo ./\n");
  EXPECT_EQ(Read(root + "/var/lib/dpkg/status"), "Package: x\n");
  EXPECT_EQ(fs::status(root + "/var/lib/dpkg/status").permissions(), fs::perms(0640));
  EXPECT_EQ(fs::read_symlink(root + "/var/run"), "/run");
  EXPECT_FALSE(fs::exists(root + "/bin/busybox")) << "no busybox layout";
  EXPECT_EQ(fs::status(root).permissions(), fs::perms(0755)) << "a root the agent trusts";
  EXPECT_TRUE(fs::is_directory(root + "/var/lib/kcau"));
  EXPECT_EQ(Read(root + "/run/kcau-sim/boot_id"), "boot-1\n");
  EXPECT_TRUE(fs::exists(root + "/run/reboot-required"));
  EXPECT_EQ(Read(root + "/etc/motd"), "scenario\n");
  struct stat sources {};
  ASSERT_EQ(stat((root + "/etc/apt/sources.list").c_str(), &sources), 0);
  EXPECT_EQ(sources.st_uid, as_root ? 1000u : geteuid()) << "cp -a keeps owners";
  EXPECT_EQ(Read(tmpl + "/etc/motd"), "template\n") << "the template is left alone";
  EXPECT_FALSE(fs::exists(tmpl + "/run/kcau-sim"));

  Status again = MakeAgentRootFromTemplate(root, tmpl, "boot-2", {});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  Status missing = MakeAgentRootFromTemplate(Root("n2"), tmpl + "-missing", "boot-1", {});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_NE(missing.message().find("rootTemplate " + tmpl + "-missing"), std::string::npos);
  EXPECT_FALSE(fs::exists(Root("n2")));

  RealAgents agents(Options(), {"n3"});
  ASSERT_TRUE(agents.PrepareRoot("n3", {}, "boot-3", /*reuse=*/false, tmpl).ok());
  EXPECT_EQ(Read(Root("n3") + "/etc/motd"), "template\n");
  EXPECT_EQ(Read(Root("n3") + "/run/kcau-sim/boot_id"), "boot-3\n");
}

TEST_F(RealAgentsTest, RebootRequestIsTakenOnceAndARebootEmptiesRun) {
  const std::string root = Root("n1");
  ASSERT_TRUE(MakeAgentRoot(root, busybox_, "boot-1", {{"/run/reboot-required", {"", 0644}}}).ok());
  EXPECT_EQ(TakeRebootRequest(root).value(), std::nullopt);
  std::ofstream(root + "/run/kcau-sim/reboot") << "soft\n";
  EXPECT_EQ(TakeRebootRequest(root).value(), "soft");
  EXPECT_EQ(TakeRebootRequest(root).value(), std::nullopt) << "taken once";
  std::ofstream(root + "/run/kcau-sim/reboot") << "warp\n";
  EXPECT_EQ(TakeRebootRequest(root).value(), "full") << "what a machine does when told to";

  fs::create_directories(root + "/run/lock/sub");
  ASSERT_TRUE(EmptyRunOnReboot(root).ok());
  EXPECT_FALSE(fs::exists(root + "/run/reboot-required"));
  EXPECT_FALSE(fs::exists(root + "/run/lock"));
  EXPECT_EQ(Read(root + "/run/kcau-sim/boot_id"), "boot-1\n") << "kcau-sim's own is kept";
}

TEST_F(RealAgentsTest, ExistingRootIsReusedOnlyAfterARestartFromState) {
  RealAgents agents(Options(), {"n1"});
  ASSERT_TRUE(agents.PrepareRoot("n1", {}, "boot-1", /*reuse=*/false).ok());
  std::ofstream(Root("n1") + "/var/lib/kcau/update.json") << "{}";
  Status fresh = agents.PrepareRoot("n1", {}, "boot-2", /*reuse=*/false);
  EXPECT_EQ(fresh.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(fresh.message().find("--state-file"), std::string::npos) << fresh.message();
  ASSERT_TRUE(agents.PrepareRoot("n1", {}, "boot-2", /*reuse=*/true).ok());
  EXPECT_EQ(Read(Root("n1") + "/run/kcau-sim/boot_id"), "boot-2\n");
  EXPECT_EQ(Read(Root("n1") + "/var/lib/kcau/update.json"), "{}") << "the disk is kept";
}

TEST_F(RealAgentsTest, EachAgentHasItsOwnCredentialsAndNoneOutlivesStopAll) {
  RealAgentOptions options = Options();
  options.log_format = "json";
  RealAgents agents(options, {"n1", "n2"});
  ASSERT_TRUE(agents.PrepareRoot("n1", {}, "boot-1", false).ok());
  ASSERT_TRUE(agents.PrepareRoot("n2", {}, "boot-2", false).ok());
  ASSERT_TRUE(agents.WriteKubeconfigs("https://127.0.0.1:6443", "").ok());
  const auto tokens = agents.Tokens();
  ASSERT_EQ(tokens.size(), 2u) << "one token each";
  for (const auto& [token, node] : tokens) {
    const std::string kubeconfig = roots_ + "/" + node + ".kubeconfig";
    EXPECT_NE(Read(kubeconfig).find("token: " + token), std::string::npos) << node;
    EXPECT_EQ(fs::status(kubeconfig).permissions(), fs::perms(0600)) << node;
  }

  ASSERT_TRUE(agents.Start("n1").ok());
  ASSERT_TRUE(agents.Start("n2").ok());
  ASSERT_TRUE(WaitFor([&] { return StartedPid("n1", 0) > 0 && StartedPid("n2", 0) > 0; },
                      std::chrono::seconds(10)));
  const pid_t n1 = StartedPid("n1", 0);
  EXPECT_EQ(std::stoi(Read(roots_ + "/n1.pid")), n1);
  EXPECT_EQ(getpgid(n1), n1) << "a process group of its own";
  EXPECT_EQ(Lines(Root("n1") + ".starts")[0], std::to_string(n1) + " boot-1");
  const std::string args = Read(Root("n1") + ".args");
  const std::string expected = "--node n1 --kubeconfig " + roots_ +
                               "/n1.kubeconfig --request-verify-key " + scratch_.path() +
                               "/key.pem --test-root " + Root("n1") + " --metrics-addr 127.0.0.1:";
  EXPECT_EQ(args.substr(0, expected.size()), expected);
  // Where it serves its metrics is in DIR/N.metrics, for a scraper to find.
  const std::string metrics = Read(roots_ + "/n1.metrics");
  ASSERT_EQ(metrics.rfind("127.0.0.1:", 0), 0u) << metrics;
  EXPECT_EQ(args.substr(expected.size() - std::string("127.0.0.1:").size()),
            metrics.substr(0, metrics.size() - 1) + " --log-format json\n");

  // Killed from outside (a crash): reaped and reported, nothing left running.
  ASSERT_EQ(kill(n1, SIGKILL), 0);
  std::vector<std::string> exited;
  ASSERT_TRUE(WaitFor(
      [&] {
        exited = agents.Reap();
        return !exited.empty();
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(exited, std::vector<std::string>{"n1"});
  EXPECT_FALSE(agents.Running("n1"));
  EXPECT_TRUE(agents.Running("n2"));

  // Started again (as after a reboot), it serves its metrics where it did.
  ASSERT_TRUE(agents.Start("n1").ok());
  ASSERT_TRUE(WaitFor([&] { return StartedPid("n1", 1) > 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(Read(Root("n1") + ".args"), args);
  EXPECT_EQ(Read(roots_ + "/n1.metrics"), metrics);

  const pid_t n2 = StartedPid("n2", 0);
  agents.StopAll(std::chrono::seconds(5));
  EXPECT_FALSE(agents.Running("n2"));
  EXPECT_FALSE(Alive(n2));
}

// A reboot takes every process of the node: the agent, and what it left running chrooted
// into the root in sessions of their own (a hook, a hotfix script).
TEST_F(RealAgentsTest, KillTakesEveryProcessOfTheNode) {
  if (geteuid() != 0) GTEST_SKIP() << "chroot needs root";
  RealAgents agents(Options(), {"n1"});
  ASSERT_TRUE(agents.PrepareRoot("n1", {}, "boot-1", false).ok());
  ASSERT_TRUE(agents.Start("n1").ok());
  ASSERT_TRUE(WaitFor([&] { return StartedPid("n1", 0) > 0; }, std::chrono::seconds(10)));
  const pid_t agent = StartedPid("n1", 0);
  const std::string root = Root("n1");
  const pid_t script = fork();
  if (script == 0) {
    setsid();
    if (chroot(root.c_str()) != 0 || chdir("/") != 0) _exit(126);
    execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(script, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        return fs::read_symlink("/proc/" + std::to_string(script) + "/root") ==
                   fs::canonical(root) &&
               Read("/proc/" + std::to_string(script) + "/comm") == "sleep\n";
      },
      std::chrono::seconds(10)));

  agents.Kill("n1");
  EXPECT_FALSE(agents.Running("n1"));
  EXPECT_FALSE(Alive(agent));
  int status = 0;
  ASSERT_EQ(waitpid(script, &status, 0), script);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// The whole cycle in NodeSimulator: the agent asks for a (soft) reboot; the node goes
// NotReady, its agent is killed, /run emptied; then a new boot ID is on the disk and the
// Node, the node is Ready and the agent runs again and finds the new ID. An agent that dies
// otherwise is started again, without a reboot; and none outlives Stop.
TEST_F(RealAgentsTest, NodeSimulatorRebootsTheNodeAndRestartsItsAgent) {
  NodeScenario node;
  node.name = "n1";
  node.agent = AgentKind::kReal;
  node.reboot_duration = std::chrono::milliseconds(400);
  node.files = {{"/run/reboot-required", {"", 0644}}};
  Scenario scenario;
  scenario.nodes = {node};
  RealClock clock;
  ObjectStore store(clock);
  RealAgents agents(Options(), {"n1"});
  NodeSimulator simulator(store, clock, scenario, {}, &agents);
  ASSERT_TRUE(simulator.Populate().ok());
  auto get_node = [&] { return store.Get(kube::resources::Nodes(), {"", "n1"}).value(); };
  auto boot_id = [&] { return get_node().at("status").at("nodeInfo").at("bootID").as_string(); };
  const std::string first_boot = boot_id();
  EXPECT_FALSE(get_node().at("metadata").at("annotations").has_field("kcau.io/agent-version"))
      << "a real agent announces itself";
  ASSERT_TRUE(agents.PrepareRoot("n1", node.files, first_boot, false).ok());
  std::ofstream(Root("n1") + ".ask-reboot") << "";
  simulator.Start();

  ASSERT_TRUE(
      WaitFor([&] { return Lines(Root("n1") + ".starts").size() >= 2; }, std::chrono::seconds(15)))
      << "the agent was never started again after its reboot";
  const auto starts = Lines(Root("n1") + ".starts");
  const std::string second_boot = boot_id();
  EXPECT_NE(second_boot, first_boot);
  EXPECT_EQ(starts[0], std::to_string(StartedPid("n1", 0)) + " " + first_boot);
  EXPECT_EQ(starts[1], std::to_string(StartedPid("n1", 1)) + " " + second_boot);
  EXPECT_FALSE(Alive(StartedPid("n1", 0)));
  EXPECT_EQ(simulator.Reboots().at("n1"), 1);
  EXPECT_FALSE(fs::exists(Root("n1") + "/run/reboot-required"));
  ASSERT_TRUE(WaitFor(
      [&] {
        const Json now = get_node();
        for (const auto& c : now.at("status").at("conditions").as_array()) {
          if (c.at("type").as_string() == "Ready") return c.at("status").as_string() == "True";
        }
        return false;
      },
      std::chrono::seconds(5)));

  // A crash is no reboot: the same boot, the agent back a second later.
  ASSERT_EQ(kill(StartedPid("n1", 1), SIGKILL), 0);
  ASSERT_TRUE(
      WaitFor([&] { return Lines(Root("n1") + ".starts").size() >= 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(Lines(Root("n1") + ".starts")[2],
            std::to_string(StartedPid("n1", 2)) + " " + second_boot);
  EXPECT_EQ(boot_id(), second_boot);
  EXPECT_EQ(simulator.Reboots().at("n1"), 1);

  simulator.Stop();
  EXPECT_FALSE(agents.Running("n1"));
  EXPECT_FALSE(Alive(StartedPid("n1", 2)));
}

}  // namespace
}  // namespace kcau::sim
