// CommandRunner with real processes on this machine: exit codes, the one output stream and
// its 64 KiB tail, stdin, the minimal environment, the timeout reaching the whole process
// group (even when the caller blocks SIGTERM, as the agent does), the user switch, and the
// errors for commands that cannot start.
#include "agent/command_runner.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "tests/unit/agent/process_helpers.h"

namespace kcau::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Argv;
using testing::ExitedWithin;
using testing::FirstLineAsPid;
using testing::ScopedSupplementaryGroups;

class CommandRunnerTest : public ::testing::Test {
 protected:
  CommandResult RunOk(const Command& command) {
    StatusOr<CommandResult> result = runner_.Run(command);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : CommandResult{};
  }
  RealClock clock_;
  CommandRunner runner_{clock_};
};

struct ExitCase {
  std::vector<std::string> argv;
  int want;
};

TEST_F(CommandRunnerTest, ExitCodes) {
  const std::vector<ExitCase> cases = {
      {{"true"}, 0},
      {{"false"}, 1},
      {{"sh", "-c", "exit 42"}, 42},
      {{"/bin/sh", "-c", "exit 3"}, 3},     // a path is not looked up
      {{"sh", "-c", "kill -KILL $$"}, -1},  // killed by a signal
  };
  for (const ExitCase& c : cases) {
    CommandResult result = RunOk(Argv(c.argv));
    EXPECT_EQ(result.exit_code, c.want) << c.argv.back();
    EXPECT_FALSE(result.timed_out);
  }
}

TEST_F(CommandRunnerTest, OutputAndErrorsInterleaveInOneStream) {
  CommandResult result =
      RunOk(Argv({"sh", "-c", "echo out; echo err >&2; echo out again; exit 2"}));
  EXPECT_EQ(result.output, "out\nerr\nout again\n");
  EXPECT_EQ(result.exit_code, 2);
}

TEST_F(CommandRunnerTest, KeepsTheLast64KiB) {
  CommandResult result = RunOk(Argv({"seq", "1", "200000"}));
  std::ostringstream all;
  for (int i = 1; i <= 200000; ++i) all << i << "\n";
  const std::string expected = all.str();
  ASSERT_GT(expected.size(), CommandRunner::kOutputLimit);
  EXPECT_EQ(result.output.size(), CommandRunner::kOutputLimit);
  EXPECT_EQ(result.output, expected.substr(expected.size() - CommandRunner::kOutputLimit));
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(CommandRunnerTest, TheCutDoesNotSplitAUtf8Character) {
  // "é\n" is three bytes; 300002 bytes put the 64 KiB cut one byte into an "é".
  CommandResult result = RunOk(Argv({"sh", "-c", "yes é | head -c 300002"}));
  std::string stream;
  while (stream.size() < 300002) stream += "\xC3\xA9\n";
  stream.resize(300002);
  EXPECT_EQ(result.output.size(), CommandRunner::kOutputLimit - 1);
  EXPECT_EQ(result.output, stream.substr(stream.size() - (CommandRunner::kOutputLimit - 1)));
}

TEST_F(CommandRunnerTest, StdinTextIsTheStandardInput) {
  Command cat = Argv({"cat"});
  cat.stdin_text = "hello\nworld";
  EXPECT_EQ(RunOk(cat).output, "hello\nworld");
  // Without stdin_text the command reads end of file at once rather than waiting.
  Command no_input = Argv({"cat"});
  no_input.timeout = seconds(10);
  CommandResult empty = RunOk(no_input);
  EXPECT_EQ(empty.output, "");
  EXPECT_FALSE(empty.timed_out);
}

TEST_F(CommandRunnerTest, LargeStdinWhileReadingOutput) {
  // 1 MiB in and out: writing all of it before reading would deadlock on full pipes.
  std::string text;
  for (int i = 0; text.size() < (1 << 20); ++i) text += "line " + std::to_string(i) + "\n";
  Command cat = Argv({"cat"});
  cat.stdin_text = text;
  CommandResult result = RunOk(cat);
  EXPECT_EQ(result.output, text.substr(text.size() - CommandRunner::kOutputLimit));
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(CommandRunnerTest, StdinIgnoredByTheCommandIsNoError) {
  // `true` exits without reading: the agent must see EPIPE, not die of SIGPIPE.
  Command command = Argv({"true"});
  command.stdin_text = std::string(4 << 20, 'x');
  CommandResult result = RunOk(command);
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(CommandRunnerTest, MinimalEnvironmentPlusCommandEnv) {
  ASSERT_EQ(setenv("KCAU_AGENT_SECRET", "must-not-leak", 1), 0);
  Command env = Argv({"env"});
  env.env = {{"FOO", "bar baz"}, {"DEBIAN_FRONTEND", "noninteractive"}};
  CommandResult result = RunOk(env);
  unsetenv("KCAU_AGENT_SECRET");
  std::vector<std::string> lines;
  std::istringstream in(result.output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"DEBIAN_FRONTEND=noninteractive", "FOO=bar baz",
                                             "LANG=C.UTF-8",
                                             std::string("PATH=") + CommandRunner::kMinimalPath}));
  // Command::env may override PATH, and the lookup of argv[0] then uses it.
  Command own_path = Argv({"sh", "-c", "echo $PATH"});
  own_path.env = {{"PATH", "/bin:/usr/bin"}};
  EXPECT_EQ(RunOk(own_path).output, "/bin:/usr/bin\n");
  Command nowhere = Argv({"true"});
  nowhere.env = {{"PATH", "/nonexistent"}};
  EXPECT_EQ(runner_.Run(nowhere).status().code(), StatusCode::kNotFound);
}

TEST_F(CommandRunnerTest, WorkingDirectory) {
  Command pwd = Argv({"pwd"});
  EXPECT_EQ(RunOk(pwd).output, "/\n");  // the default
  pwd.working_dir = "/usr/bin";
  EXPECT_EQ(RunOk(pwd).output, "/usr/bin\n");
  pwd.working_dir = "/nonexistent-kcau-dir";
  StatusOr<CommandResult> missing = runner_.Run(pwd);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("working_dir"), std::string::npos)
      << missing.status().ToString();
}

TEST_F(CommandRunnerTest, MissingBinaryIsAnError) {
  StatusOr<CommandResult> by_name = runner_.Run(Argv({"kcau-no-such-binary", "--flag"}));
  EXPECT_EQ(by_name.status().code(), StatusCode::kNotFound);
  EXPECT_NE(by_name.status().message().find("kcau-no-such-binary not found in PATH"),
            std::string::npos)
      << by_name.status().ToString();
  StatusOr<CommandResult> by_path = runner_.Run(Argv({"/no/such/program"}));
  EXPECT_EQ(by_path.status().code(), StatusCode::kNotFound) << by_path.status().ToString();
  // A file that is not executable is there but cannot run.
  StatusOr<CommandResult> not_executable = runner_.Run(Argv({"/etc/passwd"}));
  EXPECT_EQ(not_executable.status().code(), StatusCode::kUnauthorized)
      << not_executable.status().ToString();
}

struct InvalidCase {
  std::string name;
  Command command;
  std::string field;  // named in the message
};

TEST_F(CommandRunnerTest, MalformedCommandsNameTheField) {
  auto with = [](auto change) {
    Command command = Argv({"true"});
    change(command);
    return command;
  };
  const std::vector<InvalidCase> cases = {
      {"empty argv", with([](Command& c) { c.argv.clear(); }), "command.argv is empty"},
      {"empty program", with([](Command& c) { c.argv = {""}; }), "command.argv[0]"},
      {"NUL in an argument", with([](Command& c) { c.argv.push_back(std::string("a\0b", 3)); }),
       "command.argv[1]"},
      {"env key with =", with([](Command& c) {
         c.env = {{"A=B", "x"}};
       }),
       "command.env key"},
      {"empty env key", with([](Command& c) {
         c.env = {{"", "x"}};
       }),
       "command.env key"},
      {"zero timeout", with([](Command& c) { c.timeout = Duration::zero(); }), "command.timeout"},
      {"negative uid", with([](Command& c) { c.run_as_user = -1; }), "command.run_as_user"},
      {"uid too large", with([](Command& c) { c.run_as_user = 4294967295; }),
       "command.run_as_user"},
      {"relative working_dir", with([](Command& c) { c.working_dir = "tmp"; }),
       "command.working_dir"},
  };
  for (const InvalidCase& c : cases) {
    StatusOr<CommandResult> result = runner_.Run(c.command);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(result.status().message().find(c.field), std::string::npos)
        << c.name << ": " << result.status().ToString();
  }
}

// The timeout SIGTERMs the whole group: the shell and the sleep it put in the background.
// Run both as the agent runs (SIGTERM blocked in the calling thread) and not.
class TimeoutTest : public CommandRunnerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(TimeoutTest, KillsTheWholeProcessGroup) {
  const bool block_sigterm = GetParam();
  sigset_t term, previous;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (block_sigterm) pthread_sigmask(SIG_BLOCK, &term, &previous);
  Command command = Argv({"sh", "-c", "sleep 60 & echo $!; wait"});
  command.timeout = milliseconds(500);
  const MonoTime start = clock_.Monotonic();
  CommandResult result = RunOk(command);
  const Duration took = std::chrono::duration_cast<Duration>(clock_.Monotonic() - start);
  if (block_sigterm) pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_GE(took, milliseconds(500));
  // SIGTERM alone ends both, and the runner sees that at once (not at the end of the grace
  // period, nor when the orphaned sleep's zombie is reaped).
  EXPECT_LT(took, milliseconds(500) + seconds(1));
  ASSERT_FALSE(result.output.empty());
  EXPECT_TRUE(ExitedWithin(FirstLineAsPid(result.output), seconds(2)))
      << "the background sleep outlived the timeout";
}

INSTANTIATE_TEST_SUITE_P(SigtermBlockedInCaller, TimeoutTest, ::testing::Bool());

TEST_F(CommandRunnerTest, TimeoutEscalatesToSigkillAfterTheGrace) {
  // Both the shell and its background sleep ignore SIGTERM (an ignored signal stays ignored
  // across fork and exec): only SIGKILL, kKillGrace later, ends them.
  Command command = Argv({"sh", "-c", "trap '' TERM; sleep 60 & echo $!; wait"});
  command.timeout = milliseconds(200);
  const MonoTime start = clock_.Monotonic();
  CommandResult result = RunOk(command);
  const Duration took = std::chrono::duration_cast<Duration>(clock_.Monotonic() - start);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_GE(took, milliseconds(200) + CommandRunner::kKillGrace);
  EXPECT_LT(took, milliseconds(200) + CommandRunner::kKillGrace + seconds(3));
  ASSERT_FALSE(result.output.empty());
  EXPECT_TRUE(ExitedWithin(FirstLineAsPid(result.output), seconds(2)));
}

TEST_F(CommandRunnerTest, ReturnsWhenTheCommandExitsThoughItsBackgroundChildHoldsThePipe) {
  Command command = Argv({"sh", "-c", "sleep 30 & echo $!; echo started"});
  const MonoTime start = clock_.Monotonic();
  CommandResult result = RunOk(command);
  const Duration took = std::chrono::duration_cast<Duration>(clock_.Monotonic() - start);
  EXPECT_LT(took, seconds(5));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.timed_out);
  const pid_t sleeper = FirstLineAsPid(result.output);
  EXPECT_EQ(result.output, std::to_string(sleeper) + "\nstarted\n");
  kill(sleeper, SIGKILL);  // not the runner's to stop; tidy up after the test
}

TEST_F(CommandRunnerTest, RunAsUserDropsSupplementaryGroups) {
  if (geteuid() != 0) GTEST_SKIP() << "switching user needs root; running as " << geteuid();
  Command id = Argv({"sh", "-c", "id -u; id -G"});
  CommandResult as_nobody, as_root;
  {
    // Give this process a supplementary group the command must not keep.
    ScopedSupplementaryGroups groups({0, 4242});
    id.run_as_user = 65534;
    as_nobody = RunOk(id);
    id.run_as_user.reset();
    as_root = RunOk(id);
  }

  // nobody's primary group comes from this machine's /etc/passwd (65534 on Debian).
  EXPECT_EQ(as_nobody.output, "65534\n65534\n");
  EXPECT_EQ(as_root.output, "0\n0 4242\n");  // unchanged without run_as_user
}

TEST_F(CommandRunnerTest, ConcurrentRunsKeepTheirOwnStreams) {
  std::vector<std::thread> threads;
  std::vector<CommandResult> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Command command = Argv({"sh", "-c", "cat; echo \" $0\"", std::to_string(i)});
      command.stdin_text = "input " + std::to_string(i);
      results[i] = RunOk(command);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(results[i].output, "input " + std::to_string(i) + " " + std::to_string(i) + "\n");
  }
}

}  // namespace
}  // namespace kcau::agent
