// Where the API server is and how to prove who we are: from kubeconfig files (current
// context or a named one; several merged as kubectl merges $KUBECONFIG) or from the
// in-cluster service account. Credentials: a token, a token file, a client certificate, or
// an exec plugin (kube/exec_credential.h). A user kcau cannot authenticate as (an
// auth-provider, basic auth) is an error saying so, not a request that meets a 401.
// Nothing here ever prints a token or a key: Describe() names the kind of credential only.
// Pure functions over files, thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "kube/exec_credential.h"
#include "kube/request_observer.h"

namespace kcau::kube {

struct ClientConfig {
  std::string server;            // https://host:port
  std::string token;             // bearer token (secret)
  std::string token_file;        // re-read when it rotates (in-cluster)
  std::string ca_file;           // PEM bundle to verify the server with
  std::string ca_data;           // PEM text, from certificate-authority-data
  std::string client_cert_data;  // PEM
  std::string client_key_data;   // PEM (secret)
  std::string client_cert_file;
  std::string client_key_file;
  // An exec plugin gives the token or certificate (shared: copies of the config share its
  // cache, so the plugin runs once per credential however many clients use it).
  std::shared_ptr<ExecCredentialSource> exec;
  bool insecure_skip_tls_verify = false;  // only when the kubeconfig says so
  // Client-side throttling (not from the kubeconfig: flags). controller-runtime's defaults.
  double qps = 20;
  int burst = 30;
  // Sent as User-Agent: names the program in the API server's logs and audit records.
  std::string user_agent = "kcau/" KCAU_VERSION;
  // Told of every request sent (kube/request_observer.h); not owned, must outlive the
  // client. Null: nobody is told.
  RequestObserver* request_observer = nullptr;
};

StatusOr<ClientConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// Several kubeconfig files merged as kubectl merges $KUBECONFIG: for each named cluster,
// user and context the first file defining it wins; current-context comes from the first
// file that sets one. Files that do not exist are skipped; none existing is an error.
StatusOr<ClientConfig> LoadKubeconfigFiles(const std::vector<std::string>& paths,
                                           const std::string& context = "");

// The files kubectl would read: `explicit_path` when given; else $KUBECONFIG split at ':'
// (empty entries dropped); else $HOME/.kube/config.
std::vector<std::string> KubeconfigPaths(const std::string& explicit_path);

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, token and ca.crt under `dir`.
StatusOr<ClientConfig> InClusterConfig(
    const std::string& dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// "https://10.0.0.1:443 (bearer token, CA from file)" — safe to log.
std::string Describe(const ClientConfig& config);

}  // namespace kcau::kube
