// The agent's side of a hook request (PreUpdateScript / PostUpdateScript): the script comes
// from a ConfigMap in kcau's namespace, runs on the host as the request says (the cluster
// admin's hook policy chose whom), within its timeout; the exit code decides, and the result
// carries the last 4 KiB of its output.
//
// A hook runs at most once per token: the journal records it before it starts, and an agent
// restarted while a hook ran reports that attempt failed rather than running the script a
// second time (the controller retries within maxRetriesPerNode, under a new token).
//
// Thread-safety: one Handle at a time (the agent's single worker).
#pragma once

#include <functional>
#include <string>

#include "agent/host.h"
#include "agent/journal.h"
#include "agent/protocol.h"
#include "agent/request_signature.h"
#include "common/status.h"

namespace kcau::agent {

// Reads key `key` of ConfigMap `ns/name` (the agent's API client).
using FetchScript = std::function<StatusOr<std::string>(
    const std::string& ns, const std::string& name, const std::string& key)>;
using PublishHookResult = std::function<Status(const HookResult&)>;

inline constexpr size_t kHookOutputKept = 4096;

class HookHandler {
 public:
  HookHandler(Host& host, Journal& journal, std::string node, const RequestVerifyKeys& keys,
              FetchScript fetch, PublishHookResult publish);

  Status Handle(const Annotations& annotations);

 private:
  Status Answer(const std::string& token, bool succeeded, const std::string& message);

  Host& host_;
  Journal& journal_;
  const std::string node_;
  const RequestVerifyKeys& keys_;
  FetchScript fetch_;
  PublishHookResult publish_;
};

}  // namespace kcau::agent
