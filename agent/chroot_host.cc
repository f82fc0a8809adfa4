#include "agent/chroot_host.h"

#include "agent/boot_id.h"

namespace kcau::agent {

ChrootHost::ChrootHost(const Clock& clock, std::string root_dir, std::string boot_id_file,
                       RebootFn reboot)
    : RootedHost(root_dir),
      boot_id_file_(std::move(boot_id_file)),
      reboot_(std::move(reboot)),
      runner_(clock, root_dir) {}

StatusOr<CommandResult> ChrootHost::Run(const Command& command) { return runner_.Run(command); }

StatusOr<std::string> ChrootHost::BootId() { return ReadBootIdFile(boot_id_file_); }

Status ChrootHost::Reboot(RebootKind kind) {
  if (!reboot_) {
    return InternalError(std::string("ChrootHost was given no reboot callback; cannot do a ") +
                         RebootKindName(kind) + " reboot");
  }
  return reboot_(kind);
}

}  // namespace kcau::agent
