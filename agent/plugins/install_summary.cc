#include "agent/plugins/install_summary.h"

namespace kcau::agent {

std::string DescribeInstall(const InstallResult& result) {
  std::string message;
  size_t count = result.titles.size();
  if (count == 0) {
    message = "nothing to install";
  } else {
    message = "installed " + std::to_string(count) + (count == 1 ? " update" : " updates");
  }
  if (!result.reboot_required) return message;
  message += "; reboot required";
  if (!result.reboot_required_by.empty()) {
    message += " by ";
    for (size_t i = 0; i < result.reboot_required_by.size(); ++i) {
      message += (i == 0 ? "" : ", ") + result.reboot_required_by[i];
    }
  }
  if (result.firmware_or_kernel_changed) message += " (kernel or firmware changed)";
  return message;
}

}  // namespace kcau::agent
