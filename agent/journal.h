// What the agent is doing, and for which request, kept on the host so that an agent killed
// at any instant (its pod deleted, the node rebooting under it, an OOM kill) neither repeats
// an install nor reboots twice for one request. Each step is recorded *before* the action
// it announces, as the controller records a node's phase before acting:
//
//   installing  the plug-ins were started for `token` (killed here: the next agent finishes
//               the same install, never starts a second one for this token)
//   rebooting   the install is done; a reboot from boot `boot_id` was asked for (killed
//               here: a changed boot ID means it happened; the same one means it did not)
//   done        nothing left to do for `token`
//
// Kept at /var/lib/kcau/<name>.json on the host (written atomically through Host).
//
// Thread-safety: not thread-safe; the agent handles one request at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/host.h"
#include "common/status.h"

namespace kcau::agent {

enum class JournalStep { kInstalling, kRebooting, kDone };

struct JournalEntry {
  std::string token;
  JournalStep step = JournalStep::kInstalling;
  std::string boot_id;              // kRebooting: the boot the reboot leaves
  std::string reboot_kind;          // kRebooting: "full", "soft", "kexec"
  std::vector<std::string> titles;  // what the install installed
  std::string message;
  // A re-scan round taken after a reboot (kRescanRequestAnnotation): the encoded result of
  // the round that rebooted, carried in this round's results (AgentResult::previous).
  std::string previous;
  bool operator==(const JournalEntry&) const = default;
};

class Journal {
 public:
  // `name`: "update" or "hook" (one file each: a hook may run while nothing installs).
  Journal(Host& host, std::string name, std::string directory = "/var/lib/kcau");

  // nullopt when nothing was ever recorded; an unreadable journal is an error (the agent
  // then refuses to act rather than guess).
  StatusOr<std::optional<JournalEntry>> Load();
  Status Save(const JournalEntry& entry);

  const std::string& path() const { return path_; }

 private:
  Host& host_;
  std::string path_;
};

const char* JournalStepName(JournalStep step);

}  // namespace kcau::agent
