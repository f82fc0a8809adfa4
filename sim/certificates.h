// A throwaway PKI for kcau-sim's HTTPS: a CA and a serving certificate for the loopback
// names, generated with OpenSSL, so clients verify TLS exactly as they would against a real
// API server (and a wrong CA is refused). The CA's key stays with kcau-sim: in memory, and
// in its --state-file so that a restarted kcau-sim serves under the same CA (and can issue a
// new serving certificate from it); kubeconfigs carry the CA certificate only.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace kcau::sim {

struct TlsMaterial {
  std::string ca_cert_pem;      // what clients trust
  std::string ca_key_pem;       // signs serving certificates
  std::string server_cert_pem;  // signed by the CA, SANs below
  std::string server_key_pem;
};

// ECDSA P-256 keys, SHA-256 signatures, valid from an hour ago: the serving certificate for
// `days` days, the CA (as a cluster's CA outlives its serving certificates) for `ca_days`.
StatusOr<TlsMaterial> GenerateServingCertificates(const std::vector<std::string>& dns_names,
                                                  const std::vector<std::string>& ip_addresses,
                                                  int days = 30, int ca_days = 3650);

// A new serving key and certificate signed by `ca`'s CA; the CA itself is kept.
StatusOr<TlsMaterial> IssueServingCertificate(const TlsMaterial& ca,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              int days = 30);

// The four PEMs parse, each key belongs to its certificate, and the CA signed the serving
// certificate; the error names the one that does not.
Status CheckTlsMaterial(const TlsMaterial& tls);

// When a PEM certificate stops being valid.
StatusOr<TimePoint> CertificateNotAfter(const std::string& cert_pem);

}  // namespace kcau::sim
