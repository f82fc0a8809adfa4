#include "sim/kubeconfig_file.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace kcau::sim {

namespace {

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

std::string RandomBearerToken() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof(bytes));
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (unsigned char b : bytes) {
    t += hex[b >> 4];
    t += hex[b & 15];
  }
  return t;
}

bool WriteKubeconfig(const std::string& path, const std::string& server, const std::string& token,
                     const std::string& ca_pem, unsigned mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    // Before the token is in it: a kubeconfig with a token is a credential.
    std::error_code ec;
    if (mode != 0) std::filesystem::permissions(tmp, std::filesystem::perms(mode), ec);
    if (ec) return false;
    out << "apiVersion: v1\nkind: Config\n"
        << "clusters:\n- name: kcau-sim\n  cluster:\n    server: " << server << "\n";
    if (!ca_pem.empty()) out << "    certificate-authority-data: " << Base64(ca_pem) << "\n";
    out << "users:\n- name: kcau-sim\n  user:\n";
    if (!token.empty()) {
      out << "    token: " << token << "\n";
    } else {
      out << "    {}\n";
    }
    out << "contexts:\n- name: kcau-sim\n  context:\n    cluster: kcau-sim\n    user: kcau-sim\n"
        << "current-context: kcau-sim\n";
    if (!out.good()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace kcau::sim
