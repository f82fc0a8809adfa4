// What a kcau-sim restart from --state-file keeps so that its clients keep connecting, as a
// real API server keeps its CA and credentials across restarts: the CA (certificate and
// key), the serving certificate and key, and the bearer token. They are saved in the state
// file under "server"; a kubeconfig written before the restart works after it.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "kube/kube_client.h"
#include "sim/certificates.h"

namespace kcau::sim {

struct ServerIdentity {
  std::optional<TlsMaterial> tls;  // unset: plain HTTP
  std::string bearer_token;        // empty: none (or one from --token-file, never saved)
};

// The state file's "server" member.
kube::Json ServerIdentityToJson(const ServerIdentity& identity);
// From a saved state document; an empty identity when the state has none (a state saved
// before identities were kept). Errors name the field.
StatusOr<ServerIdentity> ServerIdentityFromState(const kube::Json& state);

// What to serve HTTPS with at `now`: the saved material while its serving certificate is
// good for another day; else a serving certificate newly issued by the saved CA while the CA
// is; else (or with nothing saved) a new CA and serving certificate. Saved material that is
// inconsistent is an error, not silently replaced.
StatusOr<TlsMaterial> ServingTls(const std::optional<TlsMaterial>& saved, TimePoint now);

}  // namespace kcau::sim
