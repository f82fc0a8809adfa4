#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kcau::kube {
namespace {

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("kcau-kubeconfig-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

// "-----BEGIN CERTIFICATE-----\nX\n" in base64.
constexpr char kCaData[] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClgK";

TEST_F(KubeconfigTest, CurrentContextWithTokenAndCaData) {
  const std::string path = Write("config", std::string(R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )") + kCaData + R"(
- name: lab
  cluster:
    server: https://lab:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: s3cr3t-t0ken
- name: cert-user
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
contexts:
- name: prod
  context: {cluster: prod-cluster, user: admin}
- name: lab
  context: {cluster: lab, user: cert-user}
)");
  auto c = LoadKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->token, "s3cr3t-t0ken");
  EXPECT_EQ(c->ca_data, "-----BEGIN CERTIFICATE-----\nX\n");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  // Describe is what gets logged: never the token.
  const std::string described = Describe(*c);
  EXPECT_EQ(described.find("s3cr3t"), std::string::npos) << described;
  EXPECT_NE(described.find("bearer token"), std::string::npos);

  auto lab = LoadKubeconfig(path, "lab");
  ASSERT_TRUE(lab.ok());
  EXPECT_TRUE(lab->insecure_skip_tls_verify);
  EXPECT_EQ(lab->client_cert_file, (dir_ / "certs/client.crt").string())
      << "relative paths resolve against the kubeconfig's folder";
  EXPECT_NE(Describe(*lab).find("TLS verification OFF"), std::string::npos);
}

TEST_F(KubeconfigTest, ErrorsNameTheFileAndWhatIsMissing) {
  const std::string path = Write("bad", R"(current-context: ghost
contexts: []
clusters: []
)");
  auto c = LoadKubeconfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "kubeconfig " + path + ": context \"ghost\" not found");
  auto missing = LoadKubeconfig((dir_ / "nope").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(KubeconfigTest, KubeconfigListMergesAsKubectlDoes) {
  // The first file sets the current context and defines "shared"; the second redefines it
  // (ignored: the first definition wins), adds the cluster and a context of its own.
  const std::string first = Write("first", R"(current-context: work
contexts:
- name: work
  context: {cluster: work-cluster, user: shared}
users:
- name: shared
  user: {token: from-first}
)");
  const std::string second = Write("second", R"(current-context: other
clusters:
- name: work-cluster
  cluster: {server: "https://work:6443", certificate-authority: ca.pem}
users:
- name: shared
  user: {token: from-second}
contexts:
- name: other
  context: {cluster: work-cluster, user: shared}
)");
  setenv("KUBECONFIG", (first + "::" + (dir_ / "missing").string() + ":" + second).c_str(), 1);
  const std::vector<std::string> paths = KubeconfigPaths("");
  unsetenv("KUBECONFIG");
  EXPECT_EQ(paths, (std::vector<std::string>{first, (dir_ / "missing").string(), second}))
      << "empty entries are dropped";
  auto c = LoadKubeconfigFiles(paths);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://work:6443");
  EXPECT_EQ(c->token, "from-first");
  EXPECT_EQ(c->ca_file, (dir_ / "ca.pem").string()) << "relative to the file that said it";
  auto other = LoadKubeconfigFiles(paths, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->token, "from-first") << "a context of the second file, the first's user";

  EXPECT_EQ(KubeconfigPaths("/explicit"), std::vector<std::string>{"/explicit"});
  auto none = LoadKubeconfigFiles({(dir_ / "a").string(), (dir_ / "b").string()});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST_F(KubeconfigTest, UnusableUsersSayWhy) {
  const std::string path = Write("config", R"(current-context: gke
clusters:
- name: c
  cluster: {server: "https://c:443"}
users:
- name: gke-user
  user:
    auth-provider: {name: gcp, config: {}}
- name: basic
  user: {username: admin, password: hunter2}
contexts:
- name: gke
  context: {cluster: c, user: gke-user}
- name: basic
  context: {cluster: c, user: basic}
)");
  auto gke = LoadKubeconfig(path);
  ASSERT_FALSE(gke.ok());
  EXPECT_NE(gke.status().message().find(
                "user \"gke-user\" uses auth-provider gcp, which kcau (kubectl-cau, "
                "kcau-controller) does not support; use an exec plugin"),
            std::string::npos)
      << gke.status().message();
  auto basic = LoadKubeconfig(path, "basic");
  ASSERT_FALSE(basic.ok());
  EXPECT_NE(basic.status().message().find("username/password"), std::string::npos);
  EXPECT_EQ(basic.status().message().find("hunter2"), std::string::npos);
}

TEST_F(KubeconfigTest, ExecUsersGetAnExecCredentialSource) {
  const std::string path = Write("config", R"(current-context: lab
clusters:
- name: lab
  cluster: {server: "https://lab:6443", insecure-skip-tls-verify: true}
users:
- name: sso
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: bin/login.sh
      args: [token, --audience=lab]
      env: [{name: MODE, value: cli}]
      installHint: ask the platform team
      provideClusterInfo: true
      interactiveMode: Never
contexts:
- name: lab
  context: {cluster: lab, user: sso}
)");
  auto c = LoadKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->exec);
  const ExecConfig& e = c->exec->config();
  EXPECT_EQ(e.api_version, "client.authentication.k8s.io/v1");
  EXPECT_EQ(e.command, "bin/login.sh");
  EXPECT_EQ(e.args, (std::vector<std::string>{"token", "--audience=lab"}));
  ASSERT_EQ(e.env.size(), 1u);
  EXPECT_EQ(e.env[0], (std::pair<std::string, std::string>{"MODE", "cli"}));
  EXPECT_EQ(e.base_dir, dir_.string());
  EXPECT_TRUE(e.provide_cluster_info);
  EXPECT_EQ(e.server, "https://lab:6443");
  EXPECT_TRUE(e.insecure_skip_tls_verify);
  EXPECT_EQ(e.user_name, "sso");
  EXPECT_NE(Describe(*c).find("exec plugin bin/login.sh"), std::string::npos);
}

TEST_F(KubeconfigTest, InClusterReadsTheServiceAccount) {
  Write("token", "sa-token\n");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = InClusterConfig(dir_.string());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token, "sa-token");
  EXPECT_EQ(c->ca_file, dir_.string() + "/ca.crt");
  EXPECT_FALSE(InClusterConfig(dir_.string()).ok()) << "outside a cluster it must say so";
}

}  // namespace
}  // namespace kcau::kube
