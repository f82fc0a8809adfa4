#include "kube/exec_credential.h"

#include <cpprest/json.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace kcau::kube {

namespace {

using web::json::value;

constexpr char kV1[] = "client.authentication.k8s.io/v1";
constexpr char kV1beta1[] = "client.authentication.k8s.io/v1beta1";

std::string StringField(const value& object, const char* key, const std::string& path) {
  if (!object.has_field(key)) return "";
  const value& v = object.at(key);
  if (!v.is_string()) throw std::invalid_argument(path + "." + key + ": expected a string");
  return v.as_string();
}

struct ProcessResult {
  int exit_code = 0;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv with envp, stdin from /dev/null, and collects stdout and stderr (both read as
// they come, so a plugin writing much to stderr cannot block on a full pipe).
StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& envp) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return InternalError(std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return InternalError(std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_envp;
  for (const auto& e : envp) c_envp.push_back(const_cast<char*>(e.c_str()));
  c_envp.push_back(nullptr);
  pid_t pid = 0;
  // posix_spawnp looks a command without '/' up on our PATH, as client-go's exec.LookPath.
  const int rc =
      posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, c_argv.data(), c_envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return NotFoundError(std::strerror(rc));
  }
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

StatusOr<ExecCredential> ParseExecCredential(const std::string& text,
                                             const std::string& api_version) {
  value doc;
  try {
    doc = value::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("output is not an ExecCredential (JSON): ") + e.what());
  }
  try {
    if (!doc.is_object()) throw std::invalid_argument("output is not a JSON object");
    const std::string kind = StringField(doc, "kind", "");
    if (kind != "ExecCredential") {
      throw std::invalid_argument("kind: expected ExecCredential, got \"" + kind + "\"");
    }
    const std::string got = StringField(doc, "apiVersion", "");
    if (got != api_version) {
      throw std::invalid_argument("apiVersion: expected " + api_version + " (as the kubeconfig " +
                                  "asks), got \"" + got + "\"");
    }
    if (!doc.has_object_field("status")) throw std::invalid_argument("status: missing");
    const value& status = doc.at("status");
    ExecCredential c;
    c.token = StringField(status, "token", "status");
    c.client_certificate_data = StringField(status, "clientCertificateData", "status");
    c.client_key_data = StringField(status, "clientKeyData", "status");
    const std::string expiry = StringField(status, "expirationTimestamp", "status");
    if (!expiry.empty()) {
      c.expiration = ParseRfc3339(expiry);
      if (!c.expiration) {
        throw std::invalid_argument("status.expirationTimestamp: \"" + expiry +
                                    "\" is not an RFC 3339 UTC time");
      }
    }
    if (c.client_certificate_data.empty() != c.client_key_data.empty()) {
      throw std::invalid_argument(
          "status: clientCertificateData and clientKeyData must be given together");
    }
    if (c.token.empty() && c.client_certificate_data.empty()) {
      throw std::invalid_argument(
          "status: neither token nor clientCertificateData/clientKeyData is set");
    }
    return c;
  } catch (const std::invalid_argument& e) {
    return InvalidArgumentError(e.what());
  }
}

std::string ExecInfoJson(const ExecConfig& config) {
  value info = value::object();
  info["apiVersion"] = value::string(config.api_version);
  info["kind"] = value::string("ExecCredential");
  info["spec"]["interactive"] = value::boolean(false);
  if (config.provide_cluster_info) {
    value cluster = value::object();
    cluster["server"] = value::string(config.server);
    if (!config.ca_data.empty()) {
      // Base64 of the PEM, as client-go's rest.Config carries certificate-authority-data.
      static constexpr char kAlphabet[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const std::string& in = config.ca_data;
      std::string out;
      for (size_t i = 0; i < in.size(); i += 3) {
        const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                           (i + 1 < in.size() ? static_cast<uint8_t>(in[i + 1]) << 8 : 0) |
                           (i + 2 < in.size() ? static_cast<uint8_t>(in[i + 2]) : 0);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
      }
      cluster["certificate-authority-data"] = value::string(out);
    }
    if (config.insecure_skip_tls_verify) {
      cluster["insecure-skip-tls-verify"] = value::boolean(true);
    }
    info["spec"]["cluster"] = cluster;
  }
  return info.serialize();
}

ExecCredentialSource::ExecCredentialSource(ExecConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

StatusOr<ExecCredential> ExecCredentialSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && (!cached_->expiration || clock_.Now() < *cached_->expiration)) return *cached_;
  cached_.reset();
  auto fresh = Run();
  if (fresh.ok()) cached_ = *fresh;
  return fresh;
}

void ExecCredentialSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

StatusOr<ExecCredential> ExecCredentialSource::Run() {
  const std::string who = "user \"" + config_.user_name + "\": exec plugin " + config_.command;
  if (config_.api_version != kV1 && config_.api_version != kV1beta1) {
    return InvalidArgumentError(who + ": apiVersion \"" + config_.api_version +
                                "\" is not supported (use " + kV1 + " or " + kV1beta1 + ")");
  }
  if (config_.interactive_mode == "Always") {
    return InvalidArgumentError(who + ": interactiveMode Always needs a terminal, which kcau " +
                                "never gives an exec plugin");
  }
  std::string command = config_.command;
  // client-go resolves a relative path (one with a separator) against the kubeconfig's folder.
  if (command.find('/') != std::string::npos && command[0] != '/' && !config_.base_dir.empty()) {
    command = config_.base_dir + "/" + command;
  }
  std::vector<std::string> argv = {command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, val] : config_.env) env[name] = val;
  env["KUBERNETES_EXEC_INFO"] = ExecInfoJson(config_);
  std::vector<std::string> envp;
  for (const auto& [name, val] : env) envp.push_back(name + "=" + val);

  auto result = RunProcess(argv, envp);
  if (!result.ok()) {
    std::string msg = who + ": cannot run it: " + result.status().message();
    if (!config_.install_hint.empty()) msg += " (" + Trimmed(config_.install_hint) + ")";
    return Status(result.status().code(), msg);
  }
  if (result->exit_code != 0) {
    return UnauthorizedError(who + " exited " + std::to_string(result->exit_code) + ": " +
                             Trimmed(result->err));
  }
  auto credential = ParseExecCredential(result->out, config_.api_version);
  if (!credential.ok()) {
    return InvalidArgumentError(who + ": " + credential.status().message());
  }
  return credential;
}

}  // namespace kcau::kube
