#include "agent/boot_id.h"

#include "agent/rooted_files.h"

namespace kcau::agent {

StatusOr<std::string> ReadBootIdFile(const std::string& path) {
  StatusOr<std::string> text = RootedFiles("/").ReadFile(path);
  if (!text.ok()) return text.status();
  const size_t begin = text->find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return InvalidArgumentError("boot ID file " + path + " is empty");
  const size_t end = text->find_last_not_of(" \t\r\n");
  return text->substr(begin, end - begin + 1);
}

}  // namespace kcau::agent
