// Durations as UpdateRun accepts them: Go's form ("1h30m", "90s", "500ms", "1.5h") and the
// cmdlet's TimeSpan form ("01:30:00", "1.02:00:00" = 1 day 2 hours, "00:00:30.5"). A text
// whose value does not fit, or exceeds kMaxDuration, is refused rather than wrapped around
// (a wrapped stopAfter would be negative and end a run at once).
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::crd {

// No UpdateRun timer needs more; anything longer is a typo (or an attempt to overflow).
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365 * 10);
inline constexpr char kMaxDurationText[] = "10 years (87600h)";

StatusOr<Duration> ParseDuration(const std::string& text);
// Go form: "1h30m0s", "45s", "250ms", "0s".
std::string FormatDuration(Duration d);

}  // namespace kcau::crd
