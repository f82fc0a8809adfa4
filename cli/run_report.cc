#include "cli/run_report.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "crd/updaterun_codec.h"

namespace kcau::cli {

namespace {

std::string Seconds(const std::optional<TimePoint>& from, const std::optional<TimePoint>& to) {
  if (!from || !to) return "-";
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(*to - *from).count();
  return std::to_string(s) + "s";
}

}  // namespace

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
  return out.str();
}

std::string FormatProgress(const crd::UpdateRun& run) {
  const auto& st = run.status;
  std::ostringstream out;
  out << "phase=" << crd::RunPhaseName(st.phase) << " " << st.nodes_succeeded << "/"
      << st.nodes_total << " succeeded, " << st.nodes_failed << " failed |";
  for (const auto& n : st.nodes) out << " " << n.name << "=" << crd::NodePhaseName(n.phase);
  return out.str();
}

std::string FormatReport(const crd::UpdateRun& run) {
  const auto& st = run.status;
  std::ostringstream out;
  out << "UpdateRun " << run.name << ": " << crd::RunPhaseName(st.phase) << ", "
      << st.nodes_succeeded << " of " << st.nodes_total << " nodes succeeded, " << st.nodes_failed
      << " failed, took " << Seconds(st.start_time, st.completion_time) << "\n";
  for (const auto& c : st.conditions) {
    out << "  " << c.type << "=" << c.status << " (" << c.reason << "): " << c.message << "\n";
  }
  out << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "PHASE", "ATTEMPTS", "UPDATES", "REBOOTED", "DURATION", "MESSAGE"}};
  for (const auto& n : st.nodes) {
    rows.push_back({n.name, crd::NodePhaseName(n.phase), std::to_string(n.attempts),
                    std::to_string(n.updates_installed), n.rebooted ? "yes" : "no",
                    Seconds(n.start_time, n.finish_time), n.message});
  }
  out << FormatTable(rows);
  return out.str();
}

}  // namespace kcau::cli
