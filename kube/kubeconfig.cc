#include "kube/kubeconfig.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
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

std::string ResolvePath(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return dir + "/" + path;
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] ? n[key].as<std::string>() : "";
}

std::string DirOf(const std::string& path) {
  return path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
}

// A named cluster, user or context, and the file that defined it (relative paths in it
// resolve against that file's folder, as kubectl resolves them).
struct Entry {
  YAML::Node body;  // the entry's "cluster", "user" or "context" map
  std::string file;
};

// Every file's entries, the first definition of each name kept.
struct MergedKubeconfig {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::string files;  // "a, b": for messages about the whole set
};

void MergeList(const YAML::Node& list, const char* body_key, const std::string& file,
               std::map<std::string, Entry>& into) {
  if (!list || !list.IsSequence()) return;
  for (const auto& item : list) {
    if (!item["name"]) continue;
    into.emplace(item["name"].as<std::string>(), Entry{item[body_key], file});
  }
}

StatusOr<MergedKubeconfig> Merge(const std::vector<std::string>& paths, bool skip_missing) {
  MergedKubeconfig merged;
  int read = 0;
  for (const std::string& path : paths) {
    merged.files += (merged.files.empty() ? "" : ", ") + path;
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      if (skip_missing) continue;
      return NotFoundError("kubeconfig " + path + ": cannot read the file");
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError("kubeconfig " + path + ": line " +
                                  std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    ++read;
    try {
      if (merged.current_context.empty()) merged.current_context = Str(doc, "current-context");
      MergeList(doc["clusters"], "cluster", path, merged.clusters);
      MergeList(doc["users"], "user", path, merged.users);
      MergeList(doc["contexts"], "context", path, merged.contexts);
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError("kubeconfig " + path + ": " + e.msg);
    }
  }
  if (read == 0) {
    return NotFoundError("kubeconfig: none of " + merged.files +
                         " can be read (set KUBECONFIG or pass --kubeconfig)");
  }
  return merged;
}

// The user's exec plugin, read as client-go reads it.
ExecConfig ReadExec(const YAML::Node& exec, const std::string& user_name, const std::string& dir,
                    const ClientConfig& cluster) {
  ExecConfig e;
  e.api_version = Str(exec, "apiVersion");
  e.command = Str(exec, "command");
  if (exec["args"] && exec["args"].IsSequence()) {
    for (const auto& a : exec["args"]) e.args.push_back(a.as<std::string>());
  }
  if (exec["env"] && exec["env"].IsSequence()) {
    for (const auto& v : exec["env"]) e.env.emplace_back(Str(v, "name"), Str(v, "value"));
  }
  e.install_hint = Str(exec, "installHint");
  e.provide_cluster_info = exec["provideClusterInfo"] && exec["provideClusterInfo"].as<bool>();
  e.interactive_mode = Str(exec, "interactiveMode");
  e.user_name = user_name;
  e.base_dir = dir;
  e.server = cluster.server;
  e.ca_data = cluster.ca_data;
  e.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
  return e;
}

// Why kcau cannot authenticate as this user, or "" when it can.
std::string UnusableUserReason(const YAML::Node& u, const std::string& user_name) {
  const std::string who = "user \"" + user_name + "\"";
  if (u["auth-provider"]) {
    return who + " uses auth-provider " + Str(u["auth-provider"], "name") +
           ", which kcau (kubectl-cau, kcau-controller) does not support; use an exec plugin " +
           "(users[].user.exec, client.authentication.k8s.io/v1) instead";
  }
  if (u["username"] || u["password"]) {
    return who + " uses username/password (basic auth), which Kubernetes removed in 1.19 " +
           "and kcau does not support; use a token, a client certificate or an exec plugin";
  }
  if (u["as"] || u["as-groups"] || u["as-uid"]) {
    return who + " impersonates another user (as, as-groups), which kcau does not support";
  }
  if (u["exec"] && Str(u["exec"], "command").empty()) {
    return who + ": exec.command is empty";
  }
  return "";
}

// The one process-wide wall clock exec credentials expire on: the edge where real time
// enters (tests drive ExecCredentialSource with a FakeClock).
const Clock& ExpiryClock() {
  static const RealClock clock;
  return clock;
}

StatusOr<ClientConfig> Resolve(const MergedKubeconfig& m, const std::string& context) {
  const std::string ctx_name = context.empty() ? m.current_context : context;
  if (ctx_name.empty())
    return InvalidArgumentError("kubeconfig " + m.files + ": no current-context");
  auto ctx = m.contexts.find(ctx_name);
  if (ctx == m.contexts.end()) {
    return NotFoundError("kubeconfig " + m.files + ": context \"" + ctx_name + "\" not found");
  }
  const std::string& file = ctx->second.file;
  const std::string cluster_name = Str(ctx->second.body, "cluster");
  const std::string user_name = Str(ctx->second.body, "user");
  auto cluster = m.clusters.find(cluster_name);
  if (cluster == m.clusters.end()) {
    return NotFoundError("kubeconfig " + file + ": cluster \"" + cluster_name + "\" not found");
  }
  ClientConfig c;
  const YAML::Node cl = cluster->second.body;
  const std::string cluster_dir = DirOf(cluster->second.file);
  c.server = Str(cl, "server");
  if (c.server.empty()) {
    return InvalidArgumentError("kubeconfig " + cluster->second.file + ": cluster \"" +
                                cluster_name + "\" has no server");
  }
  c.ca_file = ResolvePath(cluster_dir, Str(cl, "certificate-authority"));
  c.ca_data = Base64Decode(Str(cl, "certificate-authority-data"));
  c.insecure_skip_tls_verify =
      cl["insecure-skip-tls-verify"] && cl["insecure-skip-tls-verify"].as<bool>();
  if (user_name.empty()) return c;
  auto user = m.users.find(user_name);
  if (user == m.users.end()) {
    return NotFoundError("kubeconfig " + file + ": user \"" + user_name + "\" not found");
  }
  const YAML::Node u = user->second.body;
  const std::string user_dir = DirOf(user->second.file);
  if (!u) return c;
  if (const std::string why = UnusableUserReason(u, user_name); !why.empty()) {
    return InvalidArgumentError("kubeconfig " + user->second.file + ": " + why);
  }
  c.token = Str(u, "token");
  c.token_file = ResolvePath(user_dir, Str(u, "tokenFile"));
  c.client_cert_data = Base64Decode(Str(u, "client-certificate-data"));
  c.client_key_data = Base64Decode(Str(u, "client-key-data"));
  c.client_cert_file = ResolvePath(user_dir, Str(u, "client-certificate"));
  c.client_key_file = ResolvePath(user_dir, Str(u, "client-key"));
  if (u["exec"]) {
    c.exec = std::make_shared<ExecCredentialSource>(ReadExec(u["exec"], user_name, user_dir, c),
                                                    ExpiryClock());
  }
  return c;
}

}  // namespace

StatusOr<ClientConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto merged = Merge({path}, /*skip_missing=*/false);
  if (!merged.ok()) return merged.status();
  try {
    return Resolve(*merged, context);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + path + ": " + e.msg);
  }
}

StatusOr<ClientConfig> LoadKubeconfigFiles(const std::vector<std::string>& paths,
                                           const std::string& context) {
  if (paths.size() == 1) return LoadKubeconfig(paths[0], context);
  auto merged = Merge(paths, /*skip_missing=*/true);
  if (!merged.ok()) return merged.status();
  try {
    return Resolve(*merged, context);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + merged->files + ": " + e.msg);
  }
}

std::vector<std::string> KubeconfigPaths(const std::string& explicit_path) {
  if (!explicit_path.empty()) return {explicit_path};
  std::vector<std::string> paths;
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr) {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      const size_t colon = std::min(list.find(':', start), list.size());
      if (colon > start) paths.push_back(list.substr(start, colon - start));
      start = colon + 1;
    }
  }
  if (!paths.empty()) return paths;
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    return {std::string(home) + "/.kube/config"};
  }
  return {".kube/config"};
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
  if (c.exec) auth = "exec plugin " + c.exec->config().command;
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
