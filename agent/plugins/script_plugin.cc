#include "agent/plugins/script_plugin.h"

#include <openssl/evp.h>

#include <cstdio>

#include "agent/plugins/host_command.h"
#include "agent/plugins/install_summary.h"
#include "agent/plugins/plugin_arguments.h"

namespace kcau::agent {

namespace {

constexpr uint32_t kGroupOrOtherWrite = 0022;
constexpr uint32_t kSticky = 01000;

std::string Octal(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode);
  return text;
}

Status AclError(const std::string& path, const std::string& problem) {
  return UnauthorizedError("plug-in script: " + path + " " + problem +
                           "; scripts run as root, so only root may change them (or set "
                           "disableAclChecks: \"true\")");
}

}  // namespace

std::string Sha256Hex(const std::string& content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(content.data(), content.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

StatusOr<std::unique_ptr<Plugin>> MakeScriptPlugin(
    const std::map<std::string, std::string>& arguments) {
  StatusOr<PluginArguments> args =
      PluginArguments::Make(kScriptPlugin, arguments, {"path", "disableAclChecks"});
  if (!args.ok()) return args.status();
  std::optional<std::string> path = args->Get("path");
  if (!path)
    return args->Error("path", "is required: the host folder holding " +
                                   std::string(kHotfixManifest) + " and the scripts");
  while (path->size() > 1 && path->back() == '/') path->pop_back();
  if ((*path)[0] != '/' || path->size() > 4096 || path->find("/../") != std::string::npos ||
      path->ends_with("/..")) {
    return args->Error("path", QuoteForMessage(*path) + " is not an absolute path on the host");
  }
  StatusOr<bool> disable = args->Bool("disableAclChecks", false);
  if (!disable.ok()) return disable.status();
  return std::unique_ptr<Plugin>(std::make_unique<ScriptPlugin>(*path, !*disable));
}

Status ScriptPlugin::CheckAcl(Host& host, const std::string& path, bool directory) {
  StatusOr<FileInfo> info = host.Stat(path);
  if (!info.ok()) return info.status();
  if (!info->exists) return NotFoundError("plug-in script: " + path + " does not exist");
  if (info->is_directory != directory) {
    return InvalidArgumentError("plug-in script: " + path + " is " +
                                (directory ? "not a folder" : "a folder, not a file"));
  }
  if (!acl_checks_) return Status::Ok();
  if (info->uid != 0) {
    return AclError(path, "is owned by uid " + std::to_string(info->uid) + ", not root");
  }
  if (info->mode & kGroupOrOtherWrite) {
    return AclError(path, "is writable by group or others (mode " + Octal(info->mode) + ")");
  }
  return Status::Ok();
}

Status ScriptPlugin::CheckParents(Host& host) {
  if (!acl_checks_) return Status::Ok();
  std::string parent = folder_;
  while (parent != "/") {
    parent = parent.substr(0, parent.rfind('/'));
    if (parent.empty()) parent = "/";
    StatusOr<FileInfo> info = host.Stat(parent);
    if (!info.ok()) return info.status();
    // Whoever may write a parent may swap the folder for their own; under the sticky bit
    // they may not move root's.
    bool swappable = (info->mode & kGroupOrOtherWrite) && !(info->mode & kSticky);
    if (info->uid != 0 || swappable) {
      return AclError(parent, "(a parent of " + folder_ + ") is owned by uid " +
                                  std::to_string(info->uid) + " with mode " + Octal(info->mode));
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<ScriptPlugin::Pending>> ScriptPlugin::PendingScripts(Host& host) {
  if (Status checked = CheckAcl(host, folder_, /*directory=*/true); !checked.ok()) return checked;
  if (Status checked = CheckParents(host); !checked.ok()) return checked;
  std::string manifest_path = folder_ + "/" + kHotfixManifest;
  if (Status checked = CheckAcl(host, manifest_path, false); !checked.ok()) return checked;
  StatusOr<std::string> manifest = host.ReadFile(manifest_path);
  if (!manifest.ok()) return manifest.status();
  StatusOr<std::vector<HotfixEntry>> entries = ParseHotfixManifest(*manifest);
  if (!entries.ok()) return entries.status();

  std::vector<Pending> pending;
  for (const HotfixEntry& entry : *entries) {
    std::string script = folder_ + "/" + entry.script;
    if (Status checked = CheckAcl(host, script, false); !checked.ok()) return checked;
    StatusOr<FileInfo> info = host.Stat(script);
    if (!info.ok()) return info.status();
    if ((info->mode & 0100) == 0) {
      return InvalidArgumentError("plug-in script: " + script + " is not executable (mode " +
                                  Octal(info->mode) + ")");
    }
    StatusOr<std::string> content = host.ReadFile(script);
    if (!content.ok()) return content.status();
    std::string record = std::string(kHotfixRecords) + "/" + Sha256Hex(*content);
    StatusOr<FileInfo> applied = host.Stat(record);
    if (!applied.ok()) return applied.status();
    if (!applied->exists) pending.push_back(Pending{.entry = entry, .record = record});
  }
  return pending;
}

StatusOr<std::vector<std::string>> ScriptPlugin::Scan(Host& host) {
  StatusOr<std::vector<Pending>> pending = PendingScripts(host);
  if (!pending.ok()) return pending.status();
  std::vector<std::string> titles;
  for (const Pending& script : *pending) titles.push_back(script.entry.script);
  return titles;
}

StatusOr<StageResult> ScriptPlugin::Stage(Host& host) {
  StatusOr<std::vector<std::string>> titles = Scan(host);
  if (!titles.ok()) return titles.status();
  return StageResult{.titles = *titles};
}

StatusOr<InstallResult> ScriptPlugin::Install(Host& host) {
  StatusOr<std::vector<Pending>> pending = PendingScripts(host);
  if (!pending.ok()) return pending.status();
  InstallResult result;
  if (!pending->empty()) {
    Command mkdir{.argv = {"mkdir", "-p", kHotfixRecords}, .timeout = std::chrono::minutes(1)};
    StatusOr<CommandResult> made = RunOnHost(host, mkdir);
    if (!made.ok()) return made.status();
  }
  for (const Pending& script : *pending) {
    Command run{.argv = {folder_ + "/" + script.entry.script},
                .timeout = script.entry.timeout,
                .working_dir = folder_};
    StatusOr<CommandResult> ran = RunOnHost(host, run);
    if (!ran.ok()) {
      std::string applied;
      for (const std::string& title : result.titles) applied += " " + title;
      return Status(ran.status().code(),
                    ran.status().message() +
                        (applied.empty() ? "" : "\n(applied before it:" + applied + ")"));
    }
    if (Status recorded =
            host.WriteFile(script.record, folder_ + "/" + script.entry.script + "\n", 0600);
        !recorded.ok()) {
      return recorded;
    }
    result.titles.push_back(script.entry.script);
    if (script.entry.reboot) {
      result.reboot_required = true;
      result.reboot_required_by.push_back(script.entry.script);
    }
  }
  result.message = DescribeInstall(result);
  return result;
}

}  // namespace kcau::agent
