// The process metrics every Prometheus client library exports (the Go client's process
// collector): CPU seconds, resident and virtual memory, start time, open and maximum file
// descriptors, read from /proc/self at each scrape.
//
// Thread-safety: the parsers are pure; the callbacks AddProcessMetrics registers read /proc
// and are safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "metrics/callback_collector.h"

namespace kcau::metrics {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// /proc/<pid>/stat's text (fields after the parenthesised command, which may hold spaces
// and parentheses), with the clock ticks per second, the page size and the boot time
// (/proc/stat's btime) to turn its units into seconds and bytes. nullopt when malformed.
std::optional<ProcessStats> ParseProcStat(const std::string& stat, long ticks_per_second,
                                          long page_size, double boot_time_seconds);
// /proc/stat's "btime" line: the boot time in seconds since the epoch.
std::optional<double> ParseBootTime(const std::string& proc_stat);
// /proc/<pid>/limits's "Max open files" soft limit; nullopt when absent or unlimited.
std::optional<double> ParseMaxOpenFiles(const std::string& limits);

// Registers process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds and
// process_max_fds, read from `proc_self` ("/proc/self"; tests point it elsewhere).
// `proc_stat` is the system's /proc/stat (for the boot time).
void AddProcessMetrics(CallbackCollector& collector, std::string proc_self = "/proc/self",
                       std::string proc_stat = "/proc/stat");

}  // namespace kcau::metrics
