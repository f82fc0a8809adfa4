// The `packages` plug-in on an image-based host (/run/ostree-booted: Fedora CoreOS, RHEL for
// Edge, bootc images), where the OS is updated as a whole new deployment, never package by
// package: so osRollingUpgrade or not, an update is a new image, staged beside the running
// one and taken into use by the reboot it always needs.
//   rpm-ostree  Scan `rpm-ostree upgrade --check` (exit 77: none), Stage --download-only,
//               Install `rpm-ostree upgrade --unchanged-exit-77` (77: nothing new)
//   bootc       Scan `bootc upgrade --check` ("No changes in"), Stage and Install
//               `bootc upgrade` (bootc downloads by queueing the new deployment, which
//               changes nothing before the next boot), then `bootc status --format=json`
//               says whether a deployment is staged
// include/exclude/securityOnly and targetRelease are refused: an image is taken whole, and
// moving to another release is a rebase to another image reference, an administrator's act.
//
// Thread-safety: one thread at a time (a Plugin).
#pragma once

#include <string>
#include <vector>

#include "agent/plugin.h"
#include "agent/plugins/packages_settings.h"

namespace kcau::agent {

enum class ImageTool { kRpmOstree, kBootc };

class ImageUpdates final : public Plugin {
 public:
  ImageUpdates(ImageTool tool, PackagesSettings settings)
      : tool_(tool), settings_(std::move(settings)) {}

  std::string Name() const override { return kPackagesPlugin; }
  StatusOr<std::vector<std::string>> Scan(Host& host) override;
  StatusOr<StageResult> Stage(Host& host) override;
  StatusOr<InstallResult> Install(Host& host) override;

 private:
  Status Refuse() const;  // the arguments an image-based host cannot honour
  Command Tool(const std::vector<std::string>& args) const;

  ImageTool tool_;
  PackagesSettings settings_;
};

// "OS image 40.20240416.3.0" from `rpm-ostree upgrade --check` or `bootc upgrade --check`
// when they announce an update (the Version line, else the Commit or Digest).
std::string ImageUpdateTitle(const std::string& check_output);

// Whether `bootc status --format=json` shows a staged deployment (status.staged not null).
StatusOr<bool> BootcHasStagedDeployment(const std::string& status_json);

}  // namespace kcau::agent
