// kubeconfig `exec` credential plugins (client.authentication.k8s.io v1 and v1beta1), as
// client-go runs them: the command with its args and env (plus KUBERNETES_EXEC_INFO) prints
// an ExecCredential whose status holds a bearer token or a client certificate and key, valid
// until expirationTimestamp. ExecCredentialSource runs the plugin when it has no credential
// or the one it has expired, and again after the API server refused it (Invalidate).
// A plugin that cannot run or fails is an error naming it, its exit code and its stderr, so
// a user reads why instead of a bare 401. Nothing here logs a token or a key.
//
// Thread-safety: ParseExecCredential and ExecInfoJson are pure. ExecCredentialSource is safe
// from any thread: one plugin run at a time, under its mutex.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::kube {

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;      // a name looked up on PATH, or a path (relative: to base_dir)
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // set on top of ours
  std::string install_hint;                              // shown when the command is missing
  bool provide_cluster_info = false;  // put the cluster into KUBERNETES_EXEC_INFO
  std::string interactive_mode;       // Never, IfAvailable, Always (v1 requires it)
  std::string user_name;              // the kubeconfig user, for messages
  std::string base_dir;               // the folder of the kubeconfig that named it
  // The cluster, for KUBERNETES_EXEC_INFO when provide_cluster_info.
  std::string server;
  std::string ca_data;  // PEM
  bool insecure_skip_tls_verify = false;
};

struct ExecCredential {
  std::string token;                    // secret
  std::string client_certificate_data;  // PEM
  std::string client_key_data;          // PEM, secret
  std::optional<TimePoint> expiration;  // none: valid until the server refuses it
};

// The plugin's standard output. The apiVersion must be the one the kubeconfig asked for;
// status must hold a token or both certificate and key. Errors name the field.
StatusOr<ExecCredential> ParseExecCredential(const std::string& text,
                                             const std::string& api_version);

// The value of KUBERNETES_EXEC_INFO: an ExecCredential with spec.interactive false (kcau
// never hands the plugin a terminal) and, when asked for, spec.cluster.
std::string ExecInfoJson(const ExecConfig& config);

class ExecCredentialSource {
 public:
  // `clock` tells when a credential expired; it must outlive the source.
  ExecCredentialSource(ExecConfig config, const Clock& clock);

  // The cached credential while it has not expired, or a fresh one from the plugin.
  StatusOr<ExecCredential> Get();
  // The API server refused the credential: the next Get runs the plugin again.
  void Invalidate();

  const ExecConfig& config() const { return config_; }

 private:
  StatusOr<ExecCredential> Run();

  const ExecConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<ExecCredential> cached_;  // guarded by mu_
};

}  // namespace kcau::kube
