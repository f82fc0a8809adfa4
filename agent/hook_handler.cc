#include "agent/hook_handler.h"

namespace kcau::agent {

namespace {

std::string Tail(const std::string& output) {
  if (output.size() <= kHookOutputKept) return output;
  return "..." + output.substr(output.size() - kHookOutputKept);
}

}  // namespace

HookHandler::HookHandler(Host& host, Journal& journal, std::string node,
                         const RequestVerifyKeys& keys, FetchScript fetch,
                         PublishHookResult publish)
    : host_(host),
      journal_(journal),
      node_(std::move(node)),
      keys_(keys),
      fetch_(std::move(fetch)),
      publish_(std::move(publish)) {}

Status HookHandler::Answer(const std::string& token, bool succeeded, const std::string& message) {
  HookResult result{token, false, succeeded, message};
  JournalEntry done{token, JournalStep::kDone};
  done.message = EncodeHookResult(result);
  if (Status s = journal_.Save(done); !s.ok()) return s;
  return publish_(result);
}

Status HookHandler::Handle(const Annotations& annotations) {
  auto text = annotations.find(kHookRequestAnnotation);
  if (text == annotations.end()) return Status::Ok();
  auto request = DecodeHookRequest(text->second);
  if (!request) return Status::Ok();  // not a request this version reads: nothing to act on
  const std::string& token = request->token;
  auto answered = annotations.find(kHookResultAnnotation);
  std::optional<HookResult> published;
  if (answered != annotations.end()) published = DecodeHookResult(answered->second);

  auto recorded = journal_.Load();
  if (!recorded.ok()) return recorded.status();
  if (*recorded && (*recorded)->token == token) {
    if ((*recorded)->step == JournalStep::kDone) {
      auto result = DecodeHookResult((*recorded)->message);
      if (result && (!published || published->token != token)) return publish_(*result);
      return Status::Ok();
    }
    return Answer(token, false,
                  "the agent was restarted while the " + request->hook +
                      " hook ran; it is not run a second time for one request");
  }
  if (published && published->token == token && !published->running) return Status::Ok();

  if (Status verified = keys_.Verify(RequestKind::kHook, node_, annotations); !verified.ok()) {
    return publish_({token, false, false, RefusalMessage(verified)});
  }
  const auto slash = request->config_map.find('/');
  if (slash == std::string::npos) {
    return Answer(token, false, "configMap \"" + request->config_map + "\" is not namespace/name");
  }
  auto script = fetch_(request->config_map.substr(0, slash), request->config_map.substr(slash + 1),
                       request->key);
  if (!script.ok()) {
    return Answer(token, false, "reading the script: " + script.status().message());
  }
  if (Status s = journal_.Save({token, JournalStep::kInstalling}); !s.ok()) return s;
  if (Status s = publish_({token, true, false, "running"}); !s.ok()) return s;

  Command command;
  command.argv = {"/bin/sh", "-c", *script};
  command.timeout = std::chrono::seconds(request->timeout_seconds);
  command.run_as_user = request->run_as_user;
  command.env["KCAU_NODE"] = node_;
  command.env["KCAU_HOOK"] = request->hook;
  if (!request->service_account.empty()) {
    command.env["KCAU_SERVICE_ACCOUNT"] = request->service_account;
  }
  auto ran = host_.Run(command);
  if (!ran.ok()) return Answer(token, false, "could not start: " + ran.status().message());
  if (ran->timed_out) {
    return Answer(token, false,
                  "timed out after " + std::to_string(request->timeout_seconds) +
                      " s; output: " + Tail(ran->output));
  }
  return Answer(token, ran->exit_code == 0,
                "exit code " + std::to_string(ran->exit_code) + "; output: " + Tail(ran->output));
}

}  // namespace kcau::agent
