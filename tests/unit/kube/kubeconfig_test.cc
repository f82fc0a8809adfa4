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
