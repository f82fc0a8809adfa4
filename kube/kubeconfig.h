// Where the API server is and how to prove who we are: from a kubeconfig file (current
// context or a named one) or from the in-cluster service account. Nothing here ever prints
// a token or a key: Describe() names the kind of credential only.
// Pure functions over files, thread-safe.
#pragma once

#include <string>

#include "common/status.h"
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

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, token and ca.crt under `dir`.
StatusOr<ClientConfig> InClusterConfig(
    const std::string& dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// "https://10.0.0.1:443 (bearer token, CA from file)" — safe to log.
std::string Describe(const ClientConfig& config);

}  // namespace kcau::kube
