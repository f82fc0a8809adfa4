// Structured logs for kcau's binaries: `text` for people, `json` for log pipelines, one
// object per line with controller-runtime's (zap's) keys: level, ts, logger, msg, then the
// record's fields, each a key of its own ({"updaterun":"patch-tuesday","node":"node-1",
// "reconcileID":"..."}). In text the fields follow the message as key=value, a value quoted
// when it holds a space, a quote or '='. Messages and values are escaped, so a quote or a
// newline in an error from the API server cannot break a line apart.
//
// Fields come from three places, outermost first (an inner field of the same key wins):
// the process's (ConfigureLogging: the agent's node), the thread's LogScopes (the controller
// opens one per reconcile: the run and a reconcile ID, so every line a reconciler logs
// carries them without passing them around), and the call's (LogWith).
//
// Thread-safety: ConfigureLogging once at start, before threads log. A LogScope belongs to
// the thread that made it and must end on that thread, in reverse order of creation (a
// local variable does). Formatting reads the calling thread's scopes, so the logger must be
// synchronous (spdlog's default), never an async one.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kcau {

// Keys and values, in the order they are written.
using LogFields = std::vector<std::pair<std::string, std::string>>;

// Adds `fields` to every record this thread logs while the scope lives, and names the
// records' logger when `logger` is not empty (as controller-runtime names a controller's).
class LogScope {
 public:
  explicit LogScope(LogFields fields, std::string logger = "");
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  size_t fields_before_;
  size_t loggers_before_;
};

// The fields of the calling thread's scopes, outermost first (duplicates kept).
LogFields CurrentLogFields();

// Logs one record carrying `fields` besides the scopes' and the process's.
template <typename... Args>
void LogWith(spdlog::level::level_enum level, LogFields fields,
             spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  const LogScope scope(std::move(fields));
  spdlog::log(level, format, std::forward<Args>(args)...);
}

// A fresh random ID in the form of a version 4 UUID: one per reconcile, so the lines of one
// pass can be told from those of the next.
std::string NewReconcileId();

// What every record of this process carries: the logger's name in JSON (the binary's) and
// fields (the agent's node).
struct LogIdentity {
  std::string logger;
  LogFields fields;
};

// format: "text" or "json"; level: trace|debug|info|warn|error. A bad value is an error
// naming the flag (--log-format, --log-level).
Status ConfigureLogging(const std::string& format, const std::string& level,
                        const LogIdentity& identity);

// The formatter ConfigureLogging installs for `format` (exposed for tests).
StatusOr<std::unique_ptr<spdlog::formatter>> MakeLogFormatter(const std::string& format,
                                                              const LogIdentity& identity);

}  // namespace kcau
