// The host's files as Host's file operations see them, for a host whose root directory is
// mounted at `root` ("/host" for NsenterHost, the throwaway root for ChrootHost; "/" for the
// machine this process runs on). Every path is the host's absolute path and is resolved with
// ResolveInRoot (agent/path_in_root.h), so the host's own symlinks lead where they lead on
// the host.
//
// Thread-safety: no state beyond the root; safe to call from several threads at once (two
// writers of one file race as two `mv`s would: one of the complete contents wins).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/host.h"
#include "common/status.h"

namespace kcau::agent {

class RootedFiles {
 public:
  explicit RootedFiles(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // NotFound when absent; InvalidArgument for a directory.
  StatusOr<std::string> ReadFile(const std::string& path) const;
  // Written to a temporary file beside `path`, fsynced, renamed over it and the directory
  // fsynced: after a crash `path` holds the old or the new content, never a mix. A symlink at
  // `path` is followed, so the file it points to is replaced (as `echo > path` would). The
  // directory must exist. The file ends up owned by this process's user with `mode`.
  Status WriteFile(const std::string& path, const std::string& content,
                   uint32_t mode = 0644) const;
  // A file, a symlink (not what it points to) or an empty directory; absent is fine.
  Status RemoveFile(const std::string& path) const;
  // exists = false (and OK) when absent; a symlink reports what it points to.
  StatusOr<FileInfo> Stat(const std::string& path) const;
  // Sorted names, without "." and "..".
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) const;

 private:
  std::string root_;
};

}  // namespace kcau::agent
