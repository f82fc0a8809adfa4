#include "common/logging.h"

#include <spdlog/pattern_formatter.h>

#include <cstdio>
#include <random>
#include <string_view>

namespace kcau {

namespace {

// The calling thread's scopes: their fields, and the logger names they gave, stacked.
struct ThreadLogContext {
  LogFields fields;
  std::vector<std::string> loggers;
};

ThreadLogContext& ThisThread() {
  thread_local ThreadLogContext context;
  return context;
}

void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest) {
  for (char c : text) {
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

// A text value is quoted (logfmt's rule) when it would otherwise not read back as one value.
bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

// The process's fields, then the thread's, with a later field of a key already there
// replacing its value in place: one key per record, as a JSON object needs.
LogFields RecordFields(const LogFields& process) {
  LogFields merged = process;
  for (const auto& [key, value] : ThisThread().fields) {
    bool replaced = false;
    for (auto& field : merged) {
      if (field.first == key) {
        field.second = value;
        replaced = true;
        break;
      }
    }
    if (!replaced) merged.emplace_back(key, value);
  }
  return merged;
}

// %j: the message, escaped for a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %J: the level as zap names it (warn, not spdlog's "warning").
class ZapLevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    switch (msg.level) {
      case spdlog::level::trace:
        dest.append(std::string_view("trace"));
        break;
      case spdlog::level::debug:
        dest.append(std::string_view("debug"));
        break;
      case spdlog::level::warn:
        dest.append(std::string_view("warn"));
        break;
      case spdlog::level::err:
        dest.append(std::string_view("error"));
        break;
      case spdlog::level::critical:
        dest.append(std::string_view("fatal"));
        break;
      default:
        dest.append(std::string_view("info"));
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ZapLevelFlag>();
  }
};

// %N: the innermost scope's logger name, else the process's.
class LoggerNameFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit LoggerNameFlag(std::string process_logger)
      : process_logger_(std::move(process_logger)) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto& loggers = ThisThread().loggers;
    AppendJsonEscaped(loggers.empty() ? process_logger_ : loggers.back(), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LoggerNameFlag>(process_logger_);
  }

 private:
  std::string process_logger_;
};

// %F: the record's fields as JSON members (each preceded by a comma), or as " key=value"
// pairs in text.
class FieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  FieldsFlag(LogFields process_fields, bool json)
      : process_fields_(std::move(process_fields)), json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (const auto& [key, value] : RecordFields(process_fields_)) {
      if (json_) {
        dest.append(std::string_view(",\""));
        AppendJsonEscaped(key, dest);
        dest.append(std::string_view("\":\""));
        AppendJsonEscaped(value, dest);
        dest.push_back('"');
        continue;
      }
      dest.push_back(' ');
      dest.append(std::string_view(key));
      dest.push_back('=');
      if (NeedsQuotes(value)) {
        dest.push_back('"');
        AppendJsonEscaped(value, dest);
        dest.push_back('"');
      } else {
        dest.append(std::string_view(value));
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FieldsFlag>(process_fields_, json_);
  }

 private:
  LogFields process_fields_;
  bool json_;
};

}  // namespace

LogScope::LogScope(LogFields fields, std::string logger)
    : fields_before_(ThisThread().fields.size()), loggers_before_(ThisThread().loggers.size()) {
  ThreadLogContext& context = ThisThread();
  for (auto& field : fields) context.fields.push_back(std::move(field));
  if (!logger.empty()) context.loggers.push_back(std::move(logger));
}

LogScope::~LogScope() {
  ThreadLogContext& context = ThisThread();
  context.fields.resize(fields_before_);
  context.loggers.resize(loggers_before_);
}

LogFields CurrentLogFields() { return ThisThread().fields; }

std::string NewReconcileId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t high = random();
  const uint64_t low = random();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(low >> (56 - 8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

StatusOr<std::unique_ptr<spdlog::formatter>> MakeLogFormatter(const std::string& format,
                                                              const LogIdentity& identity) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == "text") {
    f->add_flag<FieldsFlag>('F', identity.fields, false)
        .set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v%F");
    return std::unique_ptr<spdlog::formatter>(std::move(f));
  }
  if (format == "json") {
    f->add_flag<JsonMessageFlag>('j')
        .add_flag<ZapLevelFlag>('J')
        .add_flag<LoggerNameFlag>('N', identity.logger)
        .add_flag<FieldsFlag>('F', identity.fields, true)
        .set_pattern(R"({"level":"%J","ts":"%Y-%m-%dT%H:%M:%S.%fZ","logger":"%N","msg":"%j"%F})");
    return std::unique_ptr<spdlog::formatter>(std::move(f));
  }
  return InvalidArgumentError("--log-format: \"" + format + "\" is not one of text, json");
}

Status ConfigureLogging(const std::string& format, const std::string& level,
                        const LogIdentity& identity) {
  if (level != "trace" && level != "debug" && level != "info" && level != "warn" &&
      level != "error") {
    return InvalidArgumentError("--log-level: \"" + level +
                                "\" is not one of trace, debug, info, warn, error");
  }
  auto formatter = MakeLogFormatter(format, identity);
  if (!formatter.ok()) return formatter.status();
  spdlog::set_formatter(std::move(*formatter));
  spdlog::set_level(spdlog::level::from_str(level));
  return Status::Ok();
}

}  // namespace kcau
