#include "cli/report_export.h"

#include <sstream>
#include <vector>

#include "crd/names.h"

namespace kcau::cli {

namespace {

std::string Time(const std::optional<TimePoint>& t) { return t ? FormatRfc3339(*t) : ""; }

std::string DurationSeconds(const crd::NodeResult& n) {
  if (!n.start_time || !n.finish_time) return "";
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(*n.finish_time - *n.start_time).count());
}

// The per-node columns both formats share.
std::vector<std::string> NodeFields(const crd::NodeResult& n) {
  return {n.name,
          crd::NodePhaseName(n.phase),
          std::to_string(n.attempts),
          std::to_string(n.updates_installed),
          std::to_string(n.updates_found),
          n.rebooted ? "true" : "false",
          n.reboot_kind,
          Time(n.start_time),
          Time(n.finish_time),
          DurationSeconds(n),
          n.message};
}

const std::vector<std::string>& NodeHeader() {
  static const std::vector<std::string> header = {
      "node",       "phase",     "attempts",   "updatesInstalled", "updatesFound", "rebooted",
      "rebootKind", "startTime", "finishTime", "durationSeconds",  "message"};
  return header;
}

void HtmlRow(std::ostringstream& out, const std::vector<std::string>& cells, const char* tag) {
  out << "<tr>";
  for (const auto& c : cells) out << "<" << tag << ">" << HtmlEscape(c) << "</" << tag << ">";
  out << "</tr>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string ReportCsv(const crd::UpdateRun& run) {
  std::string out;
  auto record = [&out](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + CsvField(fields[i]);
    out += "\r\n";
  };
  record(NodeHeader());
  for (const auto& n : run.status.nodes) record(NodeFields(n));
  return out;
}

std::string ReportHtml(const crd::UpdateRun& run, TimePoint generated) {
  const auto& st = run.status;
  std::ostringstream out;
  const std::string title = "UpdateRun " + run.name;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << HtmlEscape(title) << "</title>\n"
      << "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style>\n"
      << "</head>\n<body>\n<h1>" << HtmlEscape(title) << "</h1>\n<table>\n";
  HtmlRow(out, {"phase", crd::RunPhaseName(st.phase)}, "td");
  HtmlRow(out, {"nodes", std::to_string(st.nodes_total)}, "td");
  HtmlRow(out, {"succeeded", std::to_string(st.nodes_succeeded)}, "td");
  HtmlRow(out, {"failed", std::to_string(st.nodes_failed)}, "td");
  HtmlRow(out, {"started", Time(st.start_time)}, "td");
  HtmlRow(out, {"completed", Time(st.completion_time)}, "td");
  HtmlRow(out, {"report generated", FormatRfc3339(generated)}, "td");
  out << "</table>\n<h2>Conditions</h2>\n<table>\n";
  HtmlRow(out, {"type", "status", "reason", "message", "lastTransitionTime"}, "th");
  for (const auto& c : st.conditions) {
    HtmlRow(out, {c.type, c.status, c.reason, c.message, FormatRfc3339(c.last_transition_time)},
            "td");
  }
  out << "</table>\n<h2>Nodes</h2>\n<table>\n";
  HtmlRow(out, NodeHeader(), "th");
  for (const auto& n : st.nodes) HtmlRow(out, NodeFields(n), "td");
  out << "</table>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace kcau::cli
