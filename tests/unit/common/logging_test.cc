#include "common/logging.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace kcau {
namespace {

// Records logged through a logger of their own, formatted as kcau's binaries format them.
class CapturedLog {
 public:
  explicit CapturedLog(const std::string& format, LogIdentity identity = {"kcau-controller", {}})
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)),
        logger_(std::make_shared<spdlog::logger>("test", sink_)) {
    auto formatter = MakeLogFormatter(format, identity);
    EXPECT_TRUE(formatter.ok()) << formatter.status().ToString();
    sink_->set_formatter(std::move(*formatter));
    logger_->set_level(spdlog::level::trace);
    // LogWith logs through the default logger: this one, for the test's length.
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(logger_);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }

  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string Text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<spdlog::logger> previous_;
};

web::json::value ParseLine(const std::string& line) {
  try {
    web::json::value v = web::json::value::parse(line);
    EXPECT_TRUE(v.is_object()) << line;
    return v;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "): " << line;
    return web::json::value::object();
  }
}

std::set<std::string> Keys(const web::json::value& record) {
  std::set<std::string> keys;
  for (const auto& [key, value] : record.as_object()) keys.insert(key);
  return keys;
}

TEST(LoggingTest, JsonLinesSurviveQuotesAndNewlines) {
  CapturedLog log("json");
  const std::string message = "updaterun \"a\": HTTP 409:\nthe object has been modified \\ retry";
  spdlog::warn("{}", message);
  const std::string text = log.Text();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line per record: " << text;
  web::json::value v = ParseLine(log.Lines().at(0));
  EXPECT_EQ(v.at("level").as_string(), "warn");  // zap's name, as controller-runtime logs it
  EXPECT_EQ(v.at("msg").as_string(), message);
  EXPECT_EQ(v.at("logger").as_string(), "kcau-controller");
  EXPECT_EQ(v.at("ts").as_string().back(), 'Z');
  EXPECT_EQ(Keys(v), (std::set<std::string>{"level", "ts", "logger", "msg"}));
}

TEST(LoggingTest, JsonLevelsUseZapNames) {
  CapturedLog log("json");
  spdlog::trace("t");
  spdlog::debug("d");
  spdlog::info("i");
  spdlog::warn("w");
  spdlog::error("e");
  std::vector<std::string> levels;
  for (const auto& line : log.Lines()) levels.push_back(ParseLine(line).at("level").as_string());
  EXPECT_EQ(levels, (std::vector<std::string>{"trace", "debug", "info", "warn", "error"}));
}

// A reconcile's scope, a call's fields and the process's: each a key of its own, the message
// untouched, and an inner field of a key replacing the outer one's value.
TEST(LoggingTest, JsonFieldsFromProcessScopeAndCall) {
  CapturedLog log("json", {"kcau-agent", {{"node", "node-9"}}});
  {
    const LogScope reconcile({{"updaterun", "patch-tuesday"}, {"reconcileID", "id-1"}},
                             "updaterun");
    spdlog::info("status written");
    LogWith(spdlog::level::warn,
            {{"node", "node-1"}, {"phase", "Draining"}, {"reason", "NodeBlocked"}},
            "updaterun {}: {}", "patch-tuesday", "a \"quoted\" budget");
  }
  spdlog::info("after the reconcile");

  const std::vector<std::string> lines = log.Lines();
  ASSERT_EQ(lines.size(), 3u) << log.Text();
  std::vector<web::json::value> records;
  for (const auto& line : lines) records.push_back(ParseLine(line));

  EXPECT_EQ(records[0].at("logger").as_string(), "updaterun");
  EXPECT_EQ(records[0].at("msg").as_string(), "status written");
  EXPECT_EQ(records[0].at("updaterun").as_string(), "patch-tuesday");
  EXPECT_EQ(records[0].at("reconcileID").as_string(), "id-1");
  EXPECT_EQ(records[0].at("node").as_string(), "node-9");

  EXPECT_EQ(records[1].at("level").as_string(), "warn");
  EXPECT_EQ(records[1].at("msg").as_string(), "updaterun patch-tuesday: a \"quoted\" budget");
  EXPECT_EQ(records[1].at("node").as_string(), "node-1");
  EXPECT_EQ(records[1].at("phase").as_string(), "Draining");
  EXPECT_EQ(records[1].at("reason").as_string(), "NodeBlocked");
  EXPECT_EQ(records[1].at("updaterun").as_string(), "patch-tuesday");
  EXPECT_EQ(Keys(records[1]), (std::set<std::string>{"level", "ts", "logger", "msg", "updaterun",
                                                     "reconcileID", "node", "phase", "reason"}));

  // The scope ended: the process's logger and fields only.
  EXPECT_EQ(records[2].at("logger").as_string(), "kcau-agent");
  EXPECT_EQ(Keys(records[2]), (std::set<std::string>{"level", "ts", "logger", "msg", "node"}));
  EXPECT_EQ(records[2].at("node").as_string(), "node-9");
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("updaterun="), std::string::npos) << line;
    EXPECT_EQ(line.find("node="), std::string::npos) << line;
  }
}

// Each thread logs its own scope's fields, never another's.
TEST(LoggingTest, ScopesBelongToTheirThread) {
  CapturedLog log("json");
  auto work = [](const std::string& run) {
    for (int i = 0; i < 50; ++i) {
      const LogScope scope({{"updaterun", run}});
      spdlog::info("working on {}", run);
    }
  };
  std::thread a(work, "run-a");
  std::thread b(work, "run-b");
  a.join();
  b.join();
  const std::vector<std::string> lines = log.Lines();
  ASSERT_EQ(lines.size(), 100u);
  for (const auto& line : lines) {
    web::json::value v = ParseLine(line);
    EXPECT_EQ("working on " + v.at("updaterun").as_string(), v.at("msg").as_string()) << line;
  }
  EXPECT_TRUE(CurrentLogFields().empty());
}

TEST(LoggingTest, TextAppendsFieldsAsKeyValue) {
  CapturedLog log("text");
  {
    const LogScope scope({{"updaterun", "patch-tuesday"}, {"reconcileID", "id-1"}}, "updaterun");
    LogWith(spdlog::level::info,
            {{"node", "node-1"}, {"message", "pod web/a: budget \"web\" allows 0"}, {"empty", ""}},
            "hello");
  }
  spdlog::info("plain");
  const std::vector<std::string> lines = log.Lines();
  ASSERT_EQ(lines.size(), 2u) << log.Text();
  EXPECT_NE(lines[0].find(" info hello updaterun=patch-tuesday reconcileID=id-1 node=node-1 "
                          "message=\"pod web/a: budget \\\"web\\\" allows 0\" empty=\"\""),
            std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[1].substr(lines[1].size() - 11), " info plain") << lines[1];
}

TEST(LoggingTest, ReconcileIdsAreVersion4UuidsAndDiffer) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewReconcileId();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(LoggingTest, BadFormatOrLevelNamesTheFlag) {
  auto bad = MakeLogFormatter("xml", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--log-format"), std::string::npos);
  Status level = ConfigureLogging("json", "verbose", {});
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.message().find("--log-level: \"verbose\""), std::string::npos);
}

}  // namespace
}  // namespace kcau
