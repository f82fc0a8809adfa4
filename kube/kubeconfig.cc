#include "kube/kubeconfig.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace kcau::kube {

namespace {

std::string Base64Decode(const std::string& in) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') clean += c;
  }
  std::string out(clean.size() * 3 / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as data: drop one byte per '='.
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return dir + "/" + path;
}

// A default-constructed YAML::Node is a defined null, not "absent": hence the optional.
std::optional<YAML::Node> Named(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item;
  }
  return std::nullopt;
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] ? n[key].as<std::string>() : "";
}

}  // namespace

StatusOr<ClientConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return NotFoundError("kubeconfig " + path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + path + ": line " + std::to_string(e.mark.line + 1) +
                                ": " + e.msg);
  }
  try {
    const std::string ctx_name = context.empty() ? Str(doc, "current-context") : context;
    if (ctx_name.empty())
      return InvalidArgumentError("kubeconfig " + path + ": no current-context");
    auto ctx = Named(doc["contexts"], ctx_name);
    if (!ctx)
      return NotFoundError("kubeconfig " + path + ": context \"" + ctx_name + "\" not found");
    const std::string cluster_name = Str((*ctx)["context"], "cluster");
    const std::string user_name = Str((*ctx)["context"], "user");
    auto cluster = Named(doc["clusters"], cluster_name);
    if (!cluster) {
      return NotFoundError("kubeconfig " + path + ": cluster \"" + cluster_name + "\" not found");
    }
    const std::string dir =
        path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    ClientConfig c;
    const YAML::Node cl = (*cluster)["cluster"];
    c.server = Str(cl, "server");
    if (c.server.empty()) {
      return InvalidArgumentError("kubeconfig " + path + ": cluster \"" + cluster_name +
                                  "\" has no server");
    }
    c.ca_file = Resolve(dir, Str(cl, "certificate-authority"));
    c.ca_data = Base64Decode(Str(cl, "certificate-authority-data"));
    c.insecure_skip_tls_verify =
        cl["insecure-skip-tls-verify"] && cl["insecure-skip-tls-verify"].as<bool>();
    if (!user_name.empty()) {
      auto user = Named(doc["users"], user_name);
      if (!user)
        return NotFoundError("kubeconfig " + path + ": user \"" + user_name + "\" not found");
      const YAML::Node u = (*user)["user"];
      c.token = Str(u, "token");
      c.token_file = Resolve(dir, Str(u, "tokenFile"));
      c.client_cert_data = Base64Decode(Str(u, "client-certificate-data"));
      c.client_key_data = Base64Decode(Str(u, "client-key-data"));
      c.client_cert_file = Resolve(dir, Str(u, "client-certificate"));
      c.client_key_file = Resolve(dir, Str(u, "client-key"));
    }
    return c;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + path + ": " + e.msg);
  }
}

StatusOr<ClientConfig> InClusterConfig(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return InvalidArgumentError(
        "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset): pass --kubeconfig");
  }
  ClientConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + port;
  c.token_file = dir + "/token";
  c.ca_file = dir + "/ca.crt";
  std::ifstream token(c.token_file);
  if (!token) return NotFoundError("service account token " + c.token_file + " is missing");
  std::stringstream s;
  s << token.rdbuf();
  c.token = s.str();
  while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
  return c;
}

std::string Describe(const ClientConfig& c) {
  std::string auth = "no credentials";
  if (!c.token.empty() || !c.token_file.empty()) auth = "bearer token";
  if (!c.client_cert_data.empty() || !c.client_cert_file.empty()) auth = "client certificate";
  std::string tls;
  if (c.server.rfind("https://", 0) == 0) {
    tls = c.insecure_skip_tls_verify ? ", TLS verification OFF (insecure-skip-tls-verify)"
          : !c.ca_data.empty()       ? ", CA from kubeconfig data"
          : !c.ca_file.empty()       ? ", CA from " + c.ca_file
                                     : ", system CAs";
  }
  return c.server + " (" + auth + tls + ")";
}

}  // namespace kcau::kube
