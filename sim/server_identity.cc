#include "sim/server_identity.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace kcau::sim {

namespace {

using kube::Json;

// The names kcau-sim serves under: it listens on loopback only.
const std::vector<std::string> kDnsNames = {"localhost"};
const std::vector<std::string> kIpAddresses = {"127.0.0.1"};

// A certificate that expires sooner than this is replaced at start.
constexpr auto kRenewBefore = std::chrono::hours(24);

constexpr const char* kTlsFields[] = {"caCertificate", "caKey", "servingCertificate", "servingKey"};

}  // namespace

Json ServerIdentityToJson(const ServerIdentity& identity) {
  Json server = Json::object();
  if (!identity.bearer_token.empty()) server["bearerToken"] = Json::string(identity.bearer_token);
  if (identity.tls) {
    const std::string* values[] = {&identity.tls->ca_cert_pem, &identity.tls->ca_key_pem,
                                   &identity.tls->server_cert_pem, &identity.tls->server_key_pem};
    for (size_t i = 0; i < std::size(kTlsFields); ++i) {
      server["tls"][kTlsFields[i]] = Json::string(*values[i]);
    }
  }
  return server;
}

StatusOr<ServerIdentity> ServerIdentityFromState(const Json& state) {
  ServerIdentity identity;
  if (!state.has_field("server")) return identity;
  const Json& server = state.at("server");
  if (!server.is_object()) return InvalidArgumentError("state: server: expected an object");
  if (server.has_field("bearerToken")) {
    if (!server.at("bearerToken").is_string()) {
      return InvalidArgumentError("state: server.bearerToken: expected a string");
    }
    identity.bearer_token = server.at("bearerToken").as_string();
  }
  if (server.has_field("tls")) {
    const Json& tls = server.at("tls");
    TlsMaterial material;
    std::string* values[] = {&material.ca_cert_pem, &material.ca_key_pem, &material.server_cert_pem,
                             &material.server_key_pem};
    for (size_t i = 0; i < std::size(kTlsFields); ++i) {
      if (!tls.has_string_field(kTlsFields[i])) {
        return InvalidArgumentError(std::string("state: server.tls.") + kTlsFields[i] +
                                    ": required (a PEM string)");
      }
      *values[i] = tls.at(kTlsFields[i]).as_string();
    }
    identity.tls = std::move(material);
  }
  return identity;
}

StatusOr<TlsMaterial> ServingTls(const std::optional<TlsMaterial>& saved, TimePoint now) {
  if (saved) {
    if (Status ok = CheckTlsMaterial(*saved); !ok.ok()) {
      return InvalidArgumentError("state: server.tls: " + ok.message());
    }
    auto serving_until = CertificateNotAfter(saved->server_cert_pem);
    auto ca_until = CertificateNotAfter(saved->ca_cert_pem);
    if (!serving_until.ok() || !ca_until.ok()) {
      return InvalidArgumentError("state: server.tls: unreadable expiry date");
    }
    if (*serving_until - now > kRenewBefore) return *saved;
    if (*ca_until - now > kRenewBefore) {
      spdlog::info(
          "kcau-sim: the saved serving certificate expires {}; issuing a new one from "
          "the saved CA",
          FormatRfc3339(*serving_until));
      return IssueServingCertificate(*saved, kDnsNames, kIpAddresses);
    }
    spdlog::warn(
        "kcau-sim: the saved CA expires {}: a new CA, which kubeconfigs written "
        "before do not trust",
        FormatRfc3339(*ca_until));
  }
  return GenerateServingCertificates(kDnsNames, kIpAddresses);
}

}  // namespace kcau::sim
