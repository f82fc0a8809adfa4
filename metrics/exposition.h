// The Prometheus text exposition format (version 0.0.4) of a Registry: HELP and TYPE lines,
// escaped label values, cumulative histogram buckets, families sorted by name so that the
// output is deterministic. Checked by `promtool check metrics` in the tests.
// Thread-safety: reads a Registry snapshot; safe from any thread.
#pragma once

#include <string>

#include "metrics/registry.h"

namespace kcau::metrics {

inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderText(const Registry& registry);

// Label value escaping: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& value);
// Numbers as Prometheus reads them: integers without exponent, +Inf/-Inf/NaN spelled out.
std::string FormatValue(double value);

}  // namespace kcau::metrics
