#include "agent/plugins/image_updates.h"

#include <cpprest/json.h>

#include <sstream>

#include "agent/plugins/host_command.h"
#include "agent/plugins/install_summary.h"

namespace kcau::agent {

namespace {

constexpr int kRpmOstreeUnchanged = 77;

std::string ValueAfter(const std::string& output, const std::string& key) {
  for (const std::string& line : SplitLines(output)) {
    size_t at = line.find(key);
    if (at == std::string::npos || line.find_first_not_of(" \t") != at) continue;
    std::istringstream rest(line.substr(at + key.size()));
    std::string value;
    rest >> value;
    if (!value.empty()) return value;
  }
  return "";
}

}  // namespace

std::string ImageUpdateTitle(const std::string& check_output) {
  for (const char* key : {"Version:", "Commit:", "Digest:"}) {
    std::string value = ValueAfter(check_output, key);
    if (!value.empty()) return "OS image " + value;
  }
  return "OS image update";
}

StatusOr<bool> BootcHasStagedDeployment(const std::string& status_json) {
  try {
    web::json::value status = web::json::value::parse(status_json);
    if (!status.has_object_field("status")) {
      return InternalError("bootc status: no \"status\" object in its JSON");
    }
    const web::json::value& inner = status.at("status");
    return inner.has_field("staged") && !inner.at("staged").is_null();
  } catch (const web::json::json_exception& e) {
    return InternalError(std::string("bootc status: not JSON: ") + e.what());
  }
}

Status ImageUpdates::Refuse() const {
  if (settings_.filter.Narrows()) {
    return InvalidArgumentError(
        "plug-in packages: include, exclude and securityOnly cannot apply on an image-based "
        "host, which takes its OS image whole");
  }
  if (settings_.target_release) {
    return InvalidArgumentError(
        "plug-in packages: argument \"targetRelease\": not supported on an image-based host "
        "(another release is another image reference: rebase the host to it)");
  }
  return Status::Ok();
}

Command ImageUpdates::Tool(const std::vector<std::string>& args) const {
  Command command;
  command.argv = {tool_ == ImageTool::kRpmOstree ? "rpm-ostree" : "bootc"};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.timeout = settings_.timeout;
  return command;
}

StatusOr<std::vector<std::string>> ImageUpdates::Scan(Host& host) {
  if (Status refused = Refuse(); !refused.ok()) return refused;
  StatusOr<CommandResult> check =
      tool_ == ImageTool::kRpmOstree
          ? RunOnHost(host, Tool({"upgrade", "--check"}), {0, kRpmOstreeUnchanged})
          : RunOnHost(host, Tool({"upgrade", "--check"}));
  if (!check.ok()) return check.status();
  bool none = tool_ == ImageTool::kRpmOstree
                  ? check->exit_code == kRpmOstreeUnchanged
                  : check->output.find("No changes in") != std::string::npos;
  if (none) return std::vector<std::string>{};
  return std::vector<std::string>{ImageUpdateTitle(check->output)};
}

StatusOr<StageResult> ImageUpdates::Stage(Host& host) {
  StatusOr<std::vector<std::string>> found = Scan(host);
  if (!found.ok()) return found.status();
  if (found->empty()) return StageResult{};
  StatusOr<CommandResult> download =
      RunOnHost(host, tool_ == ImageTool::kRpmOstree ? Tool({"upgrade", "--download-only"})
                                                     : Tool({"upgrade"}));
  if (!download.ok()) return download.status();
  return StageResult{.titles = *found};
}

StatusOr<InstallResult> ImageUpdates::Install(Host& host) {
  StatusOr<std::vector<std::string>> found = Scan(host);
  if (!found.ok()) return found.status();
  InstallResult result;
  if (tool_ == ImageTool::kRpmOstree) {
    StatusOr<CommandResult> upgrade =
        RunOnHost(host, Tool({"upgrade", "--unchanged-exit-77"}), {0, kRpmOstreeUnchanged});
    if (!upgrade.ok()) return upgrade.status();
    result.reboot_required = upgrade->exit_code == 0;
  } else {
    StatusOr<CommandResult> upgrade = RunOnHost(host, Tool({"upgrade"}));
    if (!upgrade.ok()) return upgrade.status();
    StatusOr<CommandResult> status = RunOnHost(host, Tool({"status", "--format=json"}));
    if (!status.ok()) return status.status();
    StatusOr<bool> staged = BootcHasStagedDeployment(status->output);
    if (!staged.ok()) return staged.status();
    result.reboot_required = *staged;
  }
  if (result.reboot_required) {
    result.titles = found->empty() ? std::vector<std::string>{"OS image update"} : *found;
    result.reboot_required_by = {"the new OS image deployment"};
    // A new image brings its own kernel: only a full boot takes it into use.
    result.firmware_or_kernel_changed = true;
  }
  result.message = DescribeInstall(result);
  return result;
}

}  // namespace kcau::agent
