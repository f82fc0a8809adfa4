#include "kube/exec_credential.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kcau::kube {
namespace {

constexpr char kV1[] = "client.authentication.k8s.io/v1";

TEST(ExecCredentialTest, ParsesTokenCertificateAndExpiry) {
  auto token = ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"token":"t0k","expirationTimestamp":"2027-01-15T08:00:00Z"}})",
      kV1);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->token, "t0k");
  EXPECT_EQ(token->expiration, WallClock::from_time_t(1800000000));

  auto cert = ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
      R"("status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
      "client.authentication.k8s.io/v1beta1");
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->client_certificate_data, "CERT");
  EXPECT_EQ(cert->client_key_data, "KEY");
  EXPECT_FALSE(cert->expiration);
}

TEST(ExecCredentialTest, BadOutputNamesTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not an ExecCredential (JSON)"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
       R"("status":{"token":"t"}})",
       "apiVersion: expected client.authentication.k8s.io/v1"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod","status":{}})",
       "kind: expected ExecCredential"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})",
       "status: missing"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})",
       "neither token nor clientCertificateData"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
       R"("status":{"clientCertificateData":"C"}})",
       "must be given together"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
       R"("status":{"token":"t","expirationTimestamp":"tomorrow"}})",
       "status.expirationTimestamp"},
      {R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
       R"("status":{"token":5}})",
       "status.token: expected a string"},
  };
  for (const auto& [text, want] : cases) {
    auto c = ParseExecCredential(text, kV1);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find(want), std::string::npos) << c.status().message();
  }
}

// A real plugin: a shell script that counts its runs in a file, echoes what it was given,
// and prints an ExecCredential whose token and expiry the test chooses.
class ExecPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("kcau-exec-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Script(const std::string& name, const std::string& body) {
    const auto p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    ::chmod(p.c_str(), 0755);
    return p.string();
  }
  int Runs() {
    std::ifstream in(dir_ / "runs");
    int n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  ExecConfig Config(const std::string& command) {
    ExecConfig c;
    c.api_version = kV1;
    c.command = command;
    c.user_name = "alice";
    c.base_dir = dir_.string();
    return c;
  }

  std::filesystem::path dir_;
};

TEST_F(ExecPluginTest, RunsWithArgsAndEnvAndCachesUntilExpiry) {
  const std::string d = dir_.string();
  Script(
      "plugin.sh",
      "echo run >> " + d +
          "/runs\n"
          "echo \"$1 $2 $PLUGIN_MODE\" > " +
          d +
          "/given\n"
          "echo \"$KUBERNETES_EXEC_INFO\" > " +
          d +
          "/info\n"
          "n=$(wc -l < " +
          d +
          "/runs)\n"
          "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
          "\"status\":{\"token\":\"token-%s\",\"expirationTimestamp\":\"2027-01-15T08:10:00Z\"}}' "
          "$n\n");
  FakeClock clock(WallClock::from_time_t(1800000000));  // 08:00:00
  ExecConfig config = Config("./plugin.sh");            // relative: to the kubeconfig's folder
  config.args = {"get-token", "--cluster=lab"};
  config.env = {{"PLUGIN_MODE", "test"}};
  config.provide_cluster_info = true;
  config.server = "https://127.0.0.1:6443";
  config.ca_data = "PEM";
  ExecCredentialSource source(config, clock);

  auto first = source.Get();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->token, "token-1");
  EXPECT_EQ(Read("given"), "get-token --cluster=lab test\n");
  EXPECT_NE(Read("info").find(R"("apiVersion":"client.authentication.k8s.io/v1")"),
            std::string::npos);
  EXPECT_NE(Read("info").find(R"("interactive":false)"), std::string::npos);
  EXPECT_NE(Read("info").find(R"("server":"https://127.0.0.1:6443")"), std::string::npos);
  EXPECT_NE(Read("info").find(R"("certificate-authority-data":"UEVN")"), std::string::npos)
      << "base64 of the PEM";

  clock.Advance(std::chrono::minutes(9));
  EXPECT_EQ(source.Get()->token, "token-1") << "cached until it expires";
  EXPECT_EQ(Runs(), 1);
  clock.Advance(std::chrono::minutes(1));  // 08:10:00: expired
  EXPECT_EQ(source.Get()->token, "token-2");
  EXPECT_EQ(Runs(), 2);
  source.Invalidate();  // the API server refused it
  EXPECT_EQ(source.Get()->token, "token-3");
  EXPECT_EQ(Runs(), 3);
}

TEST_F(ExecPluginTest, FailuresSayWhichPluginAndWhy) {
  FakeClock clock(WallClock::from_time_t(1800000000));
  Script("fail.sh", "echo 'token expired: run login first' >&2\nexit 3\n");
  auto failed = ExecCredentialSource(Config("./fail.sh"), clock).Get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(),
            "user \"alice\": exec plugin ./fail.sh exited 3: token expired: run login first");

  ExecConfig missing = Config("kcau-no-such-plugin");
  missing.install_hint = "install it with apt-get install kcau-login";
  auto absent = ExecCredentialSource(missing, clock).Get();
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("exec plugin kcau-no-such-plugin: cannot run it"),
            std::string::npos)
      << absent.status().message();
  EXPECT_NE(absent.status().message().find("apt-get install kcau-login"), std::string::npos);

  Script("garbage.sh", "echo hello\n");
  auto garbage = ExecCredentialSource(Config("./garbage.sh"), clock).Get();
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("not an ExecCredential"), std::string::npos);

  ExecConfig old = Config("./garbage.sh");
  old.api_version = "client.authentication.k8s.io/v1alpha1";
  auto v1alpha1 = ExecCredentialSource(old, clock).Get();
  EXPECT_NE(v1alpha1.status().message().find("v1alpha1\" is not supported"), std::string::npos);
}

}  // namespace
}  // namespace kcau::kube
