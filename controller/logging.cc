#include "controller/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace kcau::controller {

namespace {

// %j: the message, escaped for a JSON string.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\r':
          dest.append(std::string_view("\\r"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

StatusOr<std::unique_ptr<spdlog::formatter>> MakeLogFormatter(const std::string& format) {
  if (format == "text") {
    return std::unique_ptr<spdlog::formatter>(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc));
  }
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"kcau-controller","msg":"%j"})");
    return std::unique_ptr<spdlog::formatter>(std::move(f));
  }
  return InvalidArgumentError("--log-format: \"" + format + "\" is not one of text, json");
}

Status ConfigureLogging(const std::string& format, const std::string& level) {
  auto formatter = MakeLogFormatter(format);
  if (!formatter.ok()) return formatter.status();
  spdlog::set_formatter(std::move(*formatter));
  spdlog::set_level(spdlog::level::from_str(level));
  return Status::Ok();
}

}  // namespace kcau::controller
