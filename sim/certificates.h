// A throwaway PKI for kcau-sim's HTTPS: a CA and a serving certificate for the loopback
// names, generated at start with OpenSSL, so clients verify TLS exactly as they would
// against a real API server (and a wrong CA is refused). Keys never leave the process except
// through the kubeconfig's CA data (the CA certificate, not its key).
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace kcau::sim {

struct TlsMaterial {
  std::string ca_cert_pem;      // what clients trust
  std::string server_cert_pem;  // signed by the CA, SANs below
  std::string server_key_pem;
};

// ECDSA P-256 keys, SHA-256 signatures, valid from an hour ago for `days` days.
StatusOr<TlsMaterial> GenerateServingCertificates(const std::vector<std::string>& dns_names,
                                                  const std::vector<std::string>& ip_addresses,
                                                  int days = 30);

}  // namespace kcau::sim
