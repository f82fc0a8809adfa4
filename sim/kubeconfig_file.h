// The credentials kcau-sim hands out: random bearer tokens, and kubeconfig files naming its
// server, the CA to verify it with and a token (its own for the admin, one per real agent).
//
// Thread-safety: plain functions; RandomBearerToken uses OpenSSL's thread-safe RAND_bytes.
#pragma once

#include <string>

namespace kcau::sim {

// 48 hex characters from OpenSSL's random generator.
std::string RandomBearerToken();

// Written to a temporary name (with `mode`, or as the umask leaves it when 0) and renamed, so a
// reader that sees the file sees all of it (the demo and the tests take its appearance as "the
// server is up"). An empty `ca_pem` or `token` leaves that entry out. False when it cannot be
// written.
bool WriteKubeconfig(const std::string& path, const std::string& server, const std::string& token,
                     const std::string& ca_pem, unsigned mode = 0);

}  // namespace kcau::sim
