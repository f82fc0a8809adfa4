#include "cli/run_view.h"

#include <algorithm>
#include <sstream>

#include "cli/run_report.h"
#include "crd/names.h"
#include "crd/run_state.h"

namespace kcau::cli {

namespace {

bool InFlight(crd::NodePhase p) {
  return p != crd::NodePhase::kPending && p != crd::NodePhase::kSucceeded &&
         p != crd::NodePhase::kSkipped && p != crd::NodePhase::kFailed;
}

const crd::Condition* FindTrue(const crd::UpdateRun& run, const char* type) {
  for (const auto& c : run.status.conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

}  // namespace

std::string FormatAge(Duration age) {
  using std::chrono::duration_cast;
  const int64_t s = std::max<int64_t>(0, duration_cast<std::chrono::seconds>(age).count());
  const int64_t m = s / 60;
  const int64_t h = m / 60;
  const int64_t d = h / 24;
  if (s < 120) return std::to_string(s) + "s";
  if (m < 10) return std::to_string(m) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  if (h < 3) return std::to_string(m) + "m";
  if (h < 8) return std::to_string(h) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
  if (d < 2) return std::to_string(h) + "h";
  if (d < 8) return std::to_string(d) + "d" + (h % 24 ? std::to_string(h % 24) + "h" : "");
  return std::to_string(d) + "d";
}

std::string FormatRunTable(const std::vector<RunRow>& runs, TimePoint now) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "PHASE", "NODES", "SUCCEEDED", "FAILED", "AGE"}};
  for (const RunRow& r : runs) {
    const auto& st = r.run.status;
    rows.push_back({r.run.name, crd::RunPhaseName(st.phase), std::to_string(st.nodes_total),
                    std::to_string(st.nodes_succeeded), std::to_string(st.nodes_failed),
                    r.created ? FormatAge(std::chrono::duration_cast<Duration>(now - *r.created))
                              : "<unknown>"});
  }
  return FormatTable(rows);
}

NodeCounts CountNodes(const crd::UpdateRun& run) {
  NodeCounts c;
  for (const auto& n : run.status.nodes) {
    if (n.phase == crd::NodePhase::kSucceeded || n.phase == crd::NodePhase::kSkipped) {
      ++c.done;
    } else if (n.phase == crd::NodePhase::kFailed) {
      ++c.failed;
    } else if (InFlight(n.phase)) {
      ++c.in_flight;
    } else {
      ++c.pending;
    }
  }
  // Nodes the plan counts that status does not list yet are pending.
  const int listed = static_cast<int>(run.status.nodes.size());
  if (run.status.nodes_total > listed) c.pending += run.status.nodes_total - listed;
  return c;
}

std::string ProgressBar(const NodeCounts& c, int width) {
  const int total = c.done + c.in_flight + c.failed + c.pending;
  std::string bar;
  if (total > 0) {
    // Cumulative rounding, so the segments fill exactly `width`; a class with any node keeps
    // at least one mark, taken from the largest ones rather than hidden by rounding.
    const std::pair<int, char> classes[] = {
        {c.done, '#'}, {c.in_flight, '>'}, {c.failed, 'x'}, {c.pending, '.'}};
    int counted = 0;
    for (size_t i = 0; i < 4; ++i) {
      const auto [n, mark] = classes[i];
      counted += n;
      int later = 0;  // classes after this one that need a mark
      for (size_t j = i + 1; j < 4; ++j) later += classes[j].first > 0 ? 1 : 0;
      const int shown = static_cast<int>(bar.size());
      const int upto = (counted * width + total / 2) / total;
      int len = std::max(upto - shown, n > 0 ? 1 : 0);
      len = std::max(0, std::min(len, width - shown - later));
      bar.append(static_cast<size_t>(len), mark);
    }
  }
  bar.resize(static_cast<size_t>(width), '.');
  return "[" + bar + "] " + std::to_string(c.done) + " done, " + std::to_string(c.in_flight) +
         " in flight, " + std::to_string(c.failed) + " failed, " + std::to_string(c.pending) +
         " pending";
}

std::string FormatLiveView(const crd::UpdateRun& run) {
  const auto& st = run.status;
  std::ostringstream out;
  const bool scan = run.spec.mode == crd::RunMode::kScan;
  out << "UpdateRun " << run.name << ": " << crd::RunPhaseName(st.phase) << (scan ? " (scan)" : "")
      << ", " << std::max<int>(st.nodes_total, st.nodes.size()) << " nodes\n";
  out << ProgressBar(CountNodes(run), 40) << "\n";
  for (const char* type : {crd::kConditionFailed, crd::kConditionWarning}) {
    if (const crd::Condition* c = FindTrue(run, type)) {
      out << type << " (" << c->reason << "): " << c->message << "\n";
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : st.nodes) {
    if (!InFlight(n.phase)) continue;
    rows.push_back({"  " + n.name, crd::NodePhaseName(n.phase),
                    "attempt " + std::to_string(std::max(1, n.attempts)), n.message});
  }
  if (!rows.empty()) out << FormatTable(rows);
  return out.str();
}

std::string FormatScanResult(const crd::UpdateRun& run,
                             const std::map<std::string, std::string>& titles) {
  std::vector<std::vector<std::string>> rows = {{"NODE", "PHASE", "UPDATES", "TITLES"}};
  for (const auto& n : run.status.nodes) {
    auto t = titles.find(n.name);
    const bool scanned = n.phase == crd::NodePhase::kSucceeded;
    rows.push_back({n.name, crd::NodePhaseName(n.phase),
                    scanned ? std::to_string(n.updates_found) : "-",
                    t != titles.end() ? t->second
                    : scanned         ? ""
                                      : n.message});
  }
  return FormatTable(rows);
}

std::optional<std::pair<std::string, std::string>> ParseUpdatesFound(const std::string& message) {
  const size_t colon = message.find(": ");
  const size_t apply = message.find(" apply: ");
  if (colon == std::string::npos || apply == std::string::npos || apply < colon) {
    return std::nullopt;
  }
  return std::pair{message.substr(0, colon), message.substr(apply + 8)};
}

}  // namespace kcau::cli
