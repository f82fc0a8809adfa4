// What `kubectl cau get` and `kubectl cau scan` print (Get-CauRun, Invoke-CauScan): the table
// of all runs, one run's live progress (a bar of nodes done / in flight / failed and each
// in-flight node's step), and a scan's findings per node. Pure formatting, thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crd/updaterun_types.h"

namespace kcau::cli {

// kubectl's age: "45s", "3m12s", "5h", "3d4h", "40d".
std::string FormatAge(Duration age);

struct RunRow {
  crd::UpdateRun run;
  std::optional<TimePoint> created;  // metadata.creationTimestamp
};

// NAME PHASE NODES SUCCEEDED FAILED AGE, one row per run.
std::string FormatRunTable(const std::vector<RunRow>& runs, TimePoint now);

struct NodeCounts {
  int done = 0;       // Succeeded or Skipped
  int in_flight = 0;  // taken and not yet finished
  int failed = 0;
  int pending = 0;
};
NodeCounts CountNodes(const crd::UpdateRun& run);

// "[#####>>>xx..........] 5 done, 3 in flight, 2 failed, 10 pending": `width` characters
// between the brackets, each class of nodes getting its share ('#' done, '>' in flight,
// 'x' failed, '.' pending).
std::string ProgressBar(const NodeCounts& counts, int width);

// The live view: the run's phase, the bar, the warning or reason it ended if any, and one
// line per in-flight node with its phase, attempt and message.
std::string FormatLiveView(const crd::UpdateRun& run);

// A scan's result: NODE PHASE UPDATES TITLES, the titles being those of the run's
// UpdatesFound Events (node name -> titles text).
std::string FormatScanResult(const crd::UpdateRun& run,
                             const std::map<std::string, std::string>& titles);

// The node and titles of an UpdatesFound Event's message ("node-1: 3 apply: a, b, c").
std::optional<std::pair<std::string, std::string>> ParseUpdatesFound(const std::string& message);

}  // namespace kcau::cli
