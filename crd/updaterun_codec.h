// UpdateRun <-> JSON, exactly as the API server stores it. Decoding checks every field's
// type and names the JSON path of the first problem ("spec.maxRetriesPerNode: expected
// integer, got string"); unknown spec fields are refused, as strict field validation would.
// Encoding writes camelCase, RFC 3339 times, and omits empty optionals so a 5,000-node
// status stays compact.
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "crd/updaterun_types.h"

namespace kcau::crd {

StatusOr<UpdateRun> DecodeUpdateRun(const web::json::value& object);
StatusOr<UpdateRunSpec> DecodeUpdateRunSpec(const web::json::value& spec);
StatusOr<UpdateRunStatus> DecodeUpdateRunStatus(const web::json::value& status);

web::json::value EncodeUpdateRunSpec(const UpdateRunSpec& spec);

// The message of a node that updated without remarks.
std::string NodeSucceededMessage(int updates_installed, bool rebooted);

// Above this many nodes, status.nodes keeps only the nodes with something to say; those that
// updated without remark are grouped by (attempts, updatesInstalled, rebooted) into
// status.succeededNodes[].names (their times are in the NodeUpdated Events and the run's
// completionTime), and the nodes skipped with nothing to install are listed in
// status.upToDateNodes. The decoder expands them back into NodeResults, after the others.
// A 5,000-node run's status stays under 512 KiB (codec_test measures it).
inline constexpr size_t kCompactSucceededAbove = 500;

web::json::value EncodeUpdateRunStatus(const UpdateRunStatus& status);

const char* RunPhaseName(RunPhase phase);
std::optional<RunPhase> ParseRunPhase(const std::string& name);
const char* NodePhaseName(NodePhase phase);
std::optional<NodePhase> ParseNodePhase(const std::string& name);
const char* DrainModeName(DrainMode mode);
std::optional<DrainMode> ParseDrainMode(const std::string& name);
const char* FailbackModeName(FailbackMode mode);
std::optional<FailbackMode> ParseFailbackMode(const std::string& name);
const char* RebootModeName(RebootMode mode);
std::optional<RebootMode> ParseRebootMode(const std::string& name);
const char* RunModeName(RunMode mode);
std::optional<RunMode> ParseRunMode(const std::string& name);

}  // namespace kcau::crd
