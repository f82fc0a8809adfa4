#include "agent/path_in_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "agent/errno_status.h"

namespace kcau::agent {
namespace {

// As many as Linux follows in one lookup before it answers ELOOP.
constexpr int kMaxSymlinks = 40;

void AppendComponents(const std::string& path, std::deque<std::string>& out, bool at_front) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  if (at_front) {
    out.insert(out.begin(), parts.begin(), parts.end());
  } else {
    out.insert(out.end(), parts.begin(), parts.end());
  }
}

std::string Join(const std::string& root, const std::vector<std::string>& components) {
  std::string joined = root;
  while (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  if (joined == "/") joined.clear();
  for (const std::string& c : components) joined += "/" + c;
  return joined.empty() ? "/" : joined;
}

StatusOr<std::string> ReadLink(const std::string& path) {
  std::string target(256, '\0');
  while (true) {
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoStatus(errno, "readlink " + path);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

}  // namespace

StatusOr<std::string> ResolveInRoot(const std::string& root, const std::string& path,
                                    FinalSymlink final_symlink) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgumentError("path \"" + path + "\" is not absolute");
  }
  if (path.find('\0') != std::string::npos) {
    return InvalidArgumentError("path \"" + path + "\" contains a NUL byte");
  }
  std::deque<std::string> pending;
  AppendComponents(path, pending, /*at_front=*/false);
  // "dir/" names the directory a symlink points to, whatever final_symlink says.
  const bool trailing_slash = path.back() == '/';
  std::vector<std::string> resolved;
  bool missing = false;  // a component did not exist: the rest is taken as written
  int symlinks = 0;
  while (!pending.empty()) {
    std::string component = std::move(pending.front());
    pending.pop_front();
    if (component == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(std::move(component));
    if (missing) continue;
    const std::string full = Join(root, resolved);
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        missing = true;
        continue;
      }
      return ErrnoStatus(errno, "lstat " + full);
    }
    if (!S_ISLNK(st.st_mode)) continue;
    if (pending.empty() && !trailing_slash && final_symlink == FinalSymlink::kKeep) continue;
    if (++symlinks > kMaxSymlinks) {
      return InvalidArgumentError("path \"" + path + "\": too many levels of symbolic links");
    }
    StatusOr<std::string> target = ReadLink(full);
    if (!target.ok()) return target.status();
    resolved.pop_back();
    if (!target->empty() && target->front() == '/') resolved.clear();
    AppendComponents(*target, pending, /*at_front=*/true);
  }
  return Join(root, resolved);
}

}  // namespace kcau::agent
