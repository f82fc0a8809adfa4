// A restarted kcau-sim serves under the CA it saved: the material round-trips through the
// state file, is reused while valid, a serving certificate about to expire is re-issued by
// the same CA, and a damaged one is an error naming the field.
#include "sim/server_identity.h"

#include <gtest/gtest.h>

namespace kcau::sim {
namespace {

using kube::Json;
using std::chrono::hours;

class ServerIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tls = GenerateServingCertificates({"localhost"}, {"127.0.0.1"});
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    tls_ = *tls;
  }
  TlsMaterial tls_;
  const TimePoint now_ = RealClock().Now();
};

TEST_F(ServerIdentityTest, RoundTripsThroughTheStateFile) {
  Json state = Json::object();
  state["server"] = ServerIdentityToJson({tls_, "token-1"});
  auto loaded = ServerIdentityFromState(Json::parse(state.serialize()));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->bearer_token, "token-1");
  ASSERT_TRUE(loaded->tls.has_value());
  EXPECT_EQ(loaded->tls->ca_cert_pem, tls_.ca_cert_pem);
  EXPECT_EQ(loaded->tls->ca_key_pem, tls_.ca_key_pem);
  EXPECT_EQ(loaded->tls->server_cert_pem, tls_.server_cert_pem);
  EXPECT_EQ(loaded->tls->server_key_pem, tls_.server_key_pem);

  auto old_state = ServerIdentityFromState(Json::parse(R"({"objects":[]})"));
  ASSERT_TRUE(old_state.ok());
  EXPECT_FALSE(old_state->tls.has_value());
  EXPECT_TRUE(old_state->bearer_token.empty());
  auto partial = ServerIdentityFromState(Json::parse(R"({"server":{"tls":{"caKey":"x"}}})"));
  EXPECT_EQ(partial.status().message(), "state: server.tls.caCertificate: required (a PEM string)");
}

TEST_F(ServerIdentityTest, ValidMaterialIsServedAsSaved) {
  auto served = ServingTls(tls_, now_);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(served->ca_cert_pem, tls_.ca_cert_pem);
  EXPECT_EQ(served->server_cert_pem, tls_.server_cert_pem);
  EXPECT_EQ(served->server_key_pem, tls_.server_key_pem);
}

TEST_F(ServerIdentityTest, AServingCertificateNearItsEndIsReissuedByTheSameCa) {
  auto later = ServingTls(tls_, now_ + hours(24 * 30 - 2));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->ca_cert_pem, tls_.ca_cert_pem);
  EXPECT_EQ(later->ca_key_pem, tls_.ca_key_pem);
  EXPECT_NE(later->server_cert_pem, tls_.server_cert_pem);
  EXPECT_TRUE(CheckTlsMaterial(*later).ok()) << "signed by the saved CA";

  auto ca_gone = ServingTls(tls_, now_ + hours(24 * 3651));
  ASSERT_TRUE(ca_gone.ok());
  EXPECT_NE(ca_gone->ca_cert_pem, tls_.ca_cert_pem);
}

TEST_F(ServerIdentityTest, DamagedMaterialIsAnErrorNamingIt) {
  TlsMaterial other = *GenerateServingCertificates({"localhost"}, {"127.0.0.1"});
  TlsMaterial mixed = tls_;
  mixed.server_cert_pem = other.server_cert_pem;
  mixed.server_key_pem = other.server_key_pem;
  EXPECT_EQ(ServingTls(mixed, now_).status().message(),
            "state: server.tls: serving certificate: not signed by the CA");
  TlsMaterial wrong_key = tls_;
  wrong_key.ca_key_pem = other.ca_key_pem;
  EXPECT_EQ(ServingTls(wrong_key, now_).status().message(),
            "state: server.tls: CA key: does not belong to the CA certificate");
  TlsMaterial garbage = tls_;
  garbage.server_key_pem = "not a key";
  EXPECT_EQ(ServingTls(garbage, now_)
                .status()
                .message()
                .rfind("state: server.tls: serving key: not a PEM private key", 0),
            0u);
}

}  // namespace
}  // namespace kcau::sim
