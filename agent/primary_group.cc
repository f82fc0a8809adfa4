#include "agent/primary_group.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "agent/rooted_files.h"

namespace kcau::agent {
namespace {

std::optional<int64_t> ParseId(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int64_t> PrimaryGroupInPasswd(const std::string& passwd_text, int64_t uid) {
  std::istringstream lines(passwd_text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream columns(line);
    std::string field;
    while (std::getline(columns, field, ':')) fields.push_back(field);
    // name:password:uid:gid:gecos:home:shell; the trailing fields may be empty.
    if (fields.size() < 4) continue;
    std::optional<int64_t> line_uid = ParseId(fields[2]);
    std::optional<int64_t> line_gid = ParseId(fields[3]);
    if (line_uid && line_gid && *line_uid == uid) return line_gid;
  }
  return std::nullopt;
}

int64_t PrimaryGroupOf(const std::string& root, int64_t uid) {
  StatusOr<std::string> passwd = RootedFiles(root).ReadFile("/etc/passwd");
  if (!passwd.ok()) return uid;
  return PrimaryGroupInPasswd(*passwd, uid).value_or(uid);
}

}  // namespace kcau::agent
