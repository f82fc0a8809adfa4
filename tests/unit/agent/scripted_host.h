// A Host whose commands answer from a script the test writes (exact argv -> result) and
// whose files live in a map: for what the test machine cannot run for real (rpm-ostree,
// bootc, a dnf without needs-restarting, a timeout of apt-get). Anything not scripted is an
// error, so a test sees every command the plug-in runs.
//
// Thread-safety: one thread at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/host.h"

namespace kcau::agent::testing {

class ScriptedHost final : public Host {
 public:
  // `argv` joined by single spaces.
  void Answer(const std::string& argv, int exit_code, const std::string& output,
              bool timed_out = false) {
    answers_[argv] =
        CommandResult{.exit_code = exit_code, .timed_out = timed_out, .output = output};
  }
  void AddFile(const std::string& path, const std::string& content = "") { files_[path] = content; }
  const std::vector<std::string>& commands() const { return commands_; }

  StatusOr<CommandResult> Run(const Command& command) override {
    std::string joined;
    for (const std::string& arg : command.argv) joined += (joined.empty() ? "" : " ") + arg;
    commands_.push_back(joined);
    auto it = answers_.find(joined);
    if (it == answers_.end()) return NotFoundError("no scripted answer for: " + joined);
    return it->second;
  }
  StatusOr<std::string> ReadFile(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return NotFoundError(path);
    return it->second;
  }
  Status WriteFile(const std::string& path, const std::string& content, uint32_t) override {
    files_[path] = content;
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override {
    files_.erase(path);
    return Status::Ok();
  }
  StatusOr<FileInfo> Stat(const std::string& path) override {
    if (files_.count(path) == 0) return FileInfo{};
    return FileInfo{.exists = true, .mode = 0644};
  }
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) override {
    return InternalError("not scripted");
  }
  StatusOr<std::string> BootId() override { return std::string("scripted-boot"); }
  Status Reboot(RebootKind) override { return InternalError("not scripted"); }

 private:
  std::map<std::string, CommandResult> answers_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> commands_;
};

}  // namespace kcau::agent::testing
