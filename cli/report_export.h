// Export-CauReport: an UpdateRun's report as an HTML page (summary, conditions, one row per
// node) and as CSV (RFC 4180: a header, one record per node, CRLF line ends, fields quoted
// when they hold a comma, a quote, CR or LF). Every text that comes from the cluster (node
// names, messages) is escaped. Pure formatting, thread-safe.
#pragma once

#include <string>

#include "common/clock.h"
#include "crd/updaterun_types.h"

namespace kcau::cli {

// & < > " ' as character references.
std::string HtmlEscape(const std::string& text);

// One CSV field: as is, or in double quotes with each quote doubled.
std::string CsvField(const std::string& text);

// node,phase,attempts,updatesInstalled,updatesFound,rebooted,rebootKind,startTime,finishTime,
// durationSeconds,message
std::string ReportCsv(const crd::UpdateRun& run);

// A standalone page; `generated` is when the report was made.
std::string ReportHtml(const crd::UpdateRun& run, TimePoint generated);

}  // namespace kcau::cli
