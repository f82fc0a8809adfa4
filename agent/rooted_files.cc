#include "agent/rooted_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "agent/errno_status.h"
#include "agent/path_in_root.h"
#include "agent/unique_fd.h"

namespace kcau::agent {
namespace {

Status WriteAll(int fd, const std::string& content, const std::string& what) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write " + what);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Makes a rename in `dir` durable: without it a crash can forget the new name.
Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open " + dir);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + dir);
  return Status::Ok();
}

// Unlinks a temporary file unless it was renamed into place.
struct TemporaryFile {
  std::string path;
  bool renamed = false;
  ~TemporaryFile() {
    if (!renamed) unlink(path.c_str());
  }
};

std::string FormatMode(uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04o", mode);
  return text;
}

}  // namespace

StatusOr<std::string> RootedFiles::ReadFile(const std::string& path) const {
  StatusOr<std::string> resolved = ResolveInRoot(root_, path, FinalSymlink::kFollow);
  if (!resolved.ok()) return resolved.status();
  UniqueFd fd(open(resolved->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open " + *resolved);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "fstat " + *resolved);
  if (S_ISDIR(st.st_mode)) return InvalidArgumentError("read " + path + ": is a directory");
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read " + *resolved);
    }
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
  }
}

Status RootedFiles::WriteFile(const std::string& path, const std::string& content,
                              uint32_t mode) const {
  if ((mode & ~07777u) != 0) {
    return InvalidArgumentError("write " + path + ": mode " + FormatMode(mode) +
                                " has bits beyond the permission bits 07777");
  }
  StatusOr<std::string> resolved = ResolveInRoot(root_, path, FinalSymlink::kFollow);
  if (!resolved.ok()) return resolved.status();
  const size_t slash = resolved->rfind('/');
  const std::string dir = slash == 0 ? "/" : resolved->substr(0, slash);
  const std::string name = resolved->substr(slash + 1);
  if (name.empty()) return InvalidArgumentError("write " + path + ": names no file");

  // Beside the target so the rename stays within one filesystem; hidden so a directory
  // listing during the write does not see it as a file of its own.
  std::string pattern = dir + (dir == "/" ? "" : "/") + "." + name + ".kcau-XXXXXX";
  UniqueFd fd(mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "create a temporary file in " + dir);
  TemporaryFile temp{pattern};

  if (Status s = WriteAll(fd.get(), content, temp.path); !s.ok()) return s;
  // fchmod, unlike the mode given to open, is not narrowed by the umask.
  if (fchmod(fd.get(), mode) != 0) return ErrnoStatus(errno, "chmod " + temp.path);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync " + temp.path);
  // A failed close (NFS) can mean the data never arrived.
  if (close(fd.Release()) != 0) return ErrnoStatus(errno, "close " + temp.path);
  if (rename(temp.path.c_str(), resolved->c_str()) != 0) {
    return ErrnoStatus(errno, "rename " + temp.path + " to " + *resolved);
  }
  temp.renamed = true;
  return SyncDirectory(dir);
}

Status RootedFiles::RemoveFile(const std::string& path) const {
  StatusOr<std::string> resolved = ResolveInRoot(root_, path, FinalSymlink::kKeep);
  if (!resolved.ok()) return resolved.status();
  if (unlink(resolved->c_str()) == 0 || errno == ENOENT) return Status::Ok();
  if (errno == EISDIR) {
    if (rmdir(resolved->c_str()) == 0 || errno == ENOENT) return Status::Ok();
    return ErrnoStatus(errno, "rmdir " + *resolved);
  }
  return ErrnoStatus(errno, "unlink " + *resolved);
}

StatusOr<FileInfo> RootedFiles::Stat(const std::string& path) const {
  StatusOr<std::string> resolved = ResolveInRoot(root_, path, FinalSymlink::kFollow);
  if (!resolved.ok()) return resolved.status();
  struct stat st;
  if (stat(resolved->c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
    return ErrnoStatus(errno, "stat " + *resolved);
  }
  FileInfo info;
  info.exists = true;
  info.is_directory = S_ISDIR(st.st_mode);
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  return info;
}

StatusOr<std::vector<std::string>> RootedFiles::ListDirectory(const std::string& path) const {
  StatusOr<std::string> resolved = ResolveInRoot(root_, path, FinalSymlink::kFollow);
  if (!resolved.ok()) return resolved.status();
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(resolved->c_str()), closedir);
  if (!dir) return ErrnoStatus(errno, "opendir " + *resolved);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* entry = readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, "readdir " + *resolved);
      break;
    }
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kcau::agent
