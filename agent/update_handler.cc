#include "agent/update_handler.h"

#include <cpprest/json.h>

#include <cstdio>

namespace kcau::agent {

namespace {

using web::json::value;

std::string Get(const Annotations& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? "" : it->second;
}

bool OptionSet(const Annotations& a, const char* option) {
  const std::string text = Get(a, kOptionsAnnotation);
  if (text.empty()) return false;
  try {
    const value v = value::parse(text);
    return v.has_boolean_field(option) && v.at(option).as_bool();
  } catch (const std::exception&) {
    return false;
  }
}

std::string Summary(size_t installed, bool reboot, const std::string& kind) {
  return std::to_string(installed) + " update(s) installed" +
         (reboot ? "; rebooting (" + kind + ")" : "; no reboot needed");
}

}  // namespace

StatusOr<std::vector<std::pair<std::string, std::map<std::string, std::string>>>> DecodePluginList(
    const std::string& text) {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> out;
  try {
    const value v = value::parse(text);
    for (const auto& p : v.as_array()) {
      std::map<std::string, std::string> args;
      if (p.has_object_field("arguments")) {
        for (const auto& [k, a] : p.at("arguments").as_object()) args[k] = a.as_string();
      }
      out.emplace_back(p.at("name").as_string(), args);
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(kPluginsAnnotation) +
                                ": not a plug-in list: " + e.what());
  }
  return out;
}

UpdateHandler::UpdateHandler(Host& host, Journal& journal, std::string node,
                             const RequestVerifyKeys& keys, PluginFactory plugins,
                             PublishResult publish)
    : host_(host),
      journal_(journal),
      node_(std::move(node)),
      keys_(keys),
      plugins_(std::move(plugins)),
      publish_(std::move(publish)) {}

Status UpdateHandler::Handle(const Annotations& annotations) {
  const std::string requested = Get(annotations, kRequestAnnotation);
  if (requested.empty()) return Status::Ok();
  const std::string rescan = Get(annotations, kRescanRequestAnnotation);
  auto published = DecodeAgentResult(Get(annotations, kResultAnnotation));
  auto recorded = journal_.Load();
  if (!recorded.ok()) return recorded.status();
  const std::optional<JournalEntry>& entry = *recorded;
  // Once the re-scan round the request asked for has begun, that round is the one at hand.
  const std::string token = entry && !rescan.empty() && entry->token == rescan ? rescan : requested;

  if (entry && entry->token == token) {
    auto result = DecodeAgentResult(entry->message);
    switch (entry->step) {
      case JournalStep::kDone:
        // Answered already; publish again only if the answer was lost.
        if (result && (!published || published->token != token)) return publish_(*result);
        return Status::Ok();
      case JournalStep::kRebooting: {
        auto boot = host_.BootId();
        if (!boot.ok()) return boot.status();
        JournalEntry done = *entry;
        if (*boot != entry->boot_id) {
          // The reboot happened: the request is complete, and its re-scan round is next.
          if (!rescan.empty() && token != rescan && result) {
            return Begin(rescan, annotations, &*result);
          }
          done.step = JournalStep::kDone;
          return journal_.Save(done);
        }
        // Recorded, but this boot is the one the reboot was to leave: it was never asked
        // for (killed in between) or did not happen. Asking now is the first reboot.
        if (!result) return InternalError("journal " + journal_.path() + " lost the result");
        return RebootFor(done, *result);
      }
      case JournalStep::kInstalling:
        // Killed mid-install: finish the same install (the package managers pick up where
        // they stopped); never a second one for this token.
        return Install(*entry, annotations);
    }
  }
  if (published && published->state != AgentState::kInstalling &&
      (published->token == token || (!rescan.empty() && published->token == rescan))) {
    return Status::Ok();  // answered before the journal was kept (or it was cleaned)
  }

  return Begin(token, annotations, nullptr);
}

Status UpdateHandler::Refuse(const std::string& token, const Status& why) {
  AgentResult refused;
  refused.token = token;
  refused.state = AgentState::kFailed;
  refused.message = RefusalMessage(why);
  return publish_(refused);
}

// The signature is checked for the re-scan round too: its token is part of what the
// controller signed.
Status UpdateHandler::Begin(const std::string& token, const Annotations& annotations,
                            const AgentResult* previous) {
  if (Status verified = keys_.Verify(RequestKind::kUpdate, node_, annotations); !verified.ok()) {
    return Refuse(token, verified);
  }
  if (previous == nullptr && Get(annotations, kModeAnnotation) == kScanMode) {
    return Scan(token, annotations);
  }
  JournalEntry started{token, JournalStep::kInstalling};
  if (previous != nullptr) started.previous = EncodeAgentResult(*previous);
  if (Status s = journal_.Save(started); !s.ok()) return s;
  return Install(started, annotations);
}

Status UpdateHandler::Scan(const std::string& token, const Annotations& annotations) {
  AgentResult result;
  result.token = token;
  result.state = AgentState::kScanned;
  auto list = DecodePluginList(Get(annotations, kPluginsAnnotation));
  std::string failures;
  if (list.ok()) {
    for (const auto& [name, args] : *list) {
      auto plugin = plugins_(name, args, {OptionSet(annotations, "osRollingUpgrade")});
      auto titles = plugin.ok() ? (*plugin)->Scan(host_)
                                : StatusOr<std::vector<std::string>>(plugin.status());
      if (!titles.ok()) {
        failures += (failures.empty() ? "" : "; ") + name + ": " + titles.status().message();
        continue;
      }
      result.titles.insert(result.titles.end(), titles->begin(), titles->end());
    }
  } else {
    failures = list.status().message();
  }
  result.updates_found = static_cast<int>(result.titles.size());
  if (!failures.empty()) {
    result.state = AgentState::kFailed;
    result.message = "scan failed: " + failures;
  } else {
    result.message = std::to_string(result.updates_found) + " update(s) apply";
  }
  return publish_(result);
}

Status UpdateHandler::Install(const JournalEntry& started, const Annotations& annotations) {
  const std::string& token = started.token;
  AgentResult result;
  result.token = token;
  result.state = AgentState::kInstalling;
  // A re-scan round says, in each of its results, how the round before it ended.
  const bool rescan_round = !started.previous.empty();
  if (auto previous = DecodeAgentResult(started.previous)) result.previous.push_back(*previous);
  auto boot = host_.BootId();
  if (!boot.ok()) return boot.status();
  result.boot_id = *boot;
  if (Status s = publish_(result); !s.ok()) return s;

  const PluginOptions options{OptionSet(annotations, "osRollingUpgrade")};
  const bool stop_on_failure = OptionSet(annotations, "stopOnPluginFailure");
  auto list = DecodePluginList(Get(annotations, kPluginsAnnotation));
  std::string failures;
  std::vector<std::unique_ptr<Plugin>> plugins;
  if (list.ok()) {
    for (const auto& [name, args] : *list) {
      auto plugin = plugins_(name, args, options);
      if (!plugin.ok()) {
        failures += (failures.empty() ? "" : "; ") + name + ": " + plugin.status().message();
        continue;
      }
      plugins.push_back(std::move(*plugin));
    }
  } else {
    failures = list.status().message();
  }

  // Stage first (CAU's UpdateStagingResult: downloaded and ready), then install.
  for (auto& plugin : plugins) {
    if (!failures.empty()) break;
    auto staged = plugin->Stage(host_);
    if (!staged.ok()) {
      failures = plugin->Name() + ": " + staged.status().message();
      break;
    }
    result.staged.insert(result.staged.end(), staged->titles.begin(), staged->titles.end());
  }
  if (!result.staged.empty()) {
    if (Status s = publish_(result); !s.ok()) return s;
  }
  // forceReboot is the first round's: the re-scan after that reboot forces no other.
  bool reboot = Get(annotations, kForceRebootAnnotation) == "true" && !rescan_round;
  bool kernel_changed = false;
  for (auto& plugin : plugins) {
    if (!failures.empty() && stop_on_failure) break;
    auto installed = plugin->Install(host_);
    if (!installed.ok()) {
      failures +=
          (failures.empty() ? "" : "; ") + plugin->Name() + ": " + installed.status().message();
      continue;
    }
    result.titles.insert(result.titles.end(), installed->titles.begin(), installed->titles.end());
    reboot |= installed->reboot_required;
    kernel_changed |= installed->firmware_or_kernel_changed;
  }
  // `staged` stays in the round's result: a controller that never saw the Installing result
  // in between still learns the updates were staged first.
  result.updates_installed = static_cast<int>(result.titles.size());
  JournalEntry entry{token, JournalStep::kDone};
  entry.titles = result.titles;
  if (!failures.empty()) {
    // A plug-in failed: nothing is rebooted (agent/protocol.h's Failed).
    result.state = AgentState::kFailed;
    result.message = "update failed: " + failures;
    return Finish(entry, result);
  }
  result.state = AgentState::kInstalled;
  if (!reboot) {
    result.message = Summary(result.titles.size(), false, "");
    return Finish(entry, result);
  }
  const RebootKind kind = ChooseRebootKind(Get(annotations, kRebootModeAnnotation), kernel_changed);
  result.reboot_required = true;
  result.reboot_kind = RebootKindName(kind);
  result.message = Summary(result.titles.size(), true, result.reboot_kind);
  entry.step = JournalStep::kRebooting;
  entry.boot_id = *boot;
  entry.reboot_kind = result.reboot_kind;
  return RebootFor(entry, result);
}

Status UpdateHandler::Finish(const JournalEntry& entry, const AgentResult& result) {
  JournalEntry done = entry;
  done.message = EncodeAgentResult(result);
  if (Status s = journal_.Save(done); !s.ok()) return s;
  return publish_(result);
}

Status UpdateHandler::RebootFor(JournalEntry entry, const AgentResult& result) {
  // Recorded first: whatever happens next, a restarted agent knows a reboot was asked for
  // from this boot and will not ask for a second one once the boot ID has changed.
  entry.message = EncodeAgentResult(result);
  if (Status s = journal_.Save(entry); !s.ok()) return s;
  if (Status s = publish_(result); !s.ok()) return s;
  RebootKind kind = RebootKind::kFull;
  if (entry.reboot_kind == RebootKindName(RebootKind::kSoft)) kind = RebootKind::kSoft;
  if (entry.reboot_kind == RebootKindName(RebootKind::kKexec)) kind = RebootKind::kKexec;
  return host_.Reboot(kind);
}

// "soft" asks for a restart that keeps the firmware: systemd's soft-reboot (userspace only,
// systemd 254 and later) or a kexec into the installed kernel; a kernel or firmware update
// needs the full one. "full" and "plugin" (no plug-in restarts its own way yet) reboot.
RebootKind UpdateHandler::ChooseRebootKind(const std::string& mode, bool kernel_changed) {
  if (mode != "soft") return RebootKind::kFull;
  if (!kernel_changed) {
    auto version = host_.Run({{"systemctl", "--version"}, {}, std::chrono::seconds(30)});
    int major = 0;
    if (version.ok() && version->exit_code == 0 &&
        std::sscanf(version->output.c_str(), "systemd %d", &major) == 1 && major >= 254) {
      return RebootKind::kSoft;
    }
  }
  // A new kernel is exactly what kexec boots, firmware aside: only a firmware change needs
  // the full one, and plug-ins report kernel and firmware together, so be safe.
  if (kernel_changed) return RebootKind::kFull;
  for (const char* kexec : {"/usr/sbin/kexec", "/sbin/kexec"}) {
    auto info = host_.Stat(kexec);
    if (info.ok() && info->exists) return RebootKind::kKexec;
  }
  return RebootKind::kFull;
}

}  // namespace kcau::agent
