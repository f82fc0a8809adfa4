#include "agent/plugins/host_command.h"

#include <algorithm>
#include <cctype>

#include "agent/plugins/plugin_arguments.h"

namespace kcau::agent {

std::string OutputTail(const std::string& output, size_t max_lines, size_t max_bytes) {
  size_t end = output.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  ++end;
  // Walk back over the newlines that start the last `max_lines` lines.
  size_t begin = end;
  for (size_t lines = 0; lines < max_lines && begin > 0; ++lines) {
    size_t newline = output.rfind('\n', begin - 1);
    if (newline == std::string::npos) {
      begin = 0;
      break;
    }
    begin = newline;
  }
  if (output[begin] == '\n') ++begin;
  if (end - begin > max_bytes) begin = end - max_bytes;
  return output.substr(begin, end - begin);
}

std::string FailureOutput(const std::string& output) {
  constexpr size_t kMaxBytes = 4096;
  constexpr size_t kMaxErrorLines = 5;
  std::string tail = OutputTail(output, 20, kMaxBytes);
  size_t tail_begin = output.rfind(tail);
  std::string errors;
  size_t found = 0;
  size_t begin = 0;
  while (begin < tail_begin && found < kMaxErrorLines) {
    size_t end = output.find('\n', begin);
    if (end == std::string::npos || end > tail_begin) break;
    std::string line = output.substr(begin, end - begin);
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("e: ", 0) == 0 || lower.rfind("error", 0) == 0 ||
        lower.find(": error") != std::string::npos) {
      errors += line + "\n";
      ++found;
    }
    begin = end + 1;
  }
  if (errors.empty()) return tail;
  std::string text = errors + "...\n" + tail;
  return text.size() <= kMaxBytes ? text : text.substr(text.size() - kMaxBytes);
}

std::string DescribeCommand(const Command& command) {
  std::string text;
  for (const std::string& arg : command.argv) text += (text.empty() ? "" : " ") + arg;
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

StatusOr<CommandResult> RunOnHost(Host& host, const Command& command,
                                  std::initializer_list<int> ok_exit_codes) {
  StatusOr<CommandResult> result = host.Run(command);
  if (!result.ok()) {
    return Status(result.status().code(), "\"" + DescribeCommand(command) +
                                              "\" could not run: " + result.status().message());
  }
  std::string said_text = FailureOutput(result->output);
  std::string said = said_text.empty() ? " (no output)" : ":\n" + said_text;
  if (result->timed_out) {
    return UnavailableError("\"" + DescribeCommand(command) + "\" timed out after " +
                            DescribeMinutes(command.timeout) + said);
  }
  if (std::find(ok_exit_codes.begin(), ok_exit_codes.end(), result->exit_code) ==
      ok_exit_codes.end()) {
    std::string how = result->exit_code < 0
                          ? "was killed"
                          : "failed (exit " + std::to_string(result->exit_code) + ")";
    return UnavailableError("\"" + DescribeCommand(command) + "\" " + how + said);
  }
  return result;
}

}  // namespace kcau::agent
