// The file half of Host for a host whose root directory this process reaches at a path (the
// pod's "/host" mount, a test's throwaway root): every file operation goes to RootedFiles
// over that root. NsenterHost and ChrootHost differ only in how they run commands, read the
// boot ID and reboot.
//
// Thread-safety: as RootedFiles, safe from several threads at once.
#pragma once

#include <string>
#include <vector>

#include "agent/host.h"
#include "agent/rooted_files.h"

namespace kcau::agent {

class RootedHost : public Host {
 public:
  explicit RootedHost(std::string root) : files_(std::move(root)) {}

  StatusOr<std::string> ReadFile(const std::string& path) override { return files_.ReadFile(path); }
  Status WriteFile(const std::string& path, const std::string& content,
                   uint32_t mode = 0644) override {
    return files_.WriteFile(path, content, mode);
  }
  Status RemoveFile(const std::string& path) override { return files_.RemoveFile(path); }
  StatusOr<FileInfo> Stat(const std::string& path) override { return files_.Stat(path); }
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) override {
    return files_.ListDirectory(path);
  }

 protected:
  const std::string& root() const { return files_.root(); }

 private:
  RootedFiles files_;
};

}  // namespace kcau::agent
