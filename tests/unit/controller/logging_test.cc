#include "controller/logging.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace kcau::controller {
namespace {

std::string LogOneLine(const std::string& format, const std::string& message) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto formatter = MakeLogFormatter(format);
  EXPECT_TRUE(formatter.ok());
  sink->set_formatter(std::move(*formatter));
  spdlog::logger logger("test", sink);
  logger.warn("{}", message);
  return out.str();
}

TEST(LoggingTest, JsonLinesSurviveQuotesAndNewlines) {
  const std::string message = "updaterun \"a\": HTTP 409:\nthe object has been modified \\ retry";
  const std::string line = LogOneLine("json", message);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record: " << line;
  web::json::value v = web::json::value::parse(line);
  EXPECT_EQ(v.at("level").as_string(), "warning");
  EXPECT_EQ(v.at("msg").as_string(), message);
  EXPECT_EQ(v.at("logger").as_string(), "kcau-controller");
  EXPECT_EQ(v.at("ts").as_string().back(), 'Z');
}

TEST(LoggingTest, TextAndUnknownFormats) {
  EXPECT_NE(LogOneLine("text", "hello").find(" hello"), std::string::npos);
  auto bad = MakeLogFormatter("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--log-format"), std::string::npos);
}

}  // namespace
}  // namespace kcau::controller
