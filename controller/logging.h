// Structured logs for kcau's binaries: `text` for people, `json` (one object per line:
// ts, level, logger, msg) for log pipelines. Messages are JSON-escaped, so a quote or a
// newline in an error from the API server cannot break a line apart.
// Call once at start, before threads log. Thread-safety: spdlog's loggers are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace spdlog {
class formatter;
}

namespace kcau::controller {

// format: "text" or "json"; level: trace|debug|info|warn|error.
Status ConfigureLogging(const std::string& format, const std::string& level);

// The formatter ConfigureLogging installs for `format` (exposed for tests).
StatusOr<std::unique_ptr<spdlog::formatter>> MakeLogFormatter(const std::string& format);

}  // namespace kcau::controller
