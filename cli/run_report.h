// Get-CauReport for humans: an UpdateRun's status as a one-line progress summary and as a
// per-node report table. Pure formatting, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::cli {

// "phase=Running 1/3 succeeded, 0 failed | node-1=Succeeded node-2=Rebooting node-3=Pending"
std::string FormatProgress(const crd::UpdateRun& run);

// Left-aligned columns, two spaces apart, like kubectl's tables; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// Run summary, conditions, and a table: NODE PHASE ATTEMPTS UPDATES REBOOTED DURATION MESSAGE.
std::string FormatReport(const crd::UpdateRun& run);

}  // namespace kcau::cli
