// The agent's side of an update or scan request (agent/protocol.h): it reads the request on
// its Node, checks the controller's signature for this node, runs the plug-ins through the
// Host, publishes the result, and reboots when an update or the run asks for it.
//
// Safe to call on every change of the Node, and after being killed at any instant: the
// journal (agent/journal.h) says what was under way for which token, so an install is
// finished rather than started again and a reboot that happened is not asked for twice.
//
// Thread-safety: one Handle at a time (the agent's single worker).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/host.h"
#include "agent/journal.h"
#include "agent/plugin.h"
#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "common/status.h"

namespace kcau::agent {

using PluginFactory = std::function<StatusOr<std::unique_ptr<Plugin>>(
    const std::string& name, const std::map<std::string, std::string>& arguments,
    const PluginOptions& options)>;
// Writes kcau.io/update-result on this agent's Node.
using PublishResult = std::function<Status(const AgentResult&)>;

class UpdateHandler {
 public:
  UpdateHandler(Host& host, Journal& journal, std::string node, const RequestVerifyKeys& keys,
                PluginFactory plugins, PublishResult publish);

  Status Handle(const Annotations& annotations);

 private:
  Status Scan(const std::string& token, const Annotations& annotations);
  // Runs the plug-ins for `started.token` (the journal already says so), then ends the
  // request: published, and rebooting when asked.
  Status Install(const JournalEntry& started, const Annotations& annotations);
  // Takes request `token`: checks its signature, records it, then scans or installs.
  // `previous`: `token` is the re-scan round a request named (kRescanRequestAnnotation),
  // begun once that request's reboot happened, and this is how the request ended.
  Status Begin(const std::string& token, const Annotations& annotations,
               const AgentResult* previous);
  Status Refuse(const std::string& token, const Status& why);
  Status Finish(const JournalEntry& entry, const AgentResult& result);
  Status RebootFor(JournalEntry entry, const AgentResult& result);
  RebootKind ChooseRebootKind(const std::string& mode, bool kernel_changed);

  Host& host_;
  Journal& journal_;
  const std::string node_;
  const RequestVerifyKeys& keys_;
  PluginFactory plugins_;
  PublishResult publish_;
};

// The plug-ins of a request (kcau.io/update-plugins: [{name, arguments}]).
StatusOr<std::vector<std::pair<std::string, std::map<std::string, std::string>>>> DecodePluginList(
    const std::string& text);

}  // namespace kcau::agent
