#include "metrics/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace kcau::metrics {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Sample> One(std::optional<double> value) {
  if (!value) return {};
  return {Sample{{}, *value}};
}

}  // namespace

std::optional<ProcessStats> ParseProcStat(const std::string& stat, long ticks_per_second,
                                          long page_size, double boot_time_seconds) {
  // The command is in parentheses and may itself contain ") ": the fields start after the
  // last one.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
  std::istringstream in(stat.substr(close + 1));
  // Field 3 (state) onwards; proc(5) numbers them from 1 with pid and comm first.
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  auto field = [&](size_t number) -> std::optional<double> {
    const size_t i = number - 3;
    if (i >= fields.size()) return std::nullopt;
    try {
      return std::stod(fields[i]);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  auto utime = field(14), stime = field(15), starttime = field(22), vsize = field(23),
       rss = field(24);
  if (!utime || !stime || !starttime || !vsize || !rss) return std::nullopt;
  ProcessStats s;
  s.cpu_seconds = (*utime + *stime) / static_cast<double>(ticks_per_second);
  s.start_time_seconds = boot_time_seconds + *starttime / static_cast<double>(ticks_per_second);
  s.virtual_memory_bytes = *vsize;
  s.resident_memory_bytes = *rss * static_cast<double>(page_size);
  return s;
}

std::optional<double> ParseBootTime(const std::string& proc_stat) {
  std::istringstream in(proc_stat);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) != 0) continue;
    try {
      return std::stod(line.substr(6));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> ParseMaxOpenFiles(const std::string& limits) {
  std::istringstream in(limits);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft;
    fields >> soft;
    try {
      return std::stod(soft);
    } catch (const std::exception&) {
      return std::nullopt;  // "unlimited"
    }
  }
  return std::nullopt;
}

void AddProcessMetrics(CallbackCollector& collector, std::string proc_self, std::string proc_stat) {
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  auto stats = [proc_self, proc_stat, ticks, page]() -> std::optional<ProcessStats> {
    const auto boot = ParseBootTime(ReadFile(proc_stat));
    if (!boot) return std::nullopt;
    return ParseProcStat(ReadFile(proc_self + "/stat"), ticks, page, *boot);
  };
  // One read of /proc per family and scrape: cheap, and never a stale value.
  auto from_stat = [stats](double ProcessStats::*member) -> CallbackCollector::Read {
    return [stats, member] {
      auto s = stats();
      return s ? One((*s).*member) : std::vector<Sample>{};
    };
  };
  using prometheus::MetricType;
  collector.Add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                MetricType::Counter, from_stat(&ProcessStats::cpu_seconds));
  collector.Add("process_resident_memory_bytes", "Resident memory size in bytes.",
                MetricType::Gauge, from_stat(&ProcessStats::resident_memory_bytes));
  collector.Add("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                from_stat(&ProcessStats::virtual_memory_bytes));
  collector.Add("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                from_stat(&ProcessStats::start_time_seconds));
  collector.Add("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                [proc_self] {
                  std::error_code ec;
                  double n = 0;
                  for (std::filesystem::directory_iterator it(proc_self + "/fd", ec), end;
                       !ec && it != end; it.increment(ec)) {
                    ++n;
                  }
                  return ec ? std::vector<Sample>{} : One(n);
                });
  collector.Add("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                [proc_self] { return One(ParseMaxOpenFiles(ReadFile(proc_self + "/limits"))); });
}

}  // namespace kcau::metrics
